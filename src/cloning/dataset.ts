/**
 * Expert datasets (paper section 5): N trajectories of the expert acting with Gaussian action noise sigma_E = 0.2
 * around its mean. Every step stores every observation group (student and expert views, so the expert can be
 * re-queried at perturbed states), the expert's mean and std, the executed action, the reward and episode
 * boundaries. Saved as .npy arrays + manifest.json under data/datasets/<task>/<name>/ (numpy.load opens them).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpSuffix } from '../util/paths';
import { CorruptFileError, readJsonFile } from '../util/json';
import type { Expert } from '../policies/types';
import '../envs'; // registers every task
import { VecEnv } from '../envs/vec-env';
import { inBlasPhase } from '../policies/native-blas';
import { Rng } from '../util/rng';
import { NpyFormatError, readNpy, writeNpy } from './npy';
import type { SampleSet } from './strategies';

export interface Dataset extends SampleSet {
  task: string;
  /** Executed (noisy, unclipped) actions, size * actionDim. */
  actions: Float32Array;
  rewards: Float32Array;
  /** Index of the trajectory each step belongs to. */
  episode: Int32Array;
  /** Return of each trajectory. */
  episodeReturns: number[];
}

export interface CollectOptions {
  task: string;
  /** Trajectories to record. */
  trajectories: number;
  /** Expert action noise sigma_E. Default 0.2 (paper section 5). */
  actionNoise?: number;
  /** Seed of the initial states and the action noise. */
  seed: number;
  /** Steps per trajectory (the task's own length unless set; tests only). */
  episodeLength?: number;
  workers?: number;
}

/** Record `trajectories` full episodes of `expert` with action noise. Deterministic given the seed. */
export function collectDataset(expert: Expert, o: CollectOptions): Promise<Dataset> {
  return inBlasPhase('act', () => collectIn(expert, o));
}

async function collectIn(expert: Expert, o: CollectOptions): Promise<Dataset> {
  if (!Number.isInteger(o.trajectories) || o.trajectories <= 0) throw new RangeError(`trajectories must be a positive integer, got ${o.trajectories}`);
  const noise = o.actionNoise ?? 0.2;
  if (!(noise >= 0)) throw new RangeError(`actionNoise must be >= 0, got ${noise}`);
  const n = o.trajectories;
  const vec = await VecEnv.create({ task: o.task, numEnvs: n, workers: o.workers ?? 0, seed: o.seed, taskOptions: o.episodeLength ? { episodeLength: o.episodeLength } : {} });
  const spec = vec.spec;
  const T = spec.episodeLength === undefined || o.episodeLength ? (o.episodeLength ?? spec.episodeLength) : spec.episodeLength;
  const A = spec.actionDim;
  const rng = new Rng(`${o.seed}/dataset-noise`);
  const steps: { obs: Record<string, Float32Array>; mean: Float32Array; std: Float32Array; action: Float32Array; reward: Float32Array }[] = [];
  try {
    let obs = await vec.reset();
    for (let t = 0; t < T; t++) {
      const groups: Record<string, Float32Array> = {};
      for (const g of expert.view) groups[g] = obs[g];
      const d = expert.distribution({ batch: n, groups });
      const action = Float32Array.from(d.mean, (m) => m + noise * rng.normal());
      const st = await vec.step(action, { resetOnFailure: false });
      steps.push({ obs, mean: d.mean, std: d.std, action, reward: st.reward });
      obs = st.obs;
    }
  } finally {
    await vec.close();
  }
  // Reorder (time, env) -> (env, time) so each trajectory is contiguous.
  const size = n * T;
  const groups: Record<string, Float32Array> = {};
  const groupShapes: Record<string, number[]> = {};
  const groupKinds: Record<string, 'state' | 'image'> = {};
  for (const gs of spec.observationGroups) {
    const w = gs.shape.reduce((a, b) => a * b, 1);
    groups[gs.name] = new Float32Array(size * w);
    groupShapes[gs.name] = gs.shape;
    groupKinds[gs.name] = gs.kind;
  }
  const expertMean = new Float32Array(size * A);
  const expertStd = new Float32Array(size * A);
  const actions = new Float32Array(size * A);
  const rewards = new Float32Array(size);
  const episode = new Int32Array(size);
  const episodeReturns = new Array(n).fill(0);
  for (let t = 0; t < T; t++) {
    const s = steps[t];
    for (let i = 0; i < n; i++) {
      const r = i * T + t;
      for (const g of Object.keys(groups)) {
        const w = groups[g].length / size;
        groups[g].set(s.obs[g].subarray(i * w, (i + 1) * w), r * w);
      }
      expertMean.set(s.mean.subarray(i * A, (i + 1) * A), r * A);
      expertStd.set(s.std.subarray(i * A, (i + 1) * A), r * A);
      actions.set(s.action.subarray(i * A, (i + 1) * A), r * A);
      rewards[r] = s.reward[i];
      episode[r] = i;
      episodeReturns[i] += s.reward[i];
    }
  }
  return { task: o.task, size, groups, groupShapes, groupKinds, expertMean, expertStd, actionDim: A, actions, rewards, episode, episodeReturns };
}

const sha256File = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** A stored dataset that fails its checks (a file's sha256 or length differs from its manifest, or is unreadable). */
export class DatasetCorruptError extends Error {
  constructor(readonly dir: string, message: string) {
    super(message);
    this.name = 'DatasetCorruptError';
  }
}

/** Write a dataset as .npy files + manifest.json into `dir`; the manifest records every file's sha256. */
export function saveDataset(dir: string, d: Dataset, meta: Record<string, unknown> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const A = d.actionDim;
  const files: Record<string, string> = {};
  const write = (name: string, x: Float32Array | Int32Array, shape: number[]) => {
    writeNpy(path.join(dir, name), x, shape);
    files[name] = sha256File(path.join(dir, name));
  };
  for (const [g, x] of Object.entries(d.groups)) write(`obs.${g}.npy`, x, [d.size, ...d.groupShapes[g]]);
  write('expert_mean.npy', d.expertMean, [d.size, A]);
  write('expert_std.npy', d.expertStd, [d.size, A]);
  write('action.npy', d.actions, [d.size, A]);
  write('reward.npy', d.rewards, [d.size]);
  write('episode.npy', d.episode, [d.size]);
  const manifest = { format: 'apc-repro dataset v1', task: d.task, size: d.size, actionDim: A, groupShapes: d.groupShapes, groupKinds: d.groupKinds, episodeReturns: d.episodeReturns, sha256: files, ...meta };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
}

/**
 * Read a dataset written by saveDataset. Every file is checked against the manifest: its sha256 (when the manifest
 * records them) and its shape (size rows of the recorded width); a failed check throws a DatasetCorruptError naming
 * the file. A missing file is named too.
 */
export function loadDataset(dir: string): Dataset {
  const mpath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(mpath)) throw new Error(`no dataset at ${dir} (missing manifest.json)`);
  let m: any;
  try {
    m = readJsonFile(mpath, 'dataset manifest');
  } catch (e) {
    throw new DatasetCorruptError(dir, (e as Error).message);
  }
  const hashes: Record<string, string> | undefined = m.sha256;
  const read = (name: string, width: number) => {
    const f = path.join(dir, name);
    if (!fs.existsSync(f)) throw new DatasetCorruptError(dir, `dataset ${dir} lacks ${name}`);
    const want = hashes?.[name];
    if (hashes && want === undefined) throw new DatasetCorruptError(dir, `dataset ${dir}: its manifest records no sha256 for ${name}`);
    if (want !== undefined) {
      const got = sha256File(f);
      if (got !== want) throw new DatasetCorruptError(dir, `dataset ${dir}: ${name} is corrupted (sha256 ${got}, manifest records ${want})`);
    }
    let data;
    try {
      data = readNpy(f).data;
    } catch (e) {
      if (e instanceof NpyFormatError) throw new DatasetCorruptError(dir, `dataset ${dir}: ${e.message}`);
      throw e;
    }
    if (data.length !== m.size * width) throw new DatasetCorruptError(dir, `dataset ${dir}: ${name} holds ${data.length} values, the manifest's ${m.size} steps x ${width} need ${m.size * width}`);
    return data;
  };
  const A = m.actionDim;
  const groups: Record<string, Float32Array> = {};
  for (const g of Object.keys(m.groupShapes)) groups[g] = read(`obs.${g}.npy`, (m.groupShapes[g] as number[]).reduce((a, b) => a * b, 1)) as Float32Array;
  return {
    task: m.task, size: m.size, actionDim: m.actionDim, groupShapes: m.groupShapes, groupKinds: m.groupKinds, groups,
    expertMean: read('expert_mean.npy', A) as Float32Array, expertStd: read('expert_std.npy', A) as Float32Array,
    actions: read('action.npy', A) as Float32Array, rewards: read('reward.npy', 1) as Float32Array,
    episode: read('episode.npy', 1) as Int32Array, episodeReturns: m.episodeReturns,
  };
}

/**
/**
 * The folder of the dataset (task, trajectories, noise, seed, episode length) recorded by the expert whose checkpoint
 * hashes to `expertSha256` (util/experts.ts): other weights record into another folder, never into this one.
 */
export function datasetDir(root: string, o: CollectOptions, expertSha256: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(expertSha256)) throw new RangeError(`expertSha256 must be the hex sha256 of the expert checkpoint, got ${JSON.stringify(expertSha256)}`);
  const name = `n${o.trajectories}-noise${o.actionNoise ?? 0.2}-seed${o.seed}${o.episodeLength ? `-len${o.episodeLength}` : ''}-expert${expertSha256.slice(0, 16)}`;
  return path.join(root, o.task, name);
}

/**
 * Collect-or-load: the dataset named by (task, trajectories, noise, seed, expert sha256) under `root`, cached on
 * disk. A stored dataset that fails its checks is reported through `warn` (default: stderr) and collected again.
 */
export async function cachedDataset(root: string, expert: Expert, o: CollectOptions, expertSha256: string, warn: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<Dataset> {
  const dir = datasetDir(root, o, expertSha256);
  let damaged = false;
  if (fs.existsSync(path.join(dir, 'manifest.json'))) {
    try {
      return loadDataset(dir);
    } catch (e) {
      if (!(e instanceof DatasetCorruptError || e instanceof CorruptFileError)) throw e;
      warn(`${e.message}; collecting it again`);
      damaged = true;
    }
  }
  const d = await collectDataset(expert, o);
  const tmp = `${dir}.tmp-${tmpSuffix()}`;
  saveDataset(tmp, d, { trajectories: o.trajectories, actionNoise: o.actionNoise ?? 0.2, seed: o.seed, expertSha256 });
  // Only a damaged copy is removed: a folder that appeared meanwhile was stored whole (by rename) by another
  // process collecting the same dataset (same seed and expert, so the same data), and readers may be loading it.
  if (damaged) fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return d;
}
