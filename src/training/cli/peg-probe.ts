/**
 * What an Insert Peg policy does from each kind of start (the training curriculum's and dm_control's): per start
 * type, the mean true return over `--episodes` starts of `--steps` control steps with the policy's mean action, and
 * in how many it reached the peg (grasp sites within 5 cm), held it lifted for more than 100 steps, and kept it
 * inserted for more than 100 steps, and the mean peg-to-slot distance at the end. Start i of every type uses seed `--seed` + i. A second line per type splits the
 * inserted count by the start's peg-to-slot distance (the mean of the peg and tip site distances: the frontier of
 * the `slot-blend` curriculum). `--noise S` adds Gaussian noise of std S to the mean action (seeded by `--seed`),
 * to tell whether a policy fails for lack of exploration.
 *   npm run training:peg-probe -- --policy data/experts/manipulator-insert-peg/run/best [--starts floor-grip-open,floor] [--noise 0.3]
 */
import '../variants'; // the faithful tasks and their training variants
import { makeTask } from '../../envs/registry';
import { pegRewardTerms } from '../../envs/manipulator';
import { pegToSlotDistance, stagedShaping, type ManipulatorInsertPegTraining, type PegTrainingOptions } from '../variants/manipulator';
import { loadCheckpoint, initBackend } from '../../policies';
import { Rng } from '../../util/rng';
import { parseFlags } from '../../cli/args';

/** Start types, each as task options (the camera is always off). */
export const PEG_STARTS: Record<string, PegTrainingOptions> = {
  /** dm_control's floor start (86.5% of the true task's episodes). */
  floor: { pInHand: 0, pInTarget: 0 },
  /** dm_control's in-hand start: the fingers as drawn. */
  'in-hand': { pInHand: 1, pInTarget: 0 },
  /** The curriculum's in-hand start with the hand closed first (`graspInHand`). */
  'in-hand-closed': { pInHand: 1, pInTarget: 0, graspInHand: true },
  /** In hand, closed, the slot blended onto the held peg (`inHandTargetBlend`): inserted to 8 cm out and beyond. */
  'slot-blend': { pInHand: 1, pInTarget: 0, graspInHand: true, inHandTargetBlend: 1 },
  /** The peg lying by a low hand (`nearPegStart`). */
  'near-peg': { pInHand: 0, pInTarget: 0, nearPegStart: 1 },
  /** A settled floor peg with the hand closed around it (`floorGraspStart`, `floorGraspClosed`). */
  'floor-grip-closed': { pInHand: 0, pInTarget: 0, floorGraspStart: 1, floorGraspClosed: 1 },
  /** The same with the hand open around it. */
  'floor-grip-open': { pInHand: 0, pInTarget: 0, floorGraspStart: 1 },
  /** The same with the open hand backed off up to 8 cm along the peg's axis (`floorGraspBackoff`). */
  'floor-grip-backed': { pInHand: 0, pInTarget: 0, floorGraspStart: 1, floorGraspBackoff: 0.08 },
  /** dm_control's in-slot start: the peg inserted, the arm drawn anywhere. */
  'in-slot': { pInHand: 0, pInTarget: 1 },
};

const USAGE = `usage: npm run training:peg-probe -- --policy DIR [--starts ${Object.keys(PEG_STARTS).join(',')}] [--episodes 10] [--steps 1000] [--seed 500] [--noise 0]`;
const REACHED = 0.05;
const HELD_STEPS = 100;
/** Upper edges (m) of the start-distance bins of the inserted counts; the last bin is open. */
export const PEG_DISTANCE_BINS = [0.03, 0.06, 0.1];

/** The label of each distance bin ("< 3 cm", "3-6 cm", ..., "> 10 cm"). */
export function distanceBinLabels(edges: readonly number[] = PEG_DISTANCE_BINS): string[] {
  const cm = (m: number) => `${Math.round(m * 100)}`;
  return [...edges.map((e, i) => (i === 0 ? `< ${cm(e)} cm` : `${cm(edges[i - 1])}-${cm(e)} cm`)), `> ${cm(edges[edges.length - 1])} cm`];
}

/** The bin of distance `d` (m). */
export function distanceBin(d: number, edges: readonly number[] = PEG_DISTANCE_BINS): number {
  const i = edges.findIndex((e) => d < e);
  return i < 0 ? edges.length : i;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { policy: '', starts: Object.keys(PEG_STARTS).join(','), episodes: 10, steps: 1000, seed: 500, noise: 0 }, USAGE);
  if (!flags.policy) throw new RangeError(`--policy is required\n${USAGE}`);
  for (const k of ['episodes', 'steps'] as const) {
    if (!Number.isInteger(flags[k]) || flags[k] <= 0) throw new RangeError(`--${k} must be a positive integer, got ${flags[k]}`);
  }
  if (!(Number.isFinite(flags.noise) && flags.noise >= 0)) throw new RangeError(`--noise must be a finite number >= 0 (std of the action noise), got ${flags.noise}`);
  const starts = flags.starts.split(',').map((s) => s.trim());
  for (const s of starts) if (!(s in PEG_STARTS)) throw new RangeError(`--starts: unknown start '${s}'; accepted: ${Object.keys(PEG_STARTS).join(', ')}`);
  await initBackend();
  const { policy } = await loadCheckpoint(flags.policy);
  const acting = flags.noise > 0 ? `mean action + noise ${flags.noise}` : 'mean action';
  console.log(`${flags.policy}: ${flags.episodes} starts of each type, ${flags.steps} steps, ${acting}, seeds ${flags.seed}-${flags.seed + flags.episodes - 1}`);
  const labels = distanceBinLabels();
  for (const name of starts) {
    const task = (await makeTask('manipulator-insert-peg', { camera: false, ...PEG_STARTS[name] })) as ManipulatorInsertPegTraining;
    const s = task.arm.site;
    let total = 0, reached = 0, lifted = 0, inserted = 0, finalDistance = 0;
    const binStarts = labels.map(() => 0), binInserted = labels.map(() => 0);
    const noise = new Rng(flags.seed);
    for (let e = 0; e < flags.episodes; e++) {
      task.reset(new Rng(flags.seed + e));
      const bin = distanceBin(pegToSlotDistance(task.arm));
      binStarts[bin]++;
      let near = false, held = 0, inSlot = 0;
      for (let k = 0; k < flags.steps; k++) {
        const o = task.observe();
        const groups: Record<string, Float32Array> = {};
        for (const g of policy.view) groups[g] = o[g] as Float32Array;
        const mean = Array.from(policy.distribution({ batch: 1, groups }).mean);
        task.step(flags.noise > 0 ? mean.map((m) => m + flags.noise * noise.normal()) : mean);
        const terms = pegRewardTerms(task.arm);
        total += terms.reward;
        if (task.arm.siteDistance(s.grasp, s.pegGrasp) < REACHED) near = true;
        held += stagedShaping(task.arm).held;
        if ((terms.bring + terms.bringTip) / 2 > 0.5) inSlot++;
      }
      finalDistance += pegToSlotDistance(task.arm);
      if (near) reached++;
      if (held > HELD_STEPS) lifted++;
      if (inSlot > HELD_STEPS) {
        inserted++;
        binInserted[bin]++;
      }
    }
    task.close();
    const n = flags.episodes;
    console.log(`${name}: return ${(total / n).toFixed(1)}; reached the peg ${reached}/${n}; held it lifted > ${HELD_STEPS} steps ${lifted}/${n}; inserted > ${HELD_STEPS} steps ${inserted}/${n}; ` +
      `peg to slot at the end ${((100 * finalDistance) / n).toFixed(2)} cm (mean)`);
    const parts = labels.flatMap((l, i) => (binStarts[i] > 0 ? [`${l} ${binInserted[i]}/${binStarts[i]}`] : []));
    console.log(`  ${name} inserted by start distance: ${parts.join(', ')}`);
  }
}

// Run only as a program: tests import the distance bins.
if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
