/**
 * Policy checkpoints: a directory with manifest.json (format version, task, view, group shapes and kinds, action
 * dimension, config, normaliser state, training step, user metadata, weight tensor names / shapes and the sha256 of
 * the weights file) and weights.bin (every tensor's float32 values, little-endian, concatenated in manifest order).
 * Loading checks the manifest against what the caller expects and names each mismatch. Not a paper component.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Rng } from '../util/rng';
import { GaussianMLP, type GaussianMLPConfig, type PolicySpec } from './gaussian-mlp';
import type { NormalizerState } from './normalizer';
import { firstNonFinite } from '../util/finite';

export const CHECKPOINT_FORMAT = 'apc-repro policy checkpoint';
export const CHECKPOINT_VERSION = 1;
/** The format of the first committed experts, written by an early stand-in policy (same tensor layout); read for compatibility. */
const LEGACY_FORMAT = 'rl/policy-adapter GaussianMLP v1';
const MANIFEST = 'manifest.json';
const WEIGHTS = 'weights.bin';

// A type alias (not an interface) so it is assignable to Record<string, unknown>, as callers hold manifests.
export type CheckpointManifest = {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  task: string | null;
  step: number | null;
  view: string[];
  groupShapes: Record<string, number[]>;
  groupKinds: Record<string, 'state' | 'image'>;
  actionDim: number;
  config: GaussianMLPConfig;
  normalizer: NormalizerState | null;
  weights: { file: string; dtype: 'float32'; byteOrder: 'little-endian'; bytes: number; sha256: string; tensors: { name: string; shape: number[] }[] };
  /**
   * Whatever the caller passed in `extra` besides task and step (evaluation returns, seeds, ...). In manifest.json
   * these keys sit at the top level beside the fields above (as the stand-in wrote them, so tools that read
   * `manifest.json` directly, e.g. `evalReturn`, keep working); readManifest gathers them back here.
   */
  extra: Record<string, unknown>;
};

/** Top-level manifest.json keys owned by the format; `extra` may not use them. */
const RESERVED_KEYS = ['format', 'version', 'task', 'step', 'view', 'groupShapes', 'groupKinds', 'actionDim', 'config', 'normalizer', 'weights', 'extra'];

/** What a caller may require of a checkpoint; every field is optional. */
export interface CheckpointExpectation {
  task?: string;
  view?: string[];
  groupShapes?: Record<string, number[]>;
  actionDim?: number;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function weightsToBytes(weights: Float32Array[]): Buffer {
  const total = weights.reduce((n, w) => n + w.length, 0);
  const buf = Buffer.alloc(total * 4);
  let o = 0;
  for (const w of weights) {
    if (isLittleEndian) {
      Buffer.from(w.buffer, w.byteOffset, w.byteLength).copy(buf, o);
      o += w.byteLength;
    } else {
      for (let i = 0; i < w.length; i++, o += 4) buf.writeFloatLE(w[i], o);
    }
  }
  return buf;
}

function bytesToWeights(bytes: Buffer, sizes: number[]): Float32Array[] {
  const out: Float32Array[] = [];
  let o = 0;
  for (const n of sizes) {
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++, o += 4) w[i] = bytes.readFloatLE(o);
    out.push(w);
  }
  return out;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Write `policy` to `dir` (created if needed). `extra.task` and `extra.step` become the manifest's task and step;
 * the rest of `extra` sits at the top level of manifest.json (read back as `manifest.extra`). weights.bin is
 * written first and manifest.json last, each via a temporary file and rename, so a reader never sees a manifest
 * without its weights.
 */
export async function saveCheckpoint(dir: string, policy: GaussianMLP, extra: Record<string, unknown> = {}): Promise<void> {
  saveCheckpointSync(dir, policy, extra);
}

/** saveCheckpoint, synchronously, returning the manifest it wrote. */

export function saveCheckpointSync(dir: string, policy: GaussianMLP, extra: Record<string, unknown> = {}): CheckpointManifest {
  const { task, step, ...rest } = extra;
  const clash = Object.keys(rest).filter((k) => RESERVED_KEYS.includes(k));
  if (clash.length > 0) throw new RangeError(`extra may not use the manifest's own keys ${clash.map((k) => `'${k}'`).join(', ')} (reserved: ${RESERVED_KEYS.join(', ')})`);
  if (task !== undefined && typeof task !== 'string') throw new RangeError(`extra.task must be a string, got ${JSON.stringify(task)}`);
  if (step !== undefined && !(typeof step === 'number' && Number.isFinite(step))) throw new RangeError(`extra.step must be a finite number, got ${JSON.stringify(step)}`);
  fs.mkdirSync(dir, { recursive: true });
  const weights = policy.getWeights();
  const bytes = weightsToBytes(weights);
  const names = policy.weightNames();
  const shapes = policy.weightShapes();
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    task: (task as string | undefined) ?? null,
    step: (step as number | undefined) ?? null,
    view: policy.spec.view,
    groupShapes: policy.spec.groupShapes,
    groupKinds: policy.spec.groupKinds,
    actionDim: policy.actionDim,
    config: policy.config,
    normalizer: policy.normalizer ? policy.normalizer.getState() : null,
    weights: { file: WEIGHTS, dtype: 'float32', byteOrder: 'little-endian', bytes: bytes.length, sha256: sha256(bytes), tensors: names.map((name, i) => ({ name, shape: shapes[i] })) },
    extra: rest,
  };
  writeAtomically(path.join(dir, WEIGHTS), bytes);
  const { extra: _extra, ...fields } = manifest;
  writeAtomically(path.join(dir, MANIFEST), JSON.stringify({ ...fields, ...rest }, null, 1) + '\n');
  return manifest;
}

function writeAtomically(file: string, data: Buffer | string): void {
  const tmp = `${file}.tmp-${process.pid}-${os.hostname()}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Read and validate manifest.json, converting the stand-in's legacy format; no weights are read. */
export function readManifest(dir: string): CheckpointManifest {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CheckpointError(`checkpoint ${dir}: no such directory`);
  const mpath = path.join(dir, MANIFEST);
  if (!fs.existsSync(mpath)) throw new CheckpointError(`checkpoint ${dir}: missing file ${MANIFEST}`);
  let raw: any;
  try {
    raw = JSON.parse(fs.readFileSync(mpath, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`checkpoint ${dir}: ${MANIFEST} is not valid JSON (${(e as Error).message})`);
  }
  if (raw?.format === LEGACY_FORMAT) return fromLegacy(raw);
  if (raw?.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`checkpoint ${dir}: unknown format ${JSON.stringify(raw?.format)}, expected '${CHECKPOINT_FORMAT}' (or '${LEGACY_FORMAT}')`);
  if (raw.version !== CHECKPOINT_VERSION) throw new CheckpointError(`checkpoint ${dir}: format version ${raw.version}, this code reads version ${CHECKPOINT_VERSION}`);
  for (const k of ['view', 'groupShapes', 'groupKinds', 'actionDim', 'config', 'weights'] as const) {
    if (raw[k] === undefined) throw new CheckpointError(`checkpoint ${dir}: ${MANIFEST} lacks field '${k}'`);
  }
  const extra: Record<string, unknown> = {};
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) (RESERVED_KEYS.includes(k) ? fields : extra)[k] = v;
  // A nested `extra` object (never written by this code, but a valid way to spell the same thing) is merged in.
  const nested = fields.extra && typeof fields.extra === 'object' ? (fields.extra as Record<string, unknown>) : {};
  return { ...fields, extra: { ...nested, ...extra } } as unknown as CheckpointManifest;
}

function fromLegacy(raw: any): CheckpointManifest {
  const { format, spec, config, normalizer, shapes, sha256: sha, task, step, ...rest } = raw;
  const names = [...(shapes as number[][]).slice(0, -1).flatMap((_, i) => (i % 2 === 0 ? [`mlp/${i / 2}/w`] : [`mlp/${(i - 1) / 2}/b`])), 'std/raw'];
  const bytes = (shapes as number[][]).reduce((n, s) => n + 4 * s.reduce((a, b) => a * b, 1), 0);
  return {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, task: task ?? null, step: step ?? null,
    view: spec.view, groupShapes: spec.groupShapes, groupKinds: spec.groupKinds, actionDim: spec.actionDim,
    // The stand-in initialised with scaled normals; irrelevant once weights are loaded, but recorded faithfully.
    config: { ...config, init: 'variance-scaling' }, normalizer,
    weights: { file: WEIGHTS, dtype: 'float32', byteOrder: 'little-endian', bytes, sha256: sha, tensors: names.map((name, i) => ({ name, shape: shapes[i] })) },
    extra: { ...rest, legacyFormat: format },
  };
}

/** Every way `m` differs from `expected`, as sentences. */
export function checkpointMismatches(m: CheckpointManifest, expected: CheckpointExpectation): string[] {
  const out: string[] = [];
  if (expected.task !== undefined && m.task !== expected.task) out.push(`wrong task '${m.task}', expected '${expected.task}'`);
  if (expected.view !== undefined && JSON.stringify(m.view) !== JSON.stringify(expected.view)) out.push(`view [${m.view.join(', ')}], expected [${expected.view.join(', ')}]`);
  if (expected.groupShapes !== undefined) {
    for (const [g, shape] of Object.entries(expected.groupShapes)) {
      const have = m.groupShapes[g];
      if (!m.view.includes(g) || !have) {
        out.push(`observation group '${g}' is not read by this policy (its view: ${m.view.join(', ')})`);
        continue;
      }
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      if (size(have) !== size(shape)) out.push(`observation group '${g}' has size ${size(have)}, expected ${size(shape)}`);
      else if (JSON.stringify(have) !== JSON.stringify(shape)) out.push(`observation group '${g}' has shape [${have}], expected [${shape}]`);
    }
  }
  if (expected.actionDim !== undefined && m.actionDim !== expected.actionDim) out.push(`action dimension ${m.actionDim}, expected ${expected.actionDim}`);
  return out;
}

/**
 * Load a checkpoint written by saveCheckpoint (or the stand-in's legacy format). Throws a CheckpointError that names
 * each mismatch with `expected`, a missing file, or a weights file whose sha256 differs from the manifest
 * ("corrupted").
 */
export async function loadCheckpoint(dir: string, expected: CheckpointExpectation = {}): Promise<{ policy: GaussianMLP; manifest: CheckpointManifest }> {
  return loadCheckpointSync(dir, expected);
}

export function loadCheckpointSync(dir: string, expected: CheckpointExpectation = {}): { policy: GaussianMLP; manifest: CheckpointManifest } {
  const manifest = readManifest(dir);
  const problems = checkpointMismatches(manifest, expected);
  if (problems.length > 0) throw new CheckpointError(`checkpoint ${dir} does not match: ${problems.join('; ')}`);
  const wpath = path.join(dir, manifest.weights.file);
  if (!fs.existsSync(wpath)) throw new CheckpointError(`checkpoint ${dir}: missing file ${manifest.weights.file}`);
  const bytes = fs.readFileSync(wpath);
  const sha = sha256(bytes);
  if (sha !== manifest.weights.sha256) {
    throw new CheckpointError(`checkpoint ${dir}: ${manifest.weights.file} is corrupted (sha256 ${sha}, manifest records ${manifest.weights.sha256})`);
  }
  const spec: PolicySpec = { view: manifest.view, groupShapes: manifest.groupShapes, groupKinds: manifest.groupKinds, actionDim: manifest.actionDim };
  const policy = new GaussianMLP(spec, manifest.config, new Rng('checkpoint'));
  try {
    const names = policy.weightNames();
    const shapes = policy.weightShapes();
    const stored = manifest.weights.tensors;
    if (stored.length !== names.length) throw new CheckpointError(`checkpoint ${dir}: ${stored.length} weight tensors stored, the policy built from its config has ${names.length}`);
    stored.forEach((t, i) => {
      if (JSON.stringify(t.shape) !== JSON.stringify(shapes[i])) throw new CheckpointError(`checkpoint ${dir}: tensor '${t.name}' has shape [${t.shape}], the policy's '${names[i]}' has [${shapes[i]}]`);
    });
    const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
    const need = 4 * sizes.reduce((a, b) => a + b, 0);
    if (bytes.length !== need) throw new CheckpointError(`checkpoint ${dir}: ${manifest.weights.file} has ${bytes.length} bytes, the tensors need ${need}`);
    const weights = bytesToWeights(bytes, sizes);
    weights.forEach((w, i) => {
      const bad = firstNonFinite(w);
      if (bad >= 0) throw new CheckpointError(`checkpoint ${dir}: tensor '${names[i]}' holds ${w[bad]} at entry ${bad}; a policy with non-finite weights is refused`);
    });
    policy.setWeights(weights);
    if (manifest.normalizer) {
      const s = manifest.normalizer as { mean?: unknown; var?: unknown; count?: unknown };
      const vals = [...(Array.isArray(s.mean) ? s.mean : []), ...(Array.isArray(s.var) ? s.var : []), s.count].map(Number);
      if (firstNonFinite(vals) >= 0) throw new CheckpointError(`checkpoint ${dir}: the normaliser state holds a non-finite (or null) value; a policy with non-finite statistics is refused`);
    }
    if (manifest.normalizer && policy.normalizer) policy.normalizer.setState(manifest.normalizer);
    else if (!!manifest.normalizer !== !!policy.normalizer) throw new CheckpointError(`checkpoint ${dir}: normaliser state ${manifest.normalizer ? 'present' : 'absent'} but config.normalize is ${manifest.config.normalize}`);
  } catch (e) {
    policy.dispose();
    throw e;
  }
  policy.trainedFor = manifest.task;
  return { policy, manifest };
}

/** A checkpoint's policy, ready to be queried as an Expert (see types.ts). */
export async function loadExpert(dir: string, expected: CheckpointExpectation = {}): Promise<GaussianMLP> {
  return loadCheckpointSync(dir, expected).policy;
}
