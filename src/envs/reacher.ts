/**
 * dm_control suite Reacher, easy and hard (suite/reacher.py, reacher.xml): a fast stand-in with the structure of
 * the paper's privileged-expert setting (Figure 4, Section 5.4): the expert observes the vector to the target
 * (PRIVILEGED group `to_target`), the vision student sees a top-down depth image showing the arm and the target.
 *
 * Carried over from dm_control (facts): planar two-link arm (0.12 m links, capsule radius 0.01, finger sphere
 * 0.01) with an unlimited shoulder and a +-160 deg wrist, motor gear 0.05, joint damping 0.01, contacts disabled,
 * Euler step 0.02 s = control step, 20 s time limit (1000 steps); target sphere of radius 0.05 (easy) / 0.015
 * (hard) at angle ~ U(0, 2 pi), radius ~ U(0.05, 0.2); joints drawn by randomize_limited_and_rotational_joints;
 * observations position (qpos), to_target (target - finger, xy), velocity (qvel); sparse reward
 * tolerance(|finger - target|, bounds (0, target radius + finger radius)).
 *
 * Added here: the 'image' group (a 32 x 32 ray-cast depth image from dm_control's top-down 'fixed' camera pose,
 * floor and walls hidden, depth remapped from a tight window so the 2 cm high arm reads well against empty space).
 */
import { compileModel, nameToId, type Mujoco, type Physics } from '../physics/mujoco';
import { RayCamera } from '../physics/raycam';
import type { Rng } from '../util/rng';
import { ControlTask, resolveEpisodeLength } from './control-task';
import { registerTask } from './registry';
import { tolerance } from './rewards';
import type { ObservationGroupSpec, ObservationGroups, TaskOptions, TaskSpec } from './types';

// ---------------------------------------------------------------------------------------------------------
// Facts from dm_control (suite/reacher.py, reacher.xml).
// ---------------------------------------------------------------------------------------------------------
export const REACHER_TIMESTEP = 0.02;
export const REACHER_CONTROL_TIMESTEP = 0.02;
/** 20 s time limit / 0.02 s control step. */
export const REACHER_EPISODE_LENGTH = 1000;
/** Target radius (m) of reacher-easy (`_BIG_TARGET`) and reacher-hard (`_SMALL_TARGET`). */
export const REACHER_TARGET_SIZE = { easy: 0.05, hard: 0.015 } as const;
const FINGER_SIZE = 0.01;
/** Target placement: radius ~ U(lo, hi) from the shoulder. */
const TARGET_RADIUS: [number, number] = [0.05, 0.2];

/** Geom group of the floor and walls, which the camera does not see (so empty space reads depth 1). */
const BACKGROUND_GROUP = 2;

/**
 * Top-down camera at dm_control's 'fixed' camera pose (0.75 m above the floor, looking down, +y up). fovy 40 deg
 * (dm_control's 45 narrowed to the reachable disc: the image spans +-0.27 m, 1.7 cm a pixel at 32 x 32).
 * Planar depths in [near, far] map linearly to [0, 1]: the easy target's top (z 0.06) reads 0.14, the arm's top
 * (z 0.02) 0.71, empty space 1.
 */
const CAMERA = { height: 0.75, fovy: 40, near: 0.68, far: 0.75 };

/** The two-link reacher in its 0.6 x 0.6 m arena, with a target sphere of radius `targetSize`. */
export function reacherXml(targetSize: number): string {
  return `<mujoco model="two-link planar reacher">
  <option timestep="${REACHER_TIMESTEP}">
    <flag contact="disable"/>
  </option>
  <default>
    <joint type="hinge" axis="0 0 1" damping="0.01"/>
    <motor gear=".05" ctrlrange="-1 1" ctrllimited="true"/>
  </default>
  <worldbody>
    <light name="light" pos="0 0 1"/>
    <camera name="fixed" pos="0 0 ${CAMERA.height}" quat="1 0 0 0"/>
    <geom name="ground" type="plane" pos="0 0 0" size=".625 .625 10" group="${BACKGROUND_GROUP}"/>
    <geom name="wall_x" type="plane" pos="-.3 0 .02" zaxis="1 0 0" size=".02 .3 .02" group="${BACKGROUND_GROUP}"/>
    <geom name="wall_y" type="plane" pos="0 -.3 .02" zaxis="0 1 0" size=".3 .02 .02" group="${BACKGROUND_GROUP}"/>
    <geom name="wall_neg_x" type="plane" pos=".3 0 .02" zaxis="-1 0 0" size=".02 .3 .02" group="${BACKGROUND_GROUP}"/>
    <geom name="wall_neg_y" type="plane" pos="0 .3 .02" zaxis="0 -1 0" size=".3 .02 .02" group="${BACKGROUND_GROUP}"/>

    <geom name="root" type="cylinder" fromto="0 0 0 0 0 0.02" size=".011"/>
    <body name="arm" pos="0 0 .01">
      <geom name="arm" type="capsule" fromto="0 0 0 0.12 0 0" size=".01"/>
      <joint name="shoulder"/>
      <body name="hand" pos=".12 0 0">
        <geom name="hand" type="capsule" fromto="0 0 0 0.1 0 0" size=".01"/>
        <joint name="wrist" limited="true" range="-160 160"/>
        <body name="finger" pos=".12 0 0">
          <geom name="finger" type="sphere" size="${FINGER_SIZE}"/>
        </body>
      </body>
    </body>
    <geom name="target" pos="0 0 .01" type="sphere" size="${targetSize}"/>
  </worldbody>
  <actuator>
    <motor name="shoulder" joint="shoulder"/>
    <motor name="wrist" joint="wrist"/>
  </actuator>
</mujoco>`;
}

export interface ReacherOptions extends TaskOptions {
  /** Control steps per episode (default 1000 = 20 s). */
  episodeLength?: number;
  /** Serve the 'image' depth group and the 'student' view (default true; false saves the ray casting). */
  camera?: boolean;
  /** Camera image side in pixels (default 32). */
  imageSize?: number;
}

const REACHER_TAGS = ['reacher', 'dm_control', 'fast', 'vision', 'privileged'];
/** Groups every view may hold (dm_control's observation without `to_target`). */
export const REACHER_COMMON_VIEW = ['position', 'velocity'];

/** dm_control's Reacher task; `targetSize` picks easy (0.05) or hard (0.015). */
export class Reacher extends ControlTask {
  readonly spec: TaskSpec;
  readonly targetSize: number;
  private readonly camera: RayCamera | null;
  private readonly targetGeom: number;
  private readonly fingerGeom: number;
  /** Target centre (x, y) drawn at reset (a model constant, part of the snapshot). */
  private readonly target = new Float64Array(2);

  constructor(mj: Mujoco, options: ReacherOptions = {}, targetSize: number = REACHER_TARGET_SIZE.easy,
    name = 'reacher-easy', tags: string[] = REACHER_TAGS) {
    if (!(targetSize > 0)) throw new RangeError(`targetSize must be a positive radius in metres, got ${targetSize}`);
    const useCamera = options.camera ?? true;
    if (typeof useCamera !== 'boolean') throw new RangeError(`camera must be true or false, got ${String(useCamera)}`);
    const size = options.imageSize ?? 32;
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`imageSize must be a positive integer, got ${size}`);
    const physics: Physics = compileModel(mj, reacherXml(targetSize), name);
    super(physics, REACHER_CONTROL_TIMESTEP);
    if (physics.model.nu !== 2) throw new Error(`reacher model has ${physics.model.nu} actuators, expected 2`);
    this.targetSize = targetSize;
    this.targetGeom = nameToId(physics, 'geom', 'target');
    this.fingerGeom = nameToId(physics, 'geom', 'finger');
    this.camera = useCamera
      ? new RayCamera(physics, {
          width: size, height: size, fovy: CAMERA.fovy, maxDepth: CAMERA.far,
          attach: { camera: 'fixed' }, geomGroups: [0, 1],
        })
      : null;
    const groups: ObservationGroupSpec[] = [
      { name: 'position', shape: [2], kind: 'state', privileged: false },
      { name: 'to_target', shape: [2], kind: 'state', privileged: true },
      { name: 'velocity', shape: [2], kind: 'state', privileged: false },
    ];
    const views: Record<string, string[]> = {
      default: ['position', 'to_target', 'velocity'],
      expert: ['position', 'to_target', 'velocity'],
      common: [...REACHER_COMMON_VIEW],
    };
    if (this.camera) {
      groups.push({ name: 'image', shape: [size, size, 1], kind: 'image', privileged: false });
      views.student = [...REACHER_COMMON_VIEW, 'image'];
    }
    this.spec = {
      name,
      tags: [...tags],
      actionDim: 2,
      observationGroups: groups,
      controlTimestep: REACHER_CONTROL_TIMESTEP,
      episodeLength: resolveEpisodeLength(options.episodeLength, REACHER_EPISODE_LENGTH),
      views,
    };
    this.placeTarget(0, 0.1);
  }

  // --- named readers (dm_control's reacher.Physics).
  /** Target centre minus finger centre in the arm's (x, y) plane. */
  fingerToTarget(): [number, number] {
    const x: Float64Array = (this.physics.data as any).geom_xpos;
    const t = 3 * this.targetGeom;
    const f = 3 * this.fingerGeom;
    return [x[t] - x[f], x[t + 1] - x[f + 1]];
  }

  /** Distance between the finger and target centres. */
  fingerToTargetDist(): number {
    const [dx, dy] = this.fingerToTarget();
    return Math.hypot(dx, dy);
  }

  /** The target centre (x, y). */
  targetPosition(): [number, number] {
    return [this.target[0], this.target[1]];
  }

  /** Move the target to (x, y) (a model constant, as dm_control does) and recompute the kinematics. */
  placeTarget(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`target position must be finite, got (${x}, ${y})`);
    const pos: Float64Array = (this.physics.model as any).geom_pos;
    pos[3 * this.targetGeom] = x;
    pos[3 * this.targetGeom + 1] = y;
    this.target[0] = x;
    this.target[1] = y;
    this.mj.mj_forward(this.physics.model, this.physics.data);
  }

  /**
   * dm_control's initialize_episode: the wrist ~ U(its range), the unlimited shoulder ~ U(-pi, pi), zero
   * velocities, then the target at angle ~ U(0, 2 pi) and radius ~ U(0.05, 0.2) as (r sin, r cos).
   */
  reset(rng: Rng): void {
    const { model, data } = this.physics;
    const m = model as any;
    this.mj.mj_resetData(model, data);
    const qpos: Float64Array = (data as any).qpos;
    const limited: Uint8Array = m.jnt_limited;
    const range: Float64Array = m.jnt_range;
    for (let j = 0; j < m.njnt; j++) {
      qpos[m.jnt_qposadr[j]] = limited[j] ? rng.range(range[2 * j], range[2 * j + 1]) : rng.range(-Math.PI, Math.PI);
    }
    const angle = rng.range(0, 2 * Math.PI);
    const radius = rng.range(TARGET_RADIUS[0], TARGET_RADIUS[1]);
    this.placeTarget(radius * Math.sin(angle), radius * Math.cos(angle));
    this.steps = 0;
  }

  /** position = qpos (raw angles), to_target = target - finger (xy), velocity = qvel; plus the image. */
  observe(): ObservationGroups {
    const data = this.physics.data as any;
    const [dx, dy] = this.fingerToTarget();
    const obs: ObservationGroups = {
      position: Float32Array.from(data.qpos as Float64Array),
      to_target: Float32Array.of(dx, dy),
      velocity: Float32Array.from(data.qvel as Float64Array),
    };
    if (this.camera) obs.image = this.depthImage(this.camera);
    return obs;
  }

  /** The camera's depth (normalised by `far`, 1 = nothing hit) remapped from [near, far] to [0, 1]. */
  private depthImage(camera: RayCamera): Float32Array {
    const img = camera.render();
    const { near, far } = CAMERA;
    for (let i = 0; i < img.length; i++) {
      const v = (img[i] * far - near) / (far - near);
      img[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    return img;
  }

  /** Sparse: 1 while the finger centre is within (target radius + finger radius) of the target centre, else 0. */
  reward(): number {
    return tolerance(this.fingerToTargetDist(), { bounds: [0, this.targetSize + FINGER_SIZE] });
  }

  protected override taskState(): number[] {
    return [this.steps, this.target[0], this.target[1]];
  }

  override close(): void {
    this.camera?.dispose();
    super.close();
  }
}

registerTask({
  name: 'reacher-easy',
  tags: REACHER_TAGS,
  description: 'dm_control reacher: touch a 5 cm target with a two-link arm (sparse); privileged to_target, top-down depth camera',
  options: { episodeLength: 'integer', camera: 'boolean', imageSize: 'integer' },
  create: (mj, options) => new Reacher(mj, options, REACHER_TARGET_SIZE.easy, 'reacher-easy'),
});

registerTask({
  name: 'reacher-hard',
  tags: REACHER_TAGS,
  description: 'dm_control reacher: touch a 1.5 cm target with a two-link arm (sparse); privileged to_target, top-down depth camera',
  options: { episodeLength: 'integer', camera: 'boolean', imageSize: 'integer' },
  create: (mj, options) => new Reacher(mj, options, REACHER_TARGET_SIZE.hard, 'reacher-hard'),
});
