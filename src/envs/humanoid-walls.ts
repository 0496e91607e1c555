/**
 * Humanoid running through a corridor obstructed by walls, seen through an egocentric depth camera: the
 * paper's privileged-expert / vision-student task (Section 5.4). Adapted from dm_control locomotion's
 * `WallsCorridor` arena + `RunThroughCorridor` task (examples/basic_cmu_2019.py, cmu_humanoid_run_walls).
 *
 * Carried over from dm_control (facts): corridor 10 m wide and 100 m long with invisible side walls; walls
 * 0.16 m thick and 3 m high every 4 m starting 2 m ahead (no initial padding), alternately attached to the
 * +y and -y side, each reaching U(1, 7) m into the corridor, so the gap is the remaining 10 - width metres on
 * the other side; spawn at x = 0.5 m facing +x; reward = tolerance(forward centre-of-mass velocity,
 * bounds [3, 3], margin 3, linear, value 0 at the margin); physics step 0.005 s; the camera's far plane is 4 m.
 *
 * What differs, and why:
 * - Body: the dm_control SUITE humanoid (21 torque motors, src/envs/humanoid.ts) instead of the 56-dof
 *   position-controlled CMU humanoid, so the same body and proprioception as the Humanoid Run experiments
 *   are used and no CMU mocap assets are needed. It starts from the upright standing keyframe with small
 *   joint noise (dm_control re-initialises the CMU walker upright too).
 * - Control step 0.025 s and 1000 steps (25 s), matching the suite humanoid, instead of 0.03 s and 30 s.
 * - Vision: a 32 x 32 ray-cast DEPTH image from the head's `egocentric` camera (fovy 80) instead of a 64 x 64
 *   RGB render; the humanoid's own geoms are in a geom group the camera does not see.
 * - Failure: RunThroughCorridor ends the episode when a non-foot geom touches the ground. Here that is the
 *   training-only `failed()` signal; episodes otherwise run to the time limit (a fallen humanoid earns ~0).
 * - Privileged `wall_features` (not in dm_control) give an expert what the camera shows, as numbers.
 * - The MJCF is compiled once; each episode draws fresh wall widths (as composer does when the arena
 *   regenerates) and slides the walls sideways. Every wall box is as wide as the widest draw, so the part a
 *   narrower wall does not need sits outside the corridor, beyond the invisible side wall (recompiling per
 *   episode cost ~35 ms, more than 200 control steps). The gaps are exactly dm_control's.
 *
 * Training-only shaping (alive bonus, upright and gap shaping, wall-contact penalty) is the training variant in
 * src/training/variants/humanoid-walls.ts.
 */
import { compileModel, nameToId, type Mujoco } from '../physics/mujoco';
import { RayCamera } from '../physics/raycam';
import type { Rng } from '../util/rng';
import {
  HUMANOID_ACTUATORS, HUMANOID_CONTROL_TIMESTEP, HUMANOID_PROPRIO_VIEW, HUMANOID_STATE_GROUPS,
  HumanoidPhysics, HumanoidTaskBase, humanoidEpisodeLength, humanoidXml,
  observeProprio,
} from './humanoid';
import { registerTask } from './registry';
import { tolerance } from './rewards';
import type { ObservationGroups, TaskOptions, TaskSpec } from './types';

/** dm_control's corridor wall thickness and side-wall height. */
const WALL_THICKNESS = 0.16;
const SIDE_WALL_HEIGHT = 4;
const CORRIDOR_X_PADDING = 2;
/** Geom groups: the humanoid (hidden from the camera) and the invisible side walls (dm_control uses 3). */
const BODY_GROUP = 1;
const SIDE_WALL_GROUP = 3;
/** Features per upcoming wall: gap centre (x, y) in the heading frame, gap width. */
const PER_WALL = 3;

export interface HumanoidWallsOptions extends TaskOptions {
  /** Target forward speed in m/s (default 3, RunThroughCorridor's). */
  targetSpeed?: number;
  /** Corridor width in metres (default 10). */
  corridorWidth?: number;
  /** Corridor length in metres (default 100). */
  corridorLength?: number;
  /** Distance between consecutive walls in metres (default 4, dm_control's `wall_gap`). */
  wallSpacing?: number;
  /** How far each wall reaches into the corridor, drawn uniformly per wall (default [1, 7]). */
  wallWidthRange?: [number, number];
  /** Wall height in metres (default 3). */
  wallHeight?: number;
  /** Depth image width and height in pixels (default 32 x 32). */
  imageSize?: [number, number];
  /** Depth that reads 1 in the image (default 4 m, dm_control's camera zfar). */
  maxDepth?: number;
  /** Number of upcoming walls described in `wall_features` (default 2). */
  wallsAhead?: number;
  /** Uniform noise (+- rad) on the initial joint angles (default 0.05). */
  jointNoise?: number;
  /** Control steps per episode (default 1000 = 25 s). */
  episodeLength?: number;
  /** Render the egocentric depth image and serve the 'student' view (default true; false saves the ray casting). */
  camera?: boolean;
}

export interface Wall { x: number; width: number; side: 1 | -1 }

export class HumanoidWallsTask extends HumanoidTaskBase {
  readonly spec: TaskSpec;
  readonly targetSpeed: number;
  readonly corridorWidth: number;
  readonly corridorLength: number;
  readonly wallSpacing: number;
  readonly wallWidthRange: [number, number];
  readonly wallHeight: number;
  readonly wallsAhead: number;
  readonly jointNoise: number;
  readonly spawnX = 0.5;
  private readonly mj: Mujoco;
  private readonly imageSize: [number, number];
  private readonly maxDepth: number;
  /** Rebuilt with the arena every episode. */
  humanoid!: HumanoidPhysics;
  private camera: RayCamera | null = null;
  private readonly useCamera: boolean;
  /** Geom ids of the walls across the corridor (rebuilt with the arena). */
  protected wallGeomSet = new Set<number>();
  protected walls: Wall[] = [];
  private wallGeomIds: number[] = [];
  protected readonly velocityReward: { bounds: [number, number]; margin: number; sigmoid: 'linear'; valueAtMargin: number };

  constructor(mj: Mujoco, options: HumanoidWallsOptions = {}, name = 'humanoid-walls', tags: string[] = ['humanoid', 'locomotion', 'vision']) {
    super();
    this.mj = mj;
    this.targetSpeed = positive(options.targetSpeed ?? 3, 'targetSpeed');
    this.corridorWidth = positive(options.corridorWidth ?? 10, 'corridorWidth');
    this.corridorLength = positive(options.corridorLength ?? 100, 'corridorLength');
    this.wallSpacing = positive(options.wallSpacing ?? 4, 'wallSpacing');
    this.wallWidthRange = options.wallWidthRange ?? [1, 7];
    const [wlo, whi] = Array.isArray(this.wallWidthRange) ? this.wallWidthRange : [NaN, NaN];
    if (!(wlo > 0 && wlo <= whi && whi < this.corridorWidth)) {
      throw new RangeError(`wallWidthRange must satisfy 0 < lo <= hi < corridorWidth (${this.corridorWidth}), got [${wlo}, ${whi}]`);
    }
    this.wallHeight = positive(options.wallHeight ?? 3, 'wallHeight');
    this.imageSize = options.imageSize ?? [32, 32];
    if (!Array.isArray(this.imageSize) || this.imageSize.length !== 2 || !this.imageSize.every((x) => Number.isInteger(x) && x > 0)) {
      throw new RangeError(`imageSize must be [width, height] in whole pixels, got ${JSON.stringify(options.imageSize)}`);
    }
    this.maxDepth = positive(options.maxDepth ?? 4, 'maxDepth');
    this.wallsAhead = options.wallsAhead ?? 2;
    if (!Number.isInteger(this.wallsAhead) || this.wallsAhead < 1) throw new RangeError(`wallsAhead must be a positive integer, got ${this.wallsAhead}`);
    this.useCamera = options.camera ?? true;
    if (typeof this.useCamera !== 'boolean') throw new RangeError(`camera must be true or false, got ${String(options.camera)}`);
    this.jointNoise = options.jointNoise ?? 0.05;
    if (!(this.jointNoise >= 0)) throw new RangeError(`jointNoise must be >= 0, got ${this.jointNoise}`);
    const episodeLength = humanoidEpisodeLength(options.episodeLength);
    this.velocityReward = { bounds: [this.targetSpeed, this.targetSpeed], margin: this.targetSpeed, sigmoid: 'linear', valueAtMargin: 0 };

    const [w, h] = this.imageSize;
    const proprio = HUMANOID_STATE_GROUPS.map((g) => ({ ...g, shape: [...g.shape] }));
    const views: Record<string, string[]> = {
      default: [...HUMANOID_PROPRIO_VIEW, 'wall_features'],
      proprio: [...HUMANOID_PROPRIO_VIEW],
      expert: [...HUMANOID_PROPRIO_VIEW, 'wall_features'],
    };
    if (this.useCamera) views.student = [...HUMANOID_PROPRIO_VIEW, 'egocentric_depth'];
    this.spec = {
      name,
      tags: [...tags],
      actionDim: HUMANOID_ACTUATORS.length,
      observationGroups: [
        ...proprio,
        { name: 'wall_features', shape: [PER_WALL * this.wallsAhead + 3], kind: 'state', privileged: true },
        ...(this.useCamera ? [{ name: 'egocentric_depth', shape: [h, w, 1], kind: 'image' as const, privileged: false }] : []),
      ],
      controlTimestep: HUMANOID_CONTROL_TIMESTEP,
      episodeLength,
      views,
      episodeMetric: { name: 'forward_progress', unit: 'm', description: 'torso x at the end of the episode minus the spawn point' },
    };
    // A first layout so that the task can be observed before reset (walls at their mean width).
    this.build(this.layout(null));
    this.humanoid.setUprightPose(this.spawnX, 0, 0);
  }

  /** The current walls (x of the wall centre, how far it reaches in, the side it is attached to). */
  get wallLayout(): ReadonlyArray<Readonly<Wall>> {
    return this.walls;
  }

  /** WallsCorridor.regenerate: walls every `wallSpacing` m from x = spacing - 2, alternating sides starting at +y. */
  private layout(rng: Rng | null): Wall[] {
    const walls: Wall[] = [];
    let side: 1 | -1 = -1;
    const [lo, hi] = this.wallWidthRange;
    for (let x = this.wallSpacing - CORRIDOR_X_PADDING; x < this.corridorLength; x += this.wallSpacing) {
      side = side === 1 ? -1 : 1;
      walls.push({ x, width: rng ? rng.range(lo, hi) : (lo + hi) / 2, side });
    }
    return walls;
  }

  private arenaXml(walls: Wall[]): string {
    const L = this.corridorLength, W = this.corridorWidth, H = SIDE_WALL_HEIGHT, P = CORRIDOR_X_PADDING;
    const side = (name: string, pos: number[], xyaxes: string, size: number[]) =>
      `<geom name="${name}" type="plane" pos="${pos.join(' ')}" xyaxes="${xyaxes}" size="${size.join(' ')} 1" group="${SIDE_WALL_GROUP}" rgba="1 0 0 0"/>`;
    return [
      side('left_wall', [L / 2, W / 2, H / 2], '1 0 0 0 0 1', [L / 2 + P, H / 2]),
      side('right_wall', [L / 2, -W / 2, H / 2], '-1 0 0 0 0 1', [L / 2 + P, H / 2]),
      side('near_wall', [-P, 0, H / 2], '0 1 0 0 0 1', [W / 2, H / 2]),
      side('far_wall', [L + P, 0, H / 2], '0 -1 0 0 0 1', [W / 2, H / 2]),
      ...walls.map((w, i) =>
        `<geom name="wall_${i}" type="box" pos="${w.x} ${this.wallCentreY(w)} ${this.wallHeight / 2}" size="${WALL_THICKNESS / 2} ${this.wallWidthRange[1] / 2} ${this.wallHeight / 2}" rgba="1 1 1 1"/>`),
    ].join('\n    ');
  }

  /** Centre (y) of a wall box of the widest width whose inner edge leaves the wall's gap. */
  private wallCentreY(w: Wall): number {
    return w.side * (this.corridorWidth / 2 - w.width + this.wallWidthRange[1] / 2);
  }

  /** Slide the compiled wall boxes to a new layout (same x positions and sides; needs mj_forward after). */
  private placeWalls(walls: Wall[]): void {
    const m = this.humanoid.physics.model as any;
    const geomPos: Float64Array = m.geom_pos;
    for (let i = 0; i < walls.length; i++) {
      const g = this.wallGeomIds[i];
      if (geomPos[3 * g] !== walls[i].x) throw new Error(`wall ${i} is at x = ${geomPos[3 * g]}, layout says ${walls[i].x}`);
      geomPos[3 * g + 1] = this.wallCentreY(walls[i]);
    }
    this.walls = walls;
  }

  private build(walls: Wall[]): void {
    this.walls = walls;
    const xml = humanoidXml({
      bodyGeomGroup: BODY_GROUP,
      arenaXml: this.arenaXml(walls),
      floorSize: [this.corridorLength / 2 + CORRIDOR_X_PADDING, this.corridorWidth / 2],
      floorPos: [this.corridorLength / 2, 0],
    });
    const physics = compileModel(this.mj, xml, this.spec.name);
    this.humanoid = new HumanoidPhysics(physics);
    this.wallGeomIds = walls.map((_, i) => nameToId(physics, 'geom', `wall_${i}`));
    this.wallGeomSet = new Set(this.wallGeomIds);
    const [w, h] = this.imageSize;
    this.camera = this.useCamera
      ? new RayCamera(physics, {
          width: w, height: h, fovy: 80, maxDepth: this.maxDepth, attach: { camera: 'egocentric' }, geomGroups: [0], excludeBody: 'head',
        })
      : null;
  }

  reset(rng: Rng): void {
    this.placeWalls(this.layout(rng));
    this.humanoid.setUprightPose(this.spawnX, 0, 0, rng, this.jointNoise);
    this.steps = 0;
  }

  /** Metres travelled along the corridor since the spawn point (torso x). */
  forwardProgress(): number {
    return (this.humanoid.physics.data as any).xpos[3 * this.humanoid.torsoId] - this.spawnX;
  }

  /** The episode's score besides its return: metres travelled along the corridor (spec.episodeMetric). */
  episodeMetric(): number {
    return this.forwardProgress();
  }

  /** Forward (x) velocity of the centre of mass, the quantity RunThroughCorridor rewards. */
  forwardVelocity(): number {
    return this.humanoid.forwardVelocity();
  }

  /** Index of the first wall whose far face is ahead of x (walls.length past the last). */
  protected nextWallIndex(x: number): number {
    let i = 0;
    while (i < this.walls.length && this.walls[i].x + WALL_THICKNESS / 2 < x) i++;
    return i;
  }

  /** Centre (x at the wall, y) and width of wall i's gap; past the last wall, the corridor's open end. */
  protected gap(i: number): { x: number; y: number; width: number } {
    const W = this.corridorWidth;
    if (i >= this.walls.length) return { x: this.corridorLength, y: 0, width: W };
    const wall = this.walls[i];
    // The gap is on the side opposite the wall.
    return { x: wall.x, y: (-wall.side * wall.width) / 2, width: W - wall.width };
  }

  /**
   * Privileged features: for each of the next `wallsAhead` walls not yet passed by the torso, the vector from
   * the torso to the gap's centre (at the wall) in the torso's heading frame and the gap's width; then the
   * corridor axis (+x) in the heading frame (cos yaw, -sin yaw) and the torso's lateral offset / half width.
   * Past the last wall, entries describe an open "wall" at the corridor's end with the full width as gap.
   */
  wallFeatures(out: Float32Array = new Float32Array(PER_WALL * this.wallsAhead + 3)): Float32Array {
    const data = this.humanoid.physics.data as any;
    const xpos: Float64Array = data.xpos;
    const t = 3 * this.humanoid.torsoId;
    const tx = xpos[t], ty = xpos[t + 1];
    const yaw = this.humanoid.torsoYaw();
    const c = Math.cos(yaw), s = Math.sin(yaw);
    const W = this.corridorWidth;
    const first = this.nextWallIndex(tx);
    for (let k = 0; k < this.wallsAhead; k++) {
      const { x: gx, y: gy, width: gw } = this.gap(first + k);
      const dx = gx - tx, dy = gy - ty;
      out[PER_WALL * k] = c * dx + s * dy;
      out[PER_WALL * k + 1] = -s * dx + c * dy;
      out[PER_WALL * k + 2] = gw;
    }
    const o = PER_WALL * this.wallsAhead;
    out[o] = c;
    out[o + 1] = -s;
    out[o + 2] = ty / (W / 2);
    return out;
  }

  /** Render the egocentric depth image (H x W x 1, 1 = nothing within maxDepth). */
  depthImage(out?: Float32Array): Float32Array {
    if (!this.camera) throw new Error('humanoid-walls was made with camera: false; it has no depth image');
    return this.camera.render(out);
  }

  observe(): ObservationGroups {
    const obs = observeProprio(this.humanoid);
    obs.wall_features = this.wallFeatures();
    if (this.camera) obs.egocentric_depth = this.camera.render();
    return obs;
  }

  /** RunThroughCorridor.get_reward: linear tolerance of the forward COM velocity around the target speed. */
  reward(): number {
    return tolerance(this.humanoid.forwardVelocity(), this.velocityReward);
  }

  /** Training-only: a non-foot geom touches the floor (RunThroughCorridor's contact termination). */
  failed(): boolean {
    return this.humanoid.lowestNonFootHeight() < 0;
  }

  /** The step counter and the wall layout. */
  protected override taskState(): number[] {
    const extra = super.taskState();
    for (const w of this.walls) extra.push(w.x, w.width, w.side);
    return extra;
  }

  override close(): void {
    this.camera?.dispose();
    super.close();
  }
}

function positive(x: number, name: string): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`${name} must be a finite positive number, got ${x}`);
  return x;
}

export const HUMANOID_WALLS_TAGS = ['humanoid', 'locomotion', 'vision', 'privileged', 'paper'];
registerTask({
  name: 'humanoid-walls',
  tags: HUMANOID_WALLS_TAGS,
  description: 'suite humanoid running at 3 m/s through a corridor of walls with gaps; egocentric depth camera + privileged wall features',
  options: { targetSpeed: 'number', corridorWidth: 'number', corridorLength: 'number', wallSpacing: 'number', wallWidthRange: '[number, number]', wallHeight: 'number', imageSize: '[integer, integer]', maxDepth: 'number', wallsAhead: 'integer', jointNoise: 'number', episodeLength: 'integer', camera: 'boolean' },
  create: (mj, options) => new HumanoidWallsTask(mj, options as HumanoidWallsOptions, 'humanoid-walls', HUMANOID_WALLS_TAGS),
});
