/**
 * dm_control suite Cheetah Run (suite/cheetah.py, cheetah.xml): planar 6-motor runner, reward linear in the
 * forward speed up to 10 m/s. A fast locomotion task for tests and quick profiles (not a paper benchmark);
 * the MJCF below is written here from dm_control's published parameters.
 */
import { compileModel, nameToId, type Mujoco } from '../physics/mujoco';
import type { Rng } from '../util/rng';
import { ControlTask, legacyStep, positionVelocitySpec, resolveEpisodeLength } from './control-task';
import { registerTask } from './registry';
import { tolerance } from './rewards';
import type { ObservationGroups, TaskOptions, TaskSpec } from './types';

// Facts from dm_control: physics step = control step = 0.01 s, 10 s time limit, run speed 10 m/s,
// 200 settling steps after the random initial pose.
export const CHEETAH_TIMESTEP = 0.01;
export const CHEETAH_CONTROL_TIMESTEP = 0.01;
export const CHEETAH_EPISODE_LENGTH = 1000;
export const CHEETAH_RUN_SPEED = 10;
export const CHEETAH_SETTLE_STEPS = 200;

/** Leg joints in actuator order: [name, range (deg), stiffness, damping, gear]. */
const LEG_JOINTS: ReadonlyArray<readonly [string, [number, number], number, number, number]> = [
  ['bthigh', [-30, 60], 240, 6, 120],
  ['bshin', [-50, 50], 180, 4.5, 90],
  ['bfoot', [-230, 50], 120, 3, 60],
  ['fthigh', [-57, 0.4], 180, 4.5, 90],
  ['fshin', [-70, 50], 120, 3, 60],
  ['ffoot', [-28, 28], 60, 1.5, 30],
];

/** The half-cheetah: torso with head, back and front legs of thigh/shin/foot capsules; total mass 14 kg. */
export function cheetahXml(): string {
  const j = (i: number) => {
    const [name, range, stiffness, damping] = LEG_JOINTS[i];
    return `<joint name="${name}" range="${range.join(' ')}" stiffness="${stiffness}" damping="${damping}"/>`;
  };
  return `<mujoco model="cheetah">
  <compiler settotalmass="14"/>
  <option timestep="${CHEETAH_TIMESTEP}"/>
  <default>
    <default class="cheetah">
      <joint limited="true" damping=".01" armature=".1" stiffness="8" type="hinge" axis="0 1 0"/>
      <geom contype="1" conaffinity="1" condim="3" friction=".4 .1 .1"/>
    </default>
    <default class="free">
      <joint limited="false" damping="0" armature="0" stiffness="0"/>
    </default>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <geom name="ground" type="plane" conaffinity="1" pos="98 0 0" size="100 .8 .5"/>
    <body name="torso" pos="0 0 .7" childclass="cheetah">
      <joint name="rootx" type="slide" axis="1 0 0" class="free"/>
      <joint name="rootz" type="slide" axis="0 0 1" class="free"/>
      <joint name="rooty" type="hinge" axis="0 1 0" class="free"/>
      <geom name="torso" type="capsule" fromto="-.5 0 0 .5 0 0" size="0.046"/>
      <geom name="head" type="capsule" pos=".6 0 .1" euler="0 50 0" size="0.046 .15"/>
      <body name="bthigh" pos="-.5 0 0">
        ${j(0)}
        <geom name="bthigh" type="capsule" pos=".1 0 -.13" euler="0 -218 0" size="0.046 .145"/>
        <body name="bshin" pos=".16 0 -.25">
          ${j(1)}
          <geom name="bshin" type="capsule" pos="-.14 0 -.07" euler="0 -116 0" size="0.046 .15"/>
          <body name="bfoot" pos="-.28 0 -.14">
            ${j(2)}
            <geom name="bfoot" type="capsule" pos=".03 0 -.097" euler="0 -15 0" size="0.046 .094"/>
          </body>
        </body>
      </body>
      <body name="fthigh" pos=".5 0 0">
        ${j(3)}
        <geom name="fthigh" type="capsule" pos="-.07 0 -.12" euler="0 30 0" size="0.046 .133"/>
        <body name="fshin" pos="-.14 0 -.24">
          ${j(4)}
          <geom name="fshin" type="capsule" pos=".065 0 -.09" euler="0 -34 0" size="0.046 .106"/>
          <body name="ffoot" pos=".13 0 -.18">
            ${j(5)}
            <geom name="ffoot" type="capsule" pos=".045 0 -.07" euler="0 -34 0" size="0.046 .07"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
  </sensor>
  <actuator>
${LEG_JOINTS.map(([name, , , , gear]) => `    <motor name="${name}" joint="${name}" gear="${gear}"/>`).join('\n')}
  </actuator>
</mujoco>`;
}

export interface CheetahOptions extends TaskOptions {
  /** Control steps per episode (default 1000 = 10 s). */
  episodeLength?: number;
}

const CHEETAH_TAGS = ['cheetah', 'locomotion', 'dm_control', 'fast', 'test'];
const RUN = { bounds: [CHEETAH_RUN_SPEED, Infinity] as [number, number], margin: CHEETAH_RUN_SPEED, valueAtMargin: 0, sigmoid: 'linear' as const };

/** dm_control's Cheetah task (the suite's only cheetah task, `run`). */
export class CheetahRun extends ControlTask {
  readonly spec: TaskSpec;
  private readonly nq: number;
  private readonly nv: number;
  private readonly speedAdr: number;
  /** qpos addresses and [lower, upper] ranges of the limited joints (the six leg hinges). */
  private readonly limitedAdr: Int32Array;
  private readonly limitedRange: Float64Array;

  constructor(mj: Mujoco, options: CheetahOptions = {}, name = 'cheetah-run', tags: string[] = CHEETAH_TAGS) {
    const physics = compileModel(mj, cheetahXml(), name);
    super(physics, CHEETAH_CONTROL_TIMESTEP);
    const m = physics.model as any;
    this.nq = m.nq;
    this.nv = m.nv;
    if (this.nq !== m.njnt) throw new Error('cheetah initialisation assumes one qpos per joint');
    this.speedAdr = m.sensor_adr[nameToId(physics, 'sensor', 'torso_subtreelinvel')];
    const adr: number[] = [];
    const range: number[] = [];
    for (let j = 0; j < m.njnt; j++) {
      if (m.jnt_limited[j]) {
        adr.push(m.jnt_qposadr[j]);
        range.push(m.jnt_range[2 * j], m.jnt_range[2 * j + 1]);
      }
    }
    this.limitedAdr = Int32Array.from(adr);
    this.limitedRange = Float64Array.from(range);
    this.spec = positionVelocitySpec({
      name, tags, actionDim: LEG_JOINTS.length, positionSize: this.nq - 1, velocitySize: this.nv,
      controlTimestep: CHEETAH_CONTROL_TIMESTEP,
      episodeLength: resolveEpisodeLength(options.episodeLength, CHEETAH_EPISODE_LENGTH),
    });
    mj.mj_forward(physics.model, physics.data);
  }

  /** Forward (x) speed of the torso subtree's centre of mass (dm_control's `speed`). */
  speed(): number {
    return (this.physics.data as any).sensordata[this.speedAdr];
  }

  /**
   * dm_control's initialize_episode: limited joints uniform in their ranges, then 200 physics steps with zero
   * control to let the body settle, then the clock is reset to 0 (the settled velocities are kept).
   */
  reset(rng: Rng): void {
    const { model, data } = this.physics;
    this.mj.mj_resetData(model, data);
    const qpos: Float64Array = (data as any).qpos;
    for (let i = 0; i < this.limitedAdr.length; i++) {
      qpos[this.limitedAdr[i]] = rng.range(this.limitedRange[2 * i], this.limitedRange[2 * i + 1]);
    }
    // dm_control goes straight into its legacy step, whose first mj_step2 then uses kinematics of the zeroed
    // data; computing them for the drawn pose first is the consistent version of the same thing.
    this.mj.mj_forward(model, data);
    legacyStep(this.mj, this.physics, CHEETAH_SETTLE_STEPS, false);
    (data as any).time = 0;
    this.steps = 0;
  }

  /** position = qpos without the horizontal root coordinate (translation invariance), velocity = qvel. */
  observe(): ObservationGroups {
    const data = this.physics.data as any;
    const qpos: Float64Array = data.qpos;
    return {
      position: Float32Array.from(qpos.subarray(1)),
      velocity: Float32Array.from(data.qvel as Float64Array),
    };
  }

  /** tolerance(speed, bounds [10, inf], margin 10, linear, 0 at the margin): speed / 10 clipped to [0, 1]. */
  reward(): number {
    return tolerance(this.speed(), RUN);
  }
}

registerTask({
  name: 'cheetah-run',
  tags: CHEETAH_TAGS,
  description: 'dm_control cheetah: run forward, reward linear in speed up to 10 m/s',
  options: { episodeLength: 'integer' },
  create: (mj, options) => new CheetahRun(mj, options),
});
