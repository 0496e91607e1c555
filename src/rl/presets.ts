/**
 * Per-task PPO presets for training the experts that the cloning experiments query (paper section 5 uses
 * experts trained by RL; we train ours with PPO). A preset is a partial PPOConfig; `profile` picks a budget.
 */
import type { PPOConfig } from './config';

export type Profile = 'smoke' | 'quick' | 'full';
export const PROFILES: Profile[] = ['smoke', 'quick', 'full'];

type Preset = Partial<PPOConfig> & { totalSteps: number; evalEvery: number };

const PRESETS: Record<string, Preset> = {
  // Cartpole swing-up: 1 action, 5 observations; small networks learn it in well under 1M steps.
  'cartpole-swingup': {
    // A first 1M-step run without annealing oscillated between 420 and 750 (mean action); annealing settles it.
    numEnvs: 16, rolloutLength: 128, epochs: 10, minibatches: 4, lr: 3e-4, annealLr: true,
    policyTorso: [64, 64], valueTorso: [64, 64], gamma: 0.99, totalSteps: 2_000_000, evalEvery: 50_000,
  },
  // Cheetah run: 6 actions, 17 observations. SAC reaches ~600 at 0.5M steps in published logs; on-policy PPO
  // needs several million. Many envs, a large batch and obs/reward normalisation (brief, "tune" list).
  // [256, 256] torsos trained at ~1.1k env steps/s here (the update is ~95% of the time); [128, 128] ~3x faster.
  'cheetah-run': {
    numEnvs: 32, rolloutLength: 128, epochs: 10, minibatches: 8, lr: 3e-4, annealLr: true,
    policyTorso: [128, 128], valueTorso: [128, 128], gamma: 0.99, totalSteps: 8_000_000, evalEvery: 100_000,
  },
  // Humanoid run: ManiSkill's PPO port of dm_control humanoid-run advises gamma 0.97 with 2048 envs and 40-80M
  // steps: a long background run here. Training-only curriculum, stage 1 (to 4.8M steps): episodes start from the
  // upright keyframe and end when the head drops below 0.9 m. (A first run kept dm_control's random initial pose, which drops the humanoid
  // from 1.5 m in a random orientation: with early termination nearly every episode ended within ~20 steps while
  // falling, and 2M steps taught nothing.) Stage 1's curve evaluations start upright too; the true task (random
  // pose, no termination) is what export-expert reports. The value torso is [256, 256] to save update time. A fixed
  // lr 3e-4 gave approx KL 0.05-0.1 and clip fractions 0.45-0.6 per iteration and a flat return (11 at 0.9M steps),
  // so the rate adapts to a KL target of 0.008 (rl_games' setting for IsaacGym humanoids).
  // Stage 2 (from 4.8M steps, session 3): the upright-start policy ran ~0.8 m/s for 400 steps (return 112) but
  // scored ~1 from dm_control's random pose, where it must first get up. A quarter of the episodes now start from
  // the random pose with 200 control steps to get the head above 0.9 m, a training-only bonus of 0.05 x head
  // height / 1.4 m pays each stage of getting up, and the curve evaluates the true task (random pose).
  // Stage 3 (from 6.5M steps): after 1.7M steps of stage 2 no random start got its head above 0.67 m within 200
  // steps (true-task return 0.8): the get-up samples were ~18% of each batch and paid ~0.01 per step. Half of the
  // episodes now start from the random pose, with 300 steps to rise and a bonus of 0.2 x head height / 1.4 m.
  // Stage 4 (from 16.4M steps, session 4): after 9.9M steps of stage 3 the true-task evaluation was still ~1 (head
  // at most 0.57-0.85 m within 200 steps of landing), and the runner fell within ~50 steps when started upright
  // facing any heading but +x (dm_control's com_velocity is in the world frame). A reverse curriculum replaces the
  // upright starts: 70% of episodes start from a blend of the upright keyframe and a random pose, a uniform share of
  // the way to it, set down at rest facing that pose's heading. Small shares need only balance, larger ones a
  // rise from kneeling or sitting, the largest the whole get-up; 30% keep dm_control's dropped random pose.
  // Stage 5 (from 20.07M steps): policy means lay beyond the action bounds (|mean| > 1 + 2 std) on 10-44% of the
  // steps for 9 of 21 actuators. Actions are clipped, so such a mean gets no gradient from its noise; a bounds
  // loss (0.01 x sum of relu(|mean| - 1)^2, rl_games') pulls them back where exploration acts.
  // Stage 6 (from 27.13M steps, session 5): after 10.4M steps of reverse curriculum the 26.8M policy got its head
  // above 0.9 m from 0 of 10 dropped random poses (true-task return 1.2). Pulled up at the torso by 0.3 of its
  // weight it did from 7 of 10, by 0.6 from 10 of 10 (3 of 10 still standing at step 400), so the get-up is within
  // reach with help. Getting-up starts now draw an assist share c ~ U(0, 0.8) of the body weight (`assistForce`,
  // a decaying "hand of God" curriculum) until the head, once below 0.9 m, reaches 1.2 m; later stages shrink it
  // to 0. (Before 32.68M steps the assist let go when the head passed 1.2 m after the 20-step drop: most dropped
  // poses, falling slowly when pulled, lost it at step 21, still in the air. From 33.4M steps it also lets go at
  // 1.2 m after 80 steps: one that landed on its feet had been held up until step 300, then fell.)
  // Stage 7 (from 38.24M steps, session 6): 10.6M steps into stage 6, without the assist the 37.75M policy raised
  // its head above 0.9 m from 1 of 20 dropped poses; of 10 (38.0M), seven ended 400 steps sitting or kneeling
  // with the head at 0.5-0.72 m, most of them there from step ~80 (with an assist of 0.4, 3 of 10 did). The head-height bonus pays such a pose half of standing's
  // bonus on every step. A potential-based term (headRiseShaping 5: 5 x the step's change in min(1, head / 1.4 m))
  // replaces it: each rise pays at once, each drop costs as much, a pose held still earns nothing.
  // 4.6M steps later (42.8M) the policy raised its head above 0.9 m from 9 of 20 dropped poses without the assist
  // (1 of 20 before) and the 150-episode true-task return rose from 3.3 to 50.6 (129.4 at 46.6M).
  // Stage 8 (from 48.23M steps, session 7): at 47.64M the policy raised its head above 0.9 m from 18 of 20 dropped
  // poses without the assist (12 of 20 still up at step 400), so the get-up no longer needs the help: the assist
  // range shrinks to U(0, 0.3), and dropped random poses, the true task's starts, go from 30% to 50% of the starts.
  // Stage 9 (from 49.61M steps): 150 true-task episodes of 48.14M returned 220.6 (67 above 300). Of 16 probed,
  // 7 ran (354-378, ~0.385 per step while up); 5 never rose, ending still at a head height of 0.2-0.5 m; 3 rose,
  // fell and never rose again. Early termination ends training episodes at the first fall after rising, so a
  // fallen runner's states were never trained: it now has 200 steps to get up again (`regetUpSteps`).
  'humanoid-run': {
    numEnvs: 64, rolloutLength: 64, epochs: 5, minibatches: 8, lr: 3e-4, targetKl: 0.008, gamma: 0.97,
    policyTorso: [256, 256, 256], valueTorso: [256, 256], activation: 'elu',
    earlyTerminationOnFailure: true,
    taskOptions: { initialPose: 'upright' }, evalTaskOptions: { initialPose: 'upright' },
    curriculum: [
      { fromSteps: 4_808_704, taskOptions: { initialPose: 'mixed', randomPoseFraction: 0.25, getUpSteps: 200, headHeightBonus: 0.05 }, evalTaskOptions: {} },
      { fromSteps: 6_516_736, taskOptions: { initialPose: 'mixed', randomPoseFraction: 0.5, getUpSteps: 300, headHeightBonus: 0.2 } },
      { fromSteps: 16_384_000, taskOptions: { initialPose: 'mixed', randomPoseFraction: 0.3, blendPoseFraction: 0.7, getUpSteps: 300, headHeightBonus: 0.2 } },
      { fromSteps: 20_070_400, boundsLossCoef: 0.01 },
      { fromSteps: 27_131_904, taskOptions: { initialPose: 'mixed', randomPoseFraction: 0.3, blendPoseFraction: 0.7, getUpSteps: 300, headHeightBonus: 0.2, assistForce: 0.8 } },
      { fromSteps: 38_236_160, taskOptions: { initialPose: 'mixed', randomPoseFraction: 0.3, blendPoseFraction: 0.7, getUpSteps: 300, headRiseShaping: 5, assistForce: 0.8 } },
      { fromSteps: 48_234_496, taskOptions: { initialPose: 'mixed', randomPoseFraction: 0.5, blendPoseFraction: 0.5, getUpSteps: 300, headRiseShaping: 5, assistForce: 0.3 } },
      { fromSteps: 49_610_752, taskOptions: { initialPose: 'mixed', randomPoseFraction: 0.5, blendPoseFraction: 0.5, getUpSteps: 300, regetUpSteps: 200, headRiseShaping: 5, assistForce: 0.3 } },
    ],
    // Milestones every 1M steps from session 7 (every 0.5M before): each is 0.6 MB in the repository.
    totalSteps: 100_000_000, evalEvery: 500_000, milestoneEvery: 1_000_000,
  },
  // Humanoid walls: the expert reads the privileged wall_features instead of the depth image (camera off).
  // The corridor task itself starts upright (joint noise 0.05 rad), so no start curriculum is needed. The policy
  // learns from scratch with the training-only uprightShaping (dm_control's standing x upright x small-control
  // factors times (1 + 5 x the true forward-speed reward) / 6, times a facing term). History, session 3: a run
  // warm-started from the humanoid-run 4.53M milestone with an alive bonus of 0.1 learnt to lunge ~5 m forward and
  // fall (4.7 m of forward progress after 4.6M steps; in git history at commit 110832f). Session 4: warm-started
  // from the 15.9M runner, it trained 0.4M steps without progress (train return ~10): the humanoid-run runners
  // run backwards and sideways (dm_control's run reward ignores direction), so they are a poor start for a corridor.
  // Stage 2 (from 14.07M steps, session 5): the 11.6M policy (curve best, 19 m mean progress over 30 episodes) fell
  // in 16 of 16 probe episodes within 54 steps of touching a wall, each time at a wall whose gap (3-5 m wide) lay
  // 2-4 m to the side: it ran along +x, where the shaping's speed and facing terms point. gapShaping points them at
  // the next gap's centre instead.
  // Stage 3 (from 19.74M steps, session 6): over 150 episodes the 18.64M policy made 23.5 m; in 16 probe episodes
  // it fell at walls whose gaps were 3.1-5.4 m wide, 7-104 steps after touching one. Aiming at gap centres on
  // alternate sides asks for up to ~6 m of sideways running per 4 m of corridor (about 56 degrees off the
  // corridor axis, where only cos 56 = 0.56 of the speed is progress). gapShaping 'nearest' aims at the nearest
  // point of the gap, inset 0.75 m from its edges: straight on once in line with it.
  // Stage 4 (from 22.30M steps): 150 episodes of the stage's best checkpoints (20.66M, 21.66M) made 23.9 and
  // 24.0 m; 30 probe episodes of the first all fell 2-112 steps after touching a wall, 7 of them before x = 7 m.
  // With gamma 0.97 a fall 30 steps on weighs 0.4 at the touch; wallContactPenalty 0.5 charges the touch itself.
  // Stage 5 (from 27.01M steps): 150 episodes of checkpoints 2.6M and 2.9M steps into stage 4 made 25.3 and 24.9 m.
  // In 20 probe episodes of the second, 76 of 79 wall-touch onsets came with the torso 0.1-0.5 m before the wall
  // and at the gap's edge (median 0.26 m outside it, quartiles -0.66 to -0.01 m): the path hugs the edges, as
  // aimed, but lags the aim by ~1 m sideways. The aim moves further inside the gap: 1.25 m from its edges.
  'humanoid-walls': {
    numEnvs: 64, rolloutLength: 64, epochs: 5, minibatches: 8, lr: 3e-4, targetKl: 0.008, gamma: 0.97, view: 'expert',
    policyTorso: [256, 256, 256], valueTorso: [256, 256], activation: 'elu',
    taskOptions: { camera: false, uprightShaping: true }, evalTaskOptions: { camera: false },
    curriculum: [
      { fromSteps: 14_069_760, taskOptions: { camera: false, uprightShaping: true, gapShaping: true } },
      { fromSteps: 19_742_720, taskOptions: { camera: false, uprightShaping: true, gapShaping: 'nearest' } },
      { fromSteps: 22_294_528, taskOptions: { camera: false, uprightShaping: true, gapShaping: 'nearest', wallContactPenalty: 0.5 } },
      { fromSteps: 27_013_120, taskOptions: { camera: false, uprightShaping: true, gapShaping: 'nearest', gapEdgeMargin: 1.25, wallContactPenalty: 0.5 } },
    ],
    earlyTerminationOnFailure: true, totalSteps: 50_000_000, evalEvery: 500_000,
  },
  // Insert Peg: the expert observes the privileged slot pose (view 'expert'); the camera is off. The true reward
  // pays only within ~2 cm of a grasp or of the slot, so training uses the task's shapedReward (the mean of the
  // true reward and the same terms with 30 cm margins); the curve's evaluations use the true reward.
  // Stage 2 (from 1.6M steps, session 3): the true-task evaluation stayed at 0-0.2 and the shaped training return
  // flat at ~150; half of the training episodes now start with the peg in the hand (dm_control: 10%), so that
  // carrying it to the slot and inserting it are learned before grasping.
  // Stage 3 (from 2.13M steps): the stage-2 policy dropped the peg from the hand at once and pushed it along the
  // floor to below the slot (~0.25 m away), where the widened bringing term still paid ~0.3 per step. The
  // 'carry' shaping pays for bringing only while the peg is held.
  // Stage 4 (from 6.58M steps, session 4): true-task evaluations 0.2-11.6 over 4.4M steps of stage 3; started with
  // the peg in the hand, the policy opened the hand at once (mean grasp action -0.7 to -3): the widened grasp term
  // paid hovering near the peg as much as holding it. The 'staged' shaping (true reward + 0.1 reach + 0.2 held
  // lifted peg + 0.7 carry towards the slot while held) pays holding above hovering.
  // Stage 5 (from 7.08M steps): after 0.5M steps of stage 4 the policy still let go at once. dm_control's in-hand
  // start leaves the fingers open as drawn, and most pegs fall out before the hand can close (a closed hand and a
  // still arm kept 7 of 20); graspInHand closes the hand on the peg first (20 of 20 kept), so holding is reachable.
  // Stage 6 (from 7.70M steps): 0.6M steps later the policy still opened the hand at once, with a grasp mean of
  // -2 to -4, though forcing the grasp action to +1 under the same policy kept the peg for all 300 probe steps and
  // paid ~240 shaped reward against ~10. Clipped at -1, such a mean gets no gradient from its noise; the bounds
  // loss (0.01, see humanoid-run) pulls it back into the range.
  // Stage 7 (from 8.08M steps): after 0.3M steps the grasp mean at an in-hand start was still -3 to -4 (bounds
  // loss ~1-2). A bounds loss of 0.1 brings it to the bound sooner, and gripBonus 0.2 pays closing the hand
  // while the peg is in it: once the clipped actions vary, that is a direct gradient towards holding.
  // Stage 8 (from 8.29M steps): 0.2M steps later the grasp mean at an in-hand start was still -2 to -4: those
  // states are a few steps of each 1000-step episode, so the batch-mean bounds loss hardly reaches them. The grasp
  // action's mean is reset to 0 in every state once (resetActionMeans), and learning resumes from there.
  // Stage 9 (from 10.26M steps, session 5): at 10.0M steps the policy held a gripped in-hand peg for all 1000
  // steps in 8 of 8 probes (true return 333 each, the grasping third) but brought it no nearer the slot than
  // 6-31 cm; from floor starts it rarely reached the peg (3 of 12 probes within 5 cm) and pushed it to ~10 cm
  // from the slot. A reverse curriculum for carrying and inserting: 60% of the in-hand starts place the slot
  // relative to the held peg (`inHandTargetBlend`: inserted, backed out along its axis, or part of the way to a
  // drawn slot pose).
  // Stage 10 (from 11.30M steps): 0.9M steps into stage 9, 3 of 10 near blends ended inserted, but from floor
  // starts the hand still never came within 5 cm of the peg (12 of 12 probes): the staged reach term pays
  // nothing beyond ~15 cm. It is widened and weighted up (0.3 x (1 - tanh(4 d))); holding still pays more.
  // Stage 11 (from 13.22M steps, session 6): at 13.05M steps, from starts with the hand 8-20 cm from a peg lying
  // on the floor, the hand came within 5 cm of it in 2 of 10 probes and lifted it in none: grasping from the floor,
  // 80% of the true task's starts, is the missing skill. A reverse curriculum for grasping: 60% of the floor starts
  // lay the peg by a low hand (`nearPegStart`), and in-hand starts drop from 50% to 40%.
  // Stage 12 (from 15.40M steps, session 7): at 15.26M steps the hand came within 5-8 cm of a peg lying by it in
  // 7 of 10 probes and hovered there 3-5 cm off with the grasp action at -0.8 to -1 (open; its noise, std 0.25,
  // never closes it): hovering earns the reach term, closing had never paid. Laid between the open fingers
  // instead, the same policy lifted the peg in 2 of 10 starts (once held for 298 steps). Half of the near-peg
  // starts now do that (`pregraspShare`), one step short of the in-hand starts.
  // Stage 13 (from 26.42M steps, session 8): at 25.53M steps, from true-task in-hand starts with the hand closed
  // the policy held the peg for all 1000 steps in 9 of 10 and inserted it in none (4-15 cm short; 333 each, the
  // grasping term). From slots blended onto the held peg it inserted when backed out by <= 2 cm (7 of 8) and
  // mostly stayed put from 4-8 cm. The carry stage's slope there is ~0.1 per 5 cm; `insertShaping` adds
  // 0.5 x held x (1 - tanh(20 b)), which pays ~0.15 per step for the step from 4 to 2 cm. And from a peg laid
  // between the open fingers, closing at once with the arm slack kept it in 9 of 10 starts, yet the policy
  // closed firmly in 1 of 10 (mean grasp action 0.1-0.4 over the first 30 steps) and held it in 2: its reach
  // stage gains only ~0.05 over the last 4 cm. `fineReachShaping` adds 0.3 x (1 - tanh(20 d)).
  'manipulator-insert-peg': {
    numEnvs: 64, rolloutLength: 64, epochs: 5, minibatches: 8, lr: 3e-4, targetKl: 0.01, gamma: 0.99, view: 'expert',
    policyTorso: [256, 256, 256], valueTorso: [256, 256], activation: 'elu',
    taskOptions: { camera: false, shapedReward: true }, evalTaskOptions: { camera: false },
    curriculum: [
      { fromSteps: 1_593_344, taskOptions: { camera: false, shapedReward: true, pInHand: 0.5 } },
      { fromSteps: 2_129_920, taskOptions: { camera: false, shapedReward: 'carry', pInHand: 0.5 } },
      { fromSteps: 6_578_176, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.5 } },
      { fromSteps: 7_077_888, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.5, graspInHand: true } },
      { fromSteps: 7_700_480, boundsLossCoef: 0.01 },
      { fromSteps: 8_081_408, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.5, graspInHand: true, gripBonus: 0.2 }, boundsLossCoef: 0.1 },
      { fromSteps: 8_294_400, resetActionMeans: [4] },
      { fromSteps: 10_260_480, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.5, graspInHand: true, gripBonus: 0.2, inHandTargetBlend: 0.6 } },
      { fromSteps: 11_304_960, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.5, graspInHand: true, gripBonus: 0.2, inHandTargetBlend: 0.6, reachShaping: { weight: 0.3, scale: 4 } } },
      { fromSteps: 13_221_888, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.4, graspInHand: true, gripBonus: 0.2, inHandTargetBlend: 0.6, reachShaping: { weight: 0.3, scale: 4 }, nearPegStart: 0.6 } },
      { fromSteps: 15_400_960, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.4, graspInHand: true, gripBonus: 0.2, inHandTargetBlend: 0.6, reachShaping: { weight: 0.3, scale: 4 }, nearPegStart: 0.6, pregraspShare: 0.5 } },
      { fromSteps: 26_419_200, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.4, graspInHand: true, gripBonus: 0.2, inHandTargetBlend: 0.6, reachShaping: { weight: 0.3, scale: 4 }, insertShaping: { weight: 0.5, scale: 20 }, fineReachShaping: { weight: 0.3, scale: 20 }, nearPegStart: 0.6, pregraspShare: 0.5 } },
      // Stage 14 (session 9): grasping from the floor as a reverse curriculum. The 36.2M policy closed on and lifted a
      // resting peg in 7 of 8 starts with its hand placed around it, in 1 of 8 with the hand backed off up to 8 cm.
      { fromSteps: 36_204_544, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.4, graspInHand: true, gripBonus: 0.2, inHandTargetBlend: 0.6, reachShaping: { weight: 0.3, scale: 4 }, insertShaping: { weight: 0.5, scale: 20 }, fineReachShaping: { weight: 0.3, scale: 20 }, nearPegStart: 0.1, floorGraspStart: 0.7, floorGraspClosed: 0.2, floorGraspBackoff: 0.08 } },
      // Stage 15 (session 10): after 13.8M steps of stage 14 the true task was 38.3 (43.2 before). A held peg was
      // inserted from slot blends < 3 cm out in 10 of 10 starts, from 3-10 cm in 1 of 7, and action noise up to 0.5
      // did not change that. Uniform alpha put ~19% of the blends where it already succeeds and half on the way to
      // a drawn slot, where it almost never does; alpha now spans 0.15-0.75 (2.4-8 cm out along the axis, then up
      // to a quarter of the way to the drawn pose).
      { fromSteps: 50_003_968, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.4, graspInHand: true, gripBonus: 0.2, inHandTargetBlend: 0.6, inHandTargetAlpha: [0.15, 0.75], reachShaping: { weight: 0.3, scale: 4 }, insertShaping: { weight: 0.5, scale: 20 }, fineReachShaping: { weight: 0.3, scale: 20 }, nearPegStart: 0.1, floorGraspStart: 0.7, floorGraspClosed: 0.2, floorGraspBackoff: 0.08 } },
      // Stage 16 (session 11): floor starts are 86.5% of the true task and from them the 53.3M policy earned ~3.
      // With its open hand backed off 1.4-8 cm along a resting peg's axis it hovered 3-4 cm away with the hand
      // half closed (grasp control ~0.4, paid by gripBonus anywhere within 5 cm) and lifted 2 of 12 pegs. Closing
      // is now paid only within 1.5 cm (a held peg sits within 1 cm), opening from there out to 5 cm
      // (`gripMargin`), and `alignShaping` pays the grasp and pinch sites' mean distance: the hand along the peg's
      // axis, which the true task's grasping term (1/3 a step) asks for.
      { fromSteps: 54_001_664, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.4, graspInHand: true, gripBonus: 0.2, gripMargin: 0.015, inHandTargetBlend: 0.6, inHandTargetAlpha: [0.15, 0.75], reachShaping: { weight: 0.3, scale: 4 }, insertShaping: { weight: 0.5, scale: 20 }, fineReachShaping: { weight: 0.3, scale: 20 }, alignShaping: { weight: 0.3, scale: 20 }, nearPegStart: 0.1, floorGraspStart: 0.7, floorGraspClosed: 0.2, floorGraspBackoff: 0.08 } },
      // Stage 17 (session 11): after 11.5M steps of stage 16 the true task was 44.5 (38.3 before); from open hands
      // backed off up to 8 cm the policy lifted 3 of 8 pegs (1 of 8 before). The backoff is now drawn up to 3 cm,
      // where the hand is nearly on the handle, to be widened again as it succeeds.
      { fromSteps: 65_495_040, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.4, graspInHand: true, gripBonus: 0.2, gripMargin: 0.015, inHandTargetBlend: 0.6, inHandTargetAlpha: [0.15, 0.75], reachShaping: { weight: 0.3, scale: 4 }, insertShaping: { weight: 0.5, scale: 20 }, fineReachShaping: { weight: 0.3, scale: 20 }, alignShaping: { weight: 0.3, scale: 20 }, nearPegStart: 0.1, floorGraspStart: 0.7, floorGraspClosed: 0.2, floorGraspBackoff: 0.03 } },
      // Stage 18 (session 12): PPO here has no entropy bonus and its std shrank from 0.34 (8M steps) to 0.07 (65M);
      // the KL-adapted learning rate fell with it to 1.8e-5, 1/17 of its start. The policy is no worse with action
      // noise 0.2 (true task 37.1 vs 44.5 at 65.5M), so the std is set back to 0.2 to explore again. At 68.3M a peg
      // held from an open floor grip (7 of 8 lifted) was never inserted: carrying to a drawn slot is rarely trained
      // (alpha <= 0.75 goes at most half-way), so alpha now spans 0.15-1.
      { fromSteps: 69_222_400, resetStd: 0.2, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.4, graspInHand: true, gripBonus: 0.2, gripMargin: 0.015, inHandTargetBlend: 0.6, inHandTargetAlpha: [0.15, 1], reachShaping: { weight: 0.3, scale: 4 }, insertShaping: { weight: 0.5, scale: 20 }, fineReachShaping: { weight: 0.3, scale: 20 }, alignShaping: { weight: 0.3, scale: 20 }, nearPegStart: 0.1, floorGraspStart: 0.7, floorGraspClosed: 0.2, floorGraspBackoff: 0.03 } },
      // Stage 19 (session 13): after the reset the std fell again, 0.2 -> 0.14 in 13.7M steps, and the true task
      // stayed at 38 (80.5M). An entropy bonus (entCoef 0.005) now holds the std up after it is set back to 0.2. And
      // every in-hand start had closed the hand first (graspInHand), yet dm_control's own in-hand start (~10% of the
      // true task) leaves it open: the 80.5M policy kept such a peg in 1 of 8 probes. 30% of in-hand starts now
      // stay as dm_control draws them.
      { fromSteps: 82_948_096, resetStd: 0.2, entCoef: 0.005, taskOptions: { camera: false, shapedReward: 'staged', pInHand: 0.4, graspInHand: 0.7, gripBonus: 0.2, gripMargin: 0.015, inHandTargetBlend: 0.6, inHandTargetAlpha: [0.15, 1], reachShaping: { weight: 0.3, scale: 4 }, insertShaping: { weight: 0.5, scale: 20 }, fineReachShaping: { weight: 0.3, scale: 20 }, alignShaping: { weight: 0.3, scale: 20 }, nearPegStart: 0.1, floorGraspStart: 0.7, floorGraspClosed: 0.2, floorGraspBackoff: 0.03 } },
    ],
    totalSteps: 100_000_000, evalEvery: 500_000, milestoneEvery: 1_000_000,
  },
  // Reacher easy: the fast privileged-expert stand-in (Figure 4). 2 actions, 6 observations (expert view with the
  // privileged to_target); sparse reward, 1000-step episodes. The camera is off in training and evaluation (the
  // expert never reads the image; it costs the ray casting).
  'reacher-easy': {
    numEnvs: 16, rolloutLength: 128, epochs: 10, minibatches: 4, lr: 3e-4, annealLr: true, view: 'expert',
    policyTorso: [64, 64], valueTorso: [64, 64], gamma: 0.99,
    taskOptions: { camera: false }, evalTaskOptions: { camera: false }, totalSteps: 2_000_000, evalEvery: 50_000,
  },
};

/** The preset of `task` scaled to `profile` ('full' as listed, 'quick' a tenth, 'smoke' a tiny check). */
export function ppoPreset(task: string, profile: Profile = 'full'): Partial<PPOConfig> & { task: string } {
  const p = PRESETS[task];
  if (!p) throw new RangeError(`no PPO preset for task '${task}'; presets exist for: ${Object.keys(PRESETS).join(', ')}`);
  if (!PROFILES.includes(profile)) throw new RangeError(`profile must be one of ${PROFILES.join(', ')}, got '${profile}'`);
  if (profile === 'full') return { ...p, task };
  if (profile === 'quick') return { ...p, task, totalSteps: Math.ceil(p.totalSteps / 10), evalEvery: Math.ceil(p.evalEvery / 10) };
  return { ...p, task, numEnvs: 4, rolloutLength: 32, minibatches: 2, epochs: 2, totalSteps: 4 * 32 * 3, evalEvery: 4 * 32, evalEpisodes: 2, taskOptions: { episodeLength: 50 } };
}

export function presetTasks(): string[] {
  return Object.keys(PRESETS);
}
