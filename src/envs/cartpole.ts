/**
 * dm_control suite Cartpole Swing-Up (suite/cartpole.py, cartpole.xml): a small, fast task used by the test
 * suite and quick profiles (not one of the paper's benchmarks). Model, smooth reward, observation and episode
 * initialisation follow dm_control; the MJCF below is written here from its published parameters.
 */
import { compileModel, nameToId, type Mujoco } from '../physics/mujoco';
import type { Rng } from '../util/rng';
import { ControlTask, positionVelocitySpec, resolveEpisodeLength } from './control-task';
import { registerTask } from './registry';
import { tolerance } from './rewards';
import type { ObservationGroups, TaskOptions, TaskSpec } from './types';

// Facts from dm_control: physics step 0.01 s (RK4, contacts disabled), control step = physics step,
// 10 s time limit -> 1000 control steps.
export const CARTPOLE_TIMESTEP = 0.01;
export const CARTPOLE_CONTROL_TIMESTEP = 0.01;
export const CARTPOLE_EPISODE_LENGTH = 1000;

/** The cart-pole model: cart (1 kg box) on a +-1.8 m slider, one 1 m, 0.1 kg capsule pole, motor gear 10. */
export function cartpoleXml(): string {
  return `<mujoco model="cartpole">
  <option timestep="${CARTPOLE_TIMESTEP}" integrator="RK4">
    <flag contact="disable" energy="enable"/>
  </option>
  <default>
    <default class="pole">
      <joint type="hinge" axis="0 1 0" damping="2e-6"/>
      <geom type="capsule" fromto="0 0 0 0 0 1" size="0.045" mass="0.1"/>
    </default>
  </default>
  <worldbody>
    <light name="light" pos="0 0 6"/>
    <geom name="floor" type="plane" pos="0 0 -.05" size="4 4 .2"/>
    <geom name="rail1" type="capsule" pos="0 .07 1" zaxis="1 0 0" size="0.02 2"/>
    <geom name="rail2" type="capsule" pos="0 -.07 1" zaxis="1 0 0" size="0.02 2"/>
    <body name="cart" pos="0 0 1">
      <joint name="slider" type="slide" limited="true" axis="1 0 0" range="-1.8 1.8" solreflimit=".08 1" damping="5e-4"/>
      <geom name="cart" type="box" size="0.2 0.15 0.1" mass="1"/>
      <body name="pole_1" childclass="pole">
        <joint name="hinge_1"/>
        <geom name="pole_1"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="slide" joint="slider" gear="10" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>`;
}

export interface CartpoleOptions extends TaskOptions {
  /** Control steps per episode (default 1000 = 10 s). */
  episodeLength?: number;
}

const CARTPOLE_TAGS = ['cartpole', 'dm_control', 'fast', 'test'];
const CENTERED = { margin: 2 };
const SMALL_CONTROL = { margin: 1, valueAtMargin: 0, sigmoid: 'quadratic' as const };
const SMALL_VELOCITY = { margin: 5 };

/** dm_control's Balance task with swing_up=True, sparse=False. */
export class CartpoleSwingup extends ControlTask {
  readonly spec: TaskSpec;
  private readonly sliderAdr: number;
  private readonly hingeAdr: number;
  private readonly hingeDofAdr: number;

  constructor(mj: Mujoco, options: CartpoleOptions = {}, name = 'cartpole-swingup', tags: string[] = CARTPOLE_TAGS) {
    const physics = compileModel(mj, cartpoleXml(), name);
    super(physics, CARTPOLE_CONTROL_TIMESTEP);
    const m = physics.model as any;
    this.sliderAdr = m.jnt_qposadr[nameToId(physics, 'joint', 'slider')];
    const hinge = nameToId(physics, 'joint', 'hinge_1');
    this.hingeAdr = m.jnt_qposadr[hinge];
    this.hingeDofAdr = m.jnt_dofadr[hinge];
    this.spec = positionVelocitySpec({
      name, tags, actionDim: 1, positionSize: 3, velocitySize: 2, controlTimestep: CARTPOLE_CONTROL_TIMESTEP,
      episodeLength: resolveEpisodeLength(options.episodeLength, CARTPOLE_EPISODE_LENGTH),
    });
    mj.mj_forward(physics.model, physics.data);
  }

  // --- named readers (dm_control's cartpole.Physics). The pole angle is read from qpos: the pole's xmat zz / xz
  // entries are cos / sin of the hinge angle, and qpos is exact after an RK4 step.
  /** Cart position along the slider (m). */
  cartPosition(): number {
    return (this.physics.data as any).qpos[this.sliderAdr];
  }

  /** Pole angle from upright (rad); pi = hanging down. */
  poleAngle(): number {
    return (this.physics.data as any).qpos[this.hingeAdr];
  }

  /** Cosine of the pole angle (1 = upright). */
  poleAngleCosine(): number {
    return Math.cos(this.poleAngle());
  }

  /** Pole angular velocity. */
  angularVel(): number {
    return (this.physics.data as any).qvel[this.hingeDofAdr];
  }

  /** Applied control. */
  control(): number {
    return (this.physics.data as any).ctrl[0];
  }

  /** dm_control's swing-up initial state: cart near 0, pole hanging down, small random velocities. */
  reset(rng: Rng): void {
    const { model, data } = this.physics;
    this.mj.mj_resetData(model, data);
    const qpos: Float64Array = (data as any).qpos;
    qpos[this.sliderAdr] = 0.01 * rng.normal();
    qpos[this.hingeAdr] = Math.PI + 0.01 * rng.normal();
    const qvel: Float64Array = (data as any).qvel;
    for (let i = 0; i < qvel.length; i++) qvel[i] = 0.01 * rng.normal();
    this.mj.mj_forward(model, data);
    this.steps = 0;
  }

  /** position = (cart x, cos, sin of the pole angle), velocity = (cart, pole). */
  observe(): ObservationGroups {
    const data = this.physics.data as any;
    const a = this.poleAngle();
    const qvel: Float64Array = data.qvel;
    return {
      position: Float32Array.of(this.cartPosition(), Math.cos(a), Math.sin(a)),
      velocity: Float32Array.of(qvel[0], qvel[1]),
    };
  }

  /** upright * centered * small_control * small_velocity (dm_control's smooth reward), in [0, 1]. */
  reward(): number {
    const upright = (this.poleAngleCosine() + 1) / 2;
    const centered = (1 + tolerance(this.cartPosition(), CENTERED)) / 2;
    const smallControl = (4 + tolerance(this.control(), SMALL_CONTROL)) / 5;
    const smallVelocity = (1 + tolerance(this.angularVel(), SMALL_VELOCITY)) / 2;
    return upright * smallControl * smallVelocity * centered;
  }
}

registerTask({
  name: 'cartpole-swingup',
  tags: CARTPOLE_TAGS,
  description: 'dm_control cartpole: swing the pole up from hanging down and balance it (smooth reward)',
  options: { episodeLength: 'integer' },
  create: (mj, options) => new CartpoleSwingup(mj, options),
});
