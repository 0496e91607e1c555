/**
 * Expert distillation by DAgger with injected noise (DART): a queryable teacher (any Expert, e.g. a privileged
 * PPO expert) labels every state that a mixture of teacher and student visits, and a student that reads another
 * view of the same task (e.g. proprioception and a depth image) trains on the growing buffer with the cloning
 * library's cross-entropy H[pi_T || pi] (src/cloning/trainer.ts). This makes the experts the paper's figures
 * need where PPO alone did not (issue "Experts by distillation"); it is training machinery, not a paper method.
 *
 * Each round: act `stepsPerRound` env steps (each step, each env acts with the teacher with probability beta,
 * beta falling linearly from 1 to `betaEnd` over `betaRounds` rounds; Gaussian noise `dartNoise` on every
 * executed action), append the teacher's labels to a ring buffer, take `updatesPerRound` cloning updates, and
 * every `evalEvery` rounds evaluate the student (mean action, true task) and keep the best as `best/`.
 * Resumable: `checkpoint/` holds the student, the round counters and the random stream; the buffer is not saved
 * (it is refilled by acting with the resumed student), so a resumed run differs from an uninterrupted one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../envs';
import { VecEnv } from '../envs/vec-env';
import { makeTask } from '../envs/registry';
import type { Expert, GaussianParams } from '../policies/types';
import { GaussianMLP, initBackend, loadCheckpoint, saveCheckpointSync } from '../policies';
import { evaluatePolicy } from '../rl/evaluate';
import { inBlasPhase } from '../policies/native-blas';
import { Rng, type RngState } from '../util/rng';
import { resolveCloningConfig, type Strategy } from '../cloning/config';
import { initStudentNormalizer, trainStudent } from '../cloning/trainer';
import type { SampleSet } from '../cloning/strategies';
import { resolveStudentView } from '../cloning/views';
import { DISTILL_EVAL_SEED } from '../util/seeds';
import type { Task } from '../envs/types';
import type { ManipulatorInsertPeg } from '../envs/manipulator';
import { PEG_CONTROLLER_DEFAULTS, PegController, type PegControllerOptions } from './peg-controller';

export interface DistillConfig {
  /** Registered task name. Required. */
  task: string;
  /**
   * The teacher: a checkpoint folder (a GaussianMLP that reads observations), or 'controller', the task's scripted
   * controller reading the simulator's state (CONTROLLER_TEACHERS; its envs then all step on the calling thread).
   * Required.
   */
  teacher: string;
  /** The task view the student reads (e.g. 'student' on humanoid-walls: proprioception + depth image). Required. */
  studentView: string;
  /** Student torso. Default [256, 256, 256] (the paper's expert size). */
  torso: number[];
  /** Environments acting side by side. Default 16. */
  numEnvs: number;
  /** Threads that step them (VecEnv workers). Default 2. */
  workers: number;
  /** Environment steps per round, all envs together. Default 4096. */
  stepsPerRound: number;
  /** Total environment steps (the run's budget). Default 2,000,000. */
  envSteps: number;
  /**
   * Environment steps (all envs together) a fresh run first acts with the teacher alone (plus DART noise), into
   * the buffer, before its first round; a controller-taught student estimates its normaliser from them (with 0,
   * from round 1's states). Round 1 alone holds only the first stepsPerRound / numEnvs steps of each episode, so a
   * normaliser from it has never seen later phases (on Insert Peg: carry, insert, hold). Default 0.
   */
  warmupSteps: number;
  /** The teacher's share of acting in round 0 (1: teacher only). Default 1. */
  betaStart: number;
  /** ... falling linearly to this share at round `betaRounds` and staying there. Default 0. */
  betaEnd: number;
  /** Default 30. */
  betaRounds: number;
  /** Std of the Gaussian noise on every executed action (DART), in action units. Default 0.1. */
  dartNoise: number;
  /** Rows the ring buffer keeps (oldest overwritten). Default 200,000. */
  bufferSize: number;
  /** Cloning updates per round. Default 300. */
  updatesPerRound: number;
  /** Recorded states per update. Default 256. */
  batchSize: number;
  /** Adam learning rate. Default 3e-4. */
  learningRate: number;
  /** Cloning strategy on the labelled states ('bc' = plain DAgger; 'apc' also perturbs the shared state groups). Default 'bc'. */
  strategy: Strategy;
  /** APC's sigma_s and M (ignored by 'bc'). Defaults 0.1 and 2. */
  sigmaS: number;
  numAugmented: number;
  /** Evaluate every this many rounds (mean action, true task). Default 10. */
  evalEvery: number;
  /** Episodes per evaluation. Default 16. */
  evalEpisodes: number;
  /** Seed of the run (student init, acting, batches). Default 0. */
  seed: number;
  /** A controller teacher's action std (its labels' std for the cross-entropy; a checkpoint has its own). Default 0.1. */
  teacherStd: number;
  /**
   * Options of a controller teacher (for Insert Peg: PegControllerOptions, e.g. {"stickiness": 4}, which holds the
   * joint targets from step to step so that the labels do not chatter). Default {}.
   */
  teacherOptions: Record<string, unknown>;
  /** Options of the task for acting and evaluation (e.g. {"camera": false} where no view reads the camera). Default {}. */
  taskOptions: Record<string, unknown>;
}

export const DEFAULT_DISTILL: Omit<DistillConfig, 'task' | 'teacher' | 'studentView'> = {
  torso: [256, 256, 256],
  numEnvs: 16,
  workers: 2,
  stepsPerRound: 4096,
  envSteps: 2_000_000,
  warmupSteps: 0,
  betaStart: 1,
  betaEnd: 0,
  betaRounds: 30,
  dartNoise: 0.1,
  bufferSize: 200_000,
  updatesPerRound: 300,
  batchSize: 256,
  learningRate: 3e-4,
  strategy: 'bc',
  sigmaS: 0.1,
  numAugmented: 2,
  evalEvery: 10,
  evalEpisodes: 16,
  seed: 0,
  teacherStd: 0.1,
  teacherOptions: {},
  taskOptions: {},
};

/** Fill defaults and refuse unknown or bad fields, naming them and the accepted values. */
export function resolveDistillConfig(partial: Partial<DistillConfig>): DistillConfig {
  const accepted = ['task', 'teacher', 'studentView', ...Object.keys(DEFAULT_DISTILL)];
  for (const k of Object.keys(partial)) {
    if (!accepted.includes(k)) throw new RangeError(`unknown distillation field '${k}'; accepted: ${accepted.join(', ')}`);
  }
  const c = { ...DEFAULT_DISTILL, ...partial } as DistillConfig;
  for (const k of ['task', 'teacher', 'studentView'] as const) {
    if (typeof c[k] !== 'string' || c[k] === '') throw new RangeError(`${k} is required (a non-empty string)`);
  }
  const positiveInts = ['numEnvs', 'stepsPerRound', 'envSteps', 'betaRounds', 'bufferSize', 'updatesPerRound', 'batchSize', 'evalEvery', 'evalEpisodes', 'numAugmented'] as const;
  for (const k of positiveInts) if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new RangeError(`${k} must be a positive integer, got ${c[k]}`);
  if (!(Number.isInteger(c.warmupSteps) && c.warmupSteps >= 0)) throw new RangeError(`warmupSteps must be an integer >= 0, got ${c.warmupSteps}`);
  if (!(Number.isInteger(c.workers) && c.workers >= 0)) throw new RangeError(`workers must be an integer >= 0, got ${c.workers}`);
  for (const k of ['betaStart', 'betaEnd'] as const) if (!(c[k] >= 0 && c[k] <= 1)) throw new RangeError(`${k} must be in [0, 1], got ${c[k]}`);
  for (const k of ['dartNoise', 'sigmaS'] as const) if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new RangeError(`${k} must be a finite number >= 0, got ${c[k]}`);
  if (!(c.learningRate > 0 && Number.isFinite(c.learningRate))) throw new RangeError(`learningRate must be a positive number, got ${c.learningRate}`);
  if (!Array.isArray(c.torso) || c.torso.length === 0 || !c.torso.every((w) => Number.isInteger(w) && w > 0)) {
    throw new RangeError(`torso must be a non-empty list of positive integers, got ${JSON.stringify(c.torso)}`);
  }
  if (!['bc', 'naive-abc', 'apc'].includes(c.strategy)) throw new RangeError(`strategy must be one of bc, naive-abc, apc, got '${c.strategy}'`);
  if (!(Number.isFinite(c.teacherStd) && c.teacherStd > 0)) throw new RangeError(`teacherStd must be a positive number, got ${c.teacherStd}`);
  if (typeof c.teacherOptions !== 'object' || c.teacherOptions === null || Array.isArray(c.teacherOptions)) throw new RangeError(`teacherOptions must be an object, got ${JSON.stringify(c.teacherOptions)}`);
  if (Object.keys(c.teacherOptions).length > 0 && c.teacher !== CONTROLLER_TEACHER) throw new RangeError(`teacherOptions are a controller teacher's options; teacher '${c.teacher}' is a checkpoint: leave teacherOptions out`);
  if (typeof c.taskOptions !== 'object' || c.taskOptions === null || Array.isArray(c.taskOptions)) throw new RangeError(`taskOptions must be an object, got ${JSON.stringify(c.taskOptions)}`);
  if (c.teacher === CONTROLLER_TEACHER) {
    if (!(c.task in CONTROLLER_TEACHERS)) throw new RangeError(`teacher '${CONTROLLER_TEACHER}': task ${c.task} has no scripted controller (tasks with one: ${Object.keys(CONTROLLER_TEACHERS).join(', ')})`);
    if (c.workers > 1) throw new RangeError(`teacher '${CONTROLLER_TEACHER}' reads every env's simulator on the calling thread: workers must be 0 or 1, got ${c.workers}`);
    const keys = CONTROLLER_OPTION_KEYS[c.task] ?? [];
    for (const k of Object.keys(c.teacherOptions)) {
      if (!keys.includes(k)) throw new RangeError(`teacherOptions: unknown option '${k}' of the ${c.task} controller; accepted: ${keys.join(', ')}`);
    }
    if (c.strategy === 'apc') throw new RangeError(`strategy 'apc' re-queries the teacher at perturbed observations; a controller reads the simulator, not observations: use bc or naive-abc`);
  }
  return c;
}

/** The `teacher` value that names the task's scripted controller. */
export const CONTROLLER_TEACHER = 'controller';

/** A scripted controller: the action for its task's current simulator state. */
export interface ScriptedController {
  act(out?: Float64Array): Float64Array;
  dispose(): void;
}

/** Scripted controllers by task: privileged-state teachers for distilling an expert (issue 22). */
export const CONTROLLER_TEACHERS: Record<string, (task: Task, options: Record<string, unknown>) => ScriptedController> = {
  'manipulator-insert-peg': (task, options) => new PegController(task as ManipulatorInsertPeg, options as Partial<PegControllerOptions>),
};

/** The options each scripted controller accepts (teacherOptions). */
export const CONTROLLER_OPTION_KEYS: Record<string, string[]> = {
  'manipulator-insert-peg': Object.keys(PEG_CONTROLLER_DEFAULTS),
};

/** What labels the visited states: a checkpoint (reads observations) or a controller (reads each env's simulator). */
export interface DistillTeacher {
  /** The groups it reads, or null (a controller). */
  view: string[] | null;
  /** The checkpoint as an Expert (its normaliser seeds the student's), or null. */
  expert: Expert | null;
  label(obs: Record<string, Float32Array>, n: number, vec: VecEnv): GaussianParams;
  dispose(): void;
}

/** The run's teacher (exported for tests). */
export async function makeTeacher(config: DistillConfig, actionDim: number): Promise<DistillTeacher> {
  if (config.teacher !== CONTROLLER_TEACHER) {
    const { policy } = await loadCheckpoint(config.teacher);
    return {
      view: policy.view, expert: policy,
      label: (obs, n) => policy.distribution({ batch: n, groups: Object.fromEntries(policy.view.map((g) => [g, obs[g]])) }),
      dispose: () => policy.dispose(),
    };
  }
  const make = CONTROLLER_TEACHERS[config.task];
  const controllers: ScriptedController[] = [];
  const out = new Float64Array(actionDim);
  return {
    view: null, expert: null,
    label: (_obs, n, vec) => {
      const mean = new Float32Array(n * actionDim);
      for (let i = 0; i < n; i++) {
        controllers[i] ??= make(vec.localTask(i), config.teacherOptions);
        controllers[i].act(out);
        for (let a = 0; a < actionDim; a++) mean[i * actionDim + a] = out[a];
      }
      return { mean, std: new Float32Array(n * actionDim).fill(config.teacherStd) };
    },
    dispose: () => controllers.forEach((c) => c.dispose()),
  };
}

/** The teacher's share of acting in `round`: linear from betaStart to betaEnd over betaRounds rounds. */
export function betaAt(c: Pick<DistillConfig, 'betaStart' | 'betaEnd' | 'betaRounds'>, round: number): number {
  const f = Math.min(1, round / c.betaRounds);
  return c.betaStart + (c.betaEnd - c.betaStart) * f;
}

/**
 * A fixed-capacity buffer of labelled rows: once full, each new row overwrites the oldest. `samples()` is a
 * SampleSet over the filled rows (order does not matter: the trainer samples rows uniformly). Appends copy only
 * the new rows.
 */
export class RingBuffer {
  private readonly groups: Record<string, Float32Array> = {};
  private readonly mean: Float32Array;
  private readonly std: Float32Array;
  private next = 0;
  private filled = 0;
  /** Rows appended in all (overwritten ones included). */
  appended = 0;

  constructor(
    readonly capacity: number,
    private readonly shapes: Record<string, number[]>,
    private readonly kinds: Record<string, 'state' | 'image'>,
    private readonly actionDim: number,
  ) {
    for (const [g, s] of Object.entries(shapes)) this.groups[g] = new Float32Array(capacity * s.reduce((a, b) => a * b, 1));
    this.mean = new Float32Array(capacity * actionDim);
    this.std = new Float32Array(capacity * actionDim);
  }

  get size(): number {
    return this.filled;
  }

  /** Append row i of each batch for i < n. */
  append(groups: Record<string, Float32Array>, labels: GaussianParams, n: number): void {
    const A = this.actionDim;
    for (let i = 0; i < n; i++) {
      const at = this.next;
      for (const [g, buf] of Object.entries(this.groups)) {
        const w = buf.length / this.capacity;
        const src = groups[g];
        if (!src || src.length < n * w) throw new RangeError(`append: group '${g}' needs ${n * w} values, got ${src?.length ?? 0}`);
        buf.set(src.subarray(i * w, (i + 1) * w), at * w);
      }
      this.mean.set(labels.mean.subarray(i * A, (i + 1) * A), at * A);
      this.std.set(labels.std.subarray(i * A, (i + 1) * A), at * A);
      this.next = (at + 1) % this.capacity;
      this.filled = Math.min(this.capacity, this.filled + 1);
      this.appended++;
    }
  }

  samples(): SampleSet {
    const n = this.filled;
    const A = this.actionDim;
    const groups = Object.fromEntries(Object.entries(this.groups).map(([g, b]) => [g, b.subarray(0, (n * b.length) / this.capacity)]));
    return { size: n, groups, groupShapes: this.shapes, groupKinds: this.kinds, expertMean: this.mean.subarray(0, n * A), expertStd: this.std.subarray(0, n * A), actionDim: A };
  }
}

/** One row of the run's curve (curve.csv). */
export interface DistillRow {
  round: number;
  envSteps: number;
  beta: number;
  teacherShare: number;
  bufferRows: number;
  trainSeconds: number;
  /** Mean cloning loss over this round's updates (cross-entropy H[pi_T || pi] per row). */
  trainLoss: number;
  evalReturn: number | null;
  evalMetric: number | null;
}

interface RunState {
  round: number;
  envSteps: number;
  bestMetric: number | null;
  rng: RngState;
}

const CURVE_HEADER = 'round,env_steps,beta,teacher_share,buffer_rows,train_seconds,train_loss,eval_return,eval_metric';
const csvNumber = (v: number | null) => (v === null ? '' : Number.isFinite(v) ? String(v) : 'NaN');

/** Write a policy checkpoint atomically (into a temporary folder, then renamed over `dir`). */
function saveAtomic(dir: string, policy: GaussianMLP, extra: Record<string, unknown>): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  saveCheckpointSync(tmp, policy, extra);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

export interface DistillOptions {
  /** Called after every round with its row (progress lines, tests). */
  onRound?: (row: DistillRow) => void;
  /** Stop after this many rounds in this call (tests, interruptible runs); the budget still bounds the run. */
  maxRounds?: number;
  /** Checked between rounds: true stops the run after saving (SIGINT / SIGTERM). */
  shouldStop?: () => boolean;
}

/**
 * Run (or resume) a distillation into `out`: out/config.json, out/curve.csv, out/checkpoint/ (newest student and
 * state), out/best/ (best evaluated student), out/evaluated/<round>/ (every evaluated student). Returns the rows of
 * this call.
 */
export async function distill(partial: Partial<DistillConfig>, out: string, options: DistillOptions = {}): Promise<DistillRow[]> {
  const config = resolveDistillConfig(partial);
  await initBackend();
  fs.mkdirSync(out, { recursive: true });
  const configFile = path.join(out, 'config.json');
  if (fs.existsSync(configFile)) {
    const prev = JSON.parse(fs.readFileSync(configFile, 'utf8')) as DistillConfig;
    for (const k of ['task', 'studentView', 'torso'] as const) {
      if (JSON.stringify(prev[k]) !== JSON.stringify(config[k])) {
        throw new RangeError(`${out} is a run with ${k} ${JSON.stringify(prev[k])}, not ${JSON.stringify(config[k])}; choose another --out`);
      }
    }
  }
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
  // -- views: the student's task view, checked against a checkpoint teacher's (no privileged group for the
  //    student). A controller's student is the expert being made: it may read privileged groups. --
  const probe = await makeTask(config.task, config.taskOptions);
  const spec = probe.spec;
  probe.close();
  const teacher = await makeTeacher(config, spec.actionDim);
  if (teacher.view === null && !Object.prototype.hasOwnProperty.call(spec.views, config.studentView)) {
    teacher.dispose();
    throw new RangeError(`studentView '${config.studentView}' is not a view of task ${spec.name}; its views: ${Object.keys(spec.views).join(', ')}`);
  }
  const plan = teacher.view === null ? { view: [...spec.views[config.studentView]] } : resolveStudentView(spec, config.studentView, teacher.view);
  const stored = [...new Set([...plan.view, ...(config.strategy === 'apc' && teacher.view ? teacher.view : [])])];
  const byName = new Map(spec.observationGroups.map((g) => [g.name, g]));
  const shapes = Object.fromEntries(stored.map((g) => [g, byName.get(g)!.shape]));
  const kinds = Object.fromEntries(stored.map((g) => [g, byName.get(g)!.kind]));
  // -- student: fresh, or the checkpoint's --
  const ckptDir = path.join(out, 'checkpoint');
  let state: RunState;
  let student: GaussianMLP;
  if (fs.existsSync(path.join(ckptDir, 'state.json'))) {
    state = JSON.parse(fs.readFileSync(path.join(ckptDir, 'state.json'), 'utf8')) as RunState;
    student = (await loadCheckpoint(path.join(ckptDir, 'policy'), { task: config.task })).policy;
    console.log(`distill: resuming ${out} at round ${state.round} (${state.envSteps} env steps); the buffer refills from acting`);
  } else {
    const studentShapes = Object.fromEntries(plan.view.map((g) => [g, shapes[g]]));
    const studentKinds = Object.fromEntries(plan.view.map((g) => [g, kinds[g]]));
    student = new GaussianMLP({ view: plan.view, groupShapes: studentShapes, groupKinds: studentKinds, actionDim: spec.actionDim }, { torso: config.torso, initStd: 0.2 }, new Rng(`distill/student/${config.seed}`));
    // The teacher's normaliser where it has one; a controller's student estimates its own from the warm-up's states (or round 1's).
    if (teacher.expert) initStudentNormalizer(student, teacher.expert, new RingBuffer(1, shapes, kinds, spec.actionDim).samples());
    state = { round: 0, envSteps: 0, bestMetric: null, rng: new Rng(`distill/${config.task}/${config.seed}`).saveState() };
    fs.writeFileSync(path.join(out, 'curve.csv'), CURVE_HEADER + '\n');
  }
  const rng = Rng.fromState(state.rng);
  const cloning = resolveCloningConfig({
    strategy: config.strategy, loss: 'cross-entropy', sigmaS: config.sigmaS, numAugmented: config.numAugmented,
    batchSize: config.batchSize, numUpdates: config.updatesPerRound, learningRate: config.learningRate, patience: null,
  });
  const buffer = new RingBuffer(config.bufferSize, shapes, kinds, spec.actionDim);
  // Each resume starts its environments from a seed of its own round, so a resumed run visits new episodes.
  const vec = await VecEnv.create({ task: config.task, taskOptions: config.taskOptions, numEnvs: config.numEnvs, workers: config.workers, seed: 100_000 * (config.seed + 1) + state.round });
  const A = spec.actionDim;
  const rows: DistillRow[] = [];
  const stepsPerRound = Math.max(1, Math.floor(config.stepsPerRound / config.numEnvs));
  const save = () => {
    saveAtomic(path.join(ckptDir, 'policy'), student, { task: config.task, step: state.envSteps, distill: { round: state.round } });
    fs.writeFileSync(path.join(ckptDir, 'state.json.tmp'), JSON.stringify({ ...state, rng: rng.saveState() }) + '\n');
    fs.renameSync(path.join(ckptDir, 'state.json.tmp'), path.join(ckptDir, 'state.json'));
  };
  let teacherActed = 0;
  // Act `steps` steps per env with the mixture at share `beta` (plus DART noise), appending the teacher's labels.
  const act = async (start: Record<string, Float32Array>, steps: number, beta: number) => {
    let obs = start;
    teacherActed = 0;
    for (let t = 0; t < steps; t++) {
      const n = config.numEnvs;
      const labels = teacher.label(obs, n, vec);
      const studentActs = beta === 1 ? labels : student.distribution({ batch: n, groups: Object.fromEntries(plan.view.map((g) => [g, obs[g]])) });
      const action = new Float32Array(n * A);
      for (let i = 0; i < n; i++) {
        const useTeacher = beta === 1 || (beta > 0 && rng.uniform() < beta);
        if (useTeacher) teacherActed++;
        const src = useTeacher ? labels.mean : studentActs.mean;
        for (let a = 0; a < A; a++) action[i * A + a] = Math.max(-1, Math.min(1, src[a + i * A] + config.dartNoise * rng.normal()));
      }
      buffer.append(Object.fromEntries(stored.map((g) => [g, obs[g]])), labels, n);
      obs = (await vec.step(action)).obs;
      state.envSteps += n;
    }
    return obs;
  };
  try {
    let obs = await vec.reset();
    let roundsThisCall = 0;
    // -- warm-up (a fresh run): the teacher alone fills the buffer; a controller's student takes its normaliser --
    const warmup = Math.floor(config.warmupSteps / config.numEnvs);
    if (state.round === 0 && state.envSteps === 0 && warmup > 0) {
      obs = await inBlasPhase('act', () => act(obs, warmup, 1));
      if (!teacher.expert) initStudentNormalizer(student, null, buffer.samples());
      console.log(`distill: warm-up of ${warmup * config.numEnvs} teacher steps (${buffer.size} buffer rows)`);
    }
    while (state.envSteps < config.envSteps && (options.maxRounds === undefined || roundsThisCall < options.maxRounds)) {
      const beta = betaAt(config, state.round);
      // -- act with the mixture (plus DART noise), label with the teacher (BLAS phase 'act') --
      obs = await inBlasPhase('act', () => act(obs, stepsPerRound, beta));
      // -- train on the buffer (a fresh controller-taught student first estimates its normaliser from it) --
      if (!teacher.expert && state.round === 0 && warmup === 0) initStudentNormalizer(student, null, buffer.samples());
      const t0 = Date.now();
      const trained = trainStudent({ student, expert: teacher.expert, train: buffer.samples(), validation: null, config: cloning, rng });
      const trainSeconds = (Date.now() - t0) / 1000;
      state.round++;
      roundsThisCall++;
      // -- evaluate now and then; keep the best --
      let evalReturn: number | null = null;
      let evalMetric: number | null = null;
      const last = state.envSteps >= config.envSteps;
      if (state.round % config.evalEvery === 0 || last) {
        const ev = await evaluatePolicy(student, { task: config.task, taskOptions: config.taskOptions, episodes: config.evalEpisodes, mode: 'mean', seed: DISTILL_EVAL_SEED, workers: config.workers });
        evalReturn = ev.mean;
        evalMetric = ev.metric ? ev.metric.mean : ev.mean;
        // Every evaluated student is kept (out/evaluated/, not committed): a short evaluation picks `best`
        // with its noise, so the candidates can be re-measured on the true task's 150 episodes.
        saveAtomic(path.join(out, 'evaluated', String(state.round).padStart(6, '0')), student, { task: config.task, step: state.envSteps, distill: { round: state.round, evalReturn, evalMetric } });
        if (state.bestMetric === null || evalMetric > state.bestMetric) {
          state.bestMetric = evalMetric;
          saveAtomic(path.join(out, 'best'), student, { task: config.task, step: state.envSteps, distill: { round: state.round, evalReturn, evalMetric } });
        }
      }
      const row: DistillRow = { round: state.round, envSteps: state.envSteps, beta, teacherShare: teacherActed / (stepsPerRound * config.numEnvs), bufferRows: buffer.size, trainSeconds, trainLoss: trained.meanTrainLoss, evalReturn, evalMetric };
      fs.appendFileSync(path.join(out, 'curve.csv'), [row.round, row.envSteps, row.beta, row.teacherShare, row.bufferRows, row.trainSeconds, csvNumber(row.trainLoss), csvNumber(row.evalReturn), csvNumber(row.evalMetric)].join(',') + '\n');
      rows.push(row);
      options.onRound?.(row);
      save();
      // Give the event loop a turn: signals are delivered there, and an in-thread VecEnv never yields otherwise
      // (SIGTERM went unnoticed for a whole run).
      await new Promise((resolve) => setImmediate(resolve));
      if (options.shouldStop?.()) break;
    }
  } finally {
    await vec.close();
    teacher.dispose();
    student.dispose();
  }
  return rows;
}
