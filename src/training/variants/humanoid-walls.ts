/**
 * Training variant of the humanoid walls corridor (src/envs/humanoid-walls.ts): an alive bonus, upright and gap
 * shaping (`wallsUprightReward`, aimed at the next gap) and a wall-contact penalty. None of it is the task's
 * reward; experts trained with it are evaluated on the faithful task.
 *
 * It registers beside `humanoid-walls` (`registerVariant`): a config that sets any option below builds
 * `HumanoidWallsTraining` under the faithful task's name, so stored configs keep their keys.
 */
import { forEachContact, type Mujoco } from '../../physics/mujoco';
import { HUMANOID_RUN_SPEED, humanoidRewardTerms, type HumanoidPhysics } from '../../envs/humanoid';
import { HUMANOID_WALLS_TAGS, HumanoidWallsTask, type HumanoidWallsOptions } from '../../envs/humanoid-walls';
import { registerVariant } from '../../envs/registry';
import { tolerance } from '../../envs/rewards';

export interface HumanoidWallsTrainingOptions extends HumanoidWallsOptions {
  /**
   * Training-only reward added on every step (default 0). The true reward pays forward speed only, so a
   * falling humanoid's forward dive pays as much per step as a stride; a small bonus for each step not yet
   * failed (gym's Humanoid "alive bonus") makes staying up worth learning first. Evaluate with 0.
   */
  aliveBonus?: number;
  /**
   * Training-only reward (default false): dm_control's humanoid reward with its move term on the forward
   * speed, times a facing term, `wallsUprightReward`. The true reward pays a forward dive as much as a stride,
   * and PPO warm-started from humanoid-run runners (which run backwards and sideways) learnt to lunge ~5 m and
   * fall; here a stride pays only upright, head high and facing along the corridor. Evaluate with false.
   */
  uprightShaping?: boolean;
  /**
   * Training-only, with uprightShaping (default false): the shaping's move and facing terms point at the next
   * wall's gap instead of +x (the speed term pays the centre-of-mass velocity towards it, with the true reward's
   * tolerance). Runners trained on +x ran into walls whose gap lay 2-4 m to the side and fell. true (or
   * 'centre') aims at the gap's centre; 'nearest' at the point of the gap, inset by GAP_EDGE_MARGIN from its
   * edges, nearest the torso's lateral position: straight ahead once the torso is in line with the gap, so
   * that the path zigzags only as far as the walls force it (with gaps 3-5 m wide on alternate sides, aiming at
   * their centres asks ~6 m of lateral travel per 4 m of corridor, the nearest points ~3.5 m).
   */
  gapShaping?: boolean | 'centre' | 'nearest';
  /** With gapShaping 'nearest': how far (m) inside the gap's edges its aiming point stays (default GAP_EDGE_MARGIN). */
  gapEdgeMargin?: number;
  /**
   * Training-only (default 0): subtracted from the reward on every control step that ends with the humanoid
   * touching a corridor wall (the walls across it, not the invisible side walls). Probes found falls 2-110 steps
   * after a wall touch; the fall's cost reaches the touch only through the discounted value, this at once.
   */
  wallContactPenalty?: number;
}

/** `gapShaping: 'nearest'`: how far (m) inside a gap's edges its aiming point stays by default (half a humanoid's width and more). */
export const GAP_EDGE_MARGIN = 0.75;

/**
 * The `uprightShaping` training reward: standing x upright x smallControl x (1 + 5 v) / 6 x (1 + cos yaw) / 2,
 * with standing, upright and smallControl dm_control's humanoid factors, v the true (forward speed) reward and
 * yaw the torso's heading from +x (from `heading`, with gapShaping). A humanoid standing still, upright and
 * facing +x earns 1/6 per step.
 */
export function wallsUprightReward(hp: HumanoidPhysics, trueReward: number, heading = 0): number {
  const t = humanoidRewardTerms(hp, HUMANOID_RUN_SPEED);
  return t.standing * t.upright * t.smallControl * ((1 + 5 * trueReward) / 6) * ((1 + Math.cos(hp.torsoYaw() - heading)) / 2);
}

/** The training variant of `humanoid-walls`: the faithful corridor with the shaping above. */
export class HumanoidWallsTraining extends HumanoidWallsTask {
  readonly aliveBonus: number;
  readonly wallContactPenalty: number;
  readonly uprightShaping: boolean;
  readonly gapShaping: false | 'centre' | 'nearest';
  readonly gapEdgeMargin: number;
  private readonly comVelocity = new Float64Array(3);

  constructor(mj: Mujoco, options: HumanoidWallsTrainingOptions = {}, name = 'humanoid-walls', tags: string[] = HUMANOID_WALLS_TAGS) {
    super(mj, options, name, tags);
    this.aliveBonus = options.aliveBonus ?? 0;
    if (!(Number.isFinite(this.aliveBonus) && this.aliveBonus >= 0)) throw new RangeError(`aliveBonus must be a finite number >= 0, got ${options.aliveBonus}`);
    this.wallContactPenalty = options.wallContactPenalty ?? 0;
    if (!(Number.isFinite(this.wallContactPenalty) && this.wallContactPenalty >= 0)) throw new RangeError(`wallContactPenalty must be a finite number >= 0, got ${options.wallContactPenalty}`);
    this.uprightShaping = options.uprightShaping ?? false;
    if (typeof this.uprightShaping !== 'boolean') throw new RangeError(`uprightShaping must be true or false, got ${String(options.uprightShaping)}`);
    const gs = options.gapShaping ?? false;
    if (gs !== true && gs !== false && gs !== 'centre' && gs !== 'nearest') {
      throw new RangeError(`gapShaping must be true, false, 'centre' or 'nearest', got ${String(options.gapShaping)}`);
    }
    this.gapShaping = gs === true ? 'centre' : gs;
    this.gapEdgeMargin = options.gapEdgeMargin ?? GAP_EDGE_MARGIN;
    if (!(Number.isFinite(this.gapEdgeMargin) && this.gapEdgeMargin >= 0)) throw new RangeError(`gapEdgeMargin must be a finite number >= 0, got ${options.gapEdgeMargin}`);
    if (this.gapShaping && !this.uprightShaping) throw new RangeError('gapShaping shapes uprightShaping\'s terms: set uprightShaping: true with it');
  }

  /**
   * Unit vector (x, y) from the torso to the next gap: to its centre, or with `aim` 'nearest' to the point of it
   * (inset by `gapEdgeMargin`) nearest the torso's y. gapShaping's direction (default: the option's aim).
   */
  gapDirection(aim: 'centre' | 'nearest' = this.gapShaping || 'centre'): [number, number] {
    const xpos: Float64Array = (this.humanoid.physics.data as any).xpos;
    const t = 3 * this.humanoid.torsoId;
    const g = this.gap(this.nextWallIndex(xpos[t]));
    let gy = g.y;
    if (aim === 'nearest') {
      const half = Math.max(0, g.width / 2 - this.gapEdgeMargin);
      gy = Math.min(g.y + half, Math.max(g.y - half, xpos[t + 1]));
    }
    const dx = g.x - xpos[t], dy = gy - xpos[t + 1];
    const n = Math.hypot(dx, dy) || 1;
    return [dx / n, dy / n];
  }

  /** The faithful reward, or with uprightShaping / gapShaping the shaped one; plus aliveBonus, minus wallContactPenalty. */
  override reward(): number {
    const r = super.reward();
    let shaped = r;
    if (this.gapShaping) {
      const [ux, uy] = this.gapDirection();
      const v = this.humanoid.centerOfMassVelocity(this.comVelocity);
      shaped = wallsUprightReward(this.humanoid, tolerance(v[0] * ux + v[1] * uy, this.velocityReward), Math.atan2(uy, ux));
    } else if (this.uprightShaping) shaped = wallsUprightReward(this.humanoid, r);
    return shaped + (this.aliveBonus > 0 && !this.failed() ? this.aliveBonus : 0) - (this.wallContactPenalty > 0 && this.touchingWall() ? this.wallContactPenalty : 0);
  }

  /** Whether any contact involves a wall across the corridor (only the humanoid can touch one). */
  touchingWall(): boolean {
    let touching = false;
    forEachContact(this.humanoid.physics.data, (g1, g2) => (touching = this.wallGeomSet.has(g1) || this.wallGeomSet.has(g2)));
    return touching;
  }
}

registerVariant({
  task: 'humanoid-walls',
  name: 'humanoid-walls/training',
  shaped: true,
  description: 'humanoid-walls with training-only shaping: alive bonus, upright and gap shaping, wall-contact penalty',
  options: { aliveBonus: 'number', uprightShaping: 'boolean', gapShaping: "boolean | 'centre' | 'nearest'", gapEdgeMargin: 'number', wallContactPenalty: 'number' },
  create: (mj, options) => new HumanoidWallsTraining(mj, options as HumanoidWallsTrainingOptions),
  module: __filename,
});
