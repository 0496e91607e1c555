/**
 * Native matrix products for the tfjs 'wasm' backend: MatMul / BatchMatMul and _FusedMatMul kernels that call the
 * system BLAS's `cblas_sgemm` (through the npm package `nblas`) directly on Float32Array views of the backend's
 * wasm heap: no copies in or out. tfjs stays the model and autodiff layer; only these kernels change. Anything they
 * do not cover (prelu / leakyrelu activations, non-rank-1 bias, non-simple batch broadcasting, empty tensors) goes
 * to the backend's own kernel. Not a paper component.
 *
 * Switches: APC_LEARNER=wasm|native|auto (default auto: native when nblas loads), APC_BLAS_THREADS=N (OpenBLAS
 * threads in learner phases, default 1). Phases: the PPO update and cloning updates run on N threads ('learn'),
 * collection and evaluation, where actor threads step environments, on 1 ('act'). nblas exposes no
 * openblas_set_num_threads, so the switch goes through the small addon `apc-blas-threads` (native/blas-threads,
 * built by npm ci beside nblas against the same libopenblas); without it the count N is fixed for the process.
 */
import * as tf from '@tensorflow/tfjs';

export type LearnerPath = 'native' | 'wasm';
export const LEARNER_CHOICES = ['auto', 'native', 'wasm'] as const;
export type LearnerChoice = (typeof LEARNER_CHOICES)[number];

type Sgemm = (
  transA: number, transB: number, m: number, n: number, k: number, alpha: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number,
) => void;

const NO_TRANS = 111;
const TRANS = 112;

let sgemmFn: Sgemm | null = null;
let loadError: string | null = null;
let loaded = false;
let blasThreads: number | null = null;

/** openblas_set_num_threads / openblas_get_num_threads / openblas_get_corename (native/blas-threads). */
interface ThreadControl {
  setNumThreads(n: number): number;
  getNumThreads(): number;
  corename(): string;
}
let threadControl: ThreadControl | null = null;
let threadControlError: string | null = null;

/** APC_LEARNER, validated: 'auto' when unset. */
export function learnerChoice(env: NodeJS.ProcessEnv = process.env): LearnerChoice {
  const v = env.APC_LEARNER;
  if (v === undefined || v === '') return 'auto';
  if (!(LEARNER_CHOICES as readonly string[]).includes(v)) {
    throw new RangeError(`APC_LEARNER must be one of ${LEARNER_CHOICES.join(', ')}; got ${JSON.stringify(v)}`);
  }
  return v as LearnerChoice;
}

/** APC_BLAS_THREADS, validated: a positive integer, default 1. */
export function requestedBlasThreads(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.APC_BLAS_THREADS;
  if (v === undefined || v === '') return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`APC_BLAS_THREADS must be an integer in [1, 64]; got ${JSON.stringify(v)}`);
  return n;
}

/**
 * Loads nblas once (null when it is missing or fails to load; loadErrorMessage() says why). OpenBLAS reads
 * OPENBLAS_NUM_THREADS when the library is loaded, so the thread count is set here, before require: from
 * APC_BLAS_THREADS, unless OPENBLAS_NUM_THREADS is already set by the caller.
 */
export function loadSgemm(): Sgemm | null {
  if (loaded) return sgemmFn;
  loaded = true;
  try {
    const want = requestedBlasThreads();
    if (process.env.OPENBLAS_NUM_THREADS === undefined || process.env.APC_BLAS_THREADS !== undefined) process.env.OPENBLAS_NUM_THREADS = String(want);
    blasThreads = Number(process.env.OPENBLAS_NUM_THREADS);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nblas = require('nblas') as { sgemm?: Sgemm };
    if (typeof nblas.sgemm !== 'function') throw new Error('nblas has no sgemm');
    // A 2x2 product checks that the binding really runs (and that it honours typed-array offsets).
    const buf = new Float32Array([9, 1, 2, 3, 4, 9, 5, 6, 7, 8, 9, 0, 0, 0, 0]);
    nblas.sgemm(NO_TRANS, NO_TRANS, 2, 2, 2, 1, buf.subarray(1, 5), 2, buf.subarray(6, 10), 2, 0, buf.subarray(11, 15), 2);
    const c = Array.from(buf.subarray(11, 15));
    if (c.join(',') !== '19,22,43,50') throw new Error(`nblas sgemm self-check gave [${c}], expected [19,22,43,50]`);
    sgemmFn = nblas.sgemm;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const control = require('apc-blas-threads') as ThreadControl;
      if (typeof control.setNumThreads !== 'function' || control.getNumThreads() < 1) throw new Error('apc-blas-threads has no thread control');
      threadControl = control;
      threadsNow = control.getNumThreads();
    } catch (e) {
      threadControlError = (e as Error).message.split('\n')[0];
    }
  } catch (e) {
    loadError = (e as Error).message.split('\n')[0];
    sgemmFn = null;
  }
  return sgemmFn;
}

export function loadErrorMessage(): string | null {
  return loadError;
}

/** OpenBLAS threads of learner phases (null when nblas is not loaded). */
export function nativeBlasThreads(): number | null {
  return sgemmFn ? blasThreads : null;
}

/** OpenBLAS threads now (the library's own count; null without nblas or without the thread-control addon). */
export function currentBlasThreads(): number | null {
  return sgemmFn && threadControl ? threadControl.getNumThreads() : null;
}

/** The OpenBLAS kernel family in use ('Haswell', 'SkylakeX', ...; null without the thread-control addon). */
export function blasCorename(): string | null {
  return sgemmFn && threadControl ? threadControl.corename() : null;
}

/** Whether BLAS threads follow the phases (null: yes; otherwise why not). */
export function threadControlUnavailable(): string | null {
  if (!sgemmFn) return loadError ?? 'native BLAS not loaded';
  return threadControl ? null : `apc-blas-threads not built (${threadControlError})`;
}

/**
 * A phase of work: 'learn' (the PPO update, cloning updates: APC_BLAS_THREADS threads) or 'act' (collection and
 * evaluation, where actor threads step environments: 1 thread, so that BLAS workers do not compete with them).
 */
export type BlasPhase = 'learn' | 'act';

let phase: BlasPhase = 'learn';
/** The OpenBLAS thread count last set (null until a phase is entered with thread control). */
let threadsNow: number | null = null;
function applyPhase(p: BlasPhase): void {
  phase = p;
  if (!sgemmFn || !threadControl || blasThreads === null) return;
  const want = p === 'learn' ? blasThreads : 1;
  if (threadsNow !== want) threadsNow = threadControl.setNumThreads(want);
}

/**
 * Runs f in `p` and returns to the phase it was called in (also when f throws or its promise rejects). Nested
 * calls restore their caller's phase. A no-op for thread counts where the native path or the addon is missing.
 */
export function inBlasPhase<T>(p: BlasPhase, f: () => T): T {
  const before = phase;
  applyPhase(p);
  let out: T;
  try {
    out = f();
  } catch (e) {
    applyPhase(before);
    throw e;
  }
  if (out instanceof Promise) {
    return out.finally(() => applyPhase(before)) as T;
  }
  applyPhase(before);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Kernels

interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}
interface WasmBackend {
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): TensorInfo;
  wasm: { HEAPF32: Float32Array };
}
type KernelArgs = { inputs: Record<string, TensorInfo | undefined | null>; backend: WasmBackend; attrs: Record<string, unknown> };
type KernelFunc = (args: KernelArgs) => TensorInfo;

let active = false;
let installed = false;
const originals: Record<string, KernelFunc> = {};
/** Products run natively / handed to the wasm kernel since install (for tests and benchmarks). */
export const nativeCounts = { native: 0, fallback: 0 };
/** Native products run per OpenBLAS thread count (for tests: updates on APC_BLAS_THREADS, acting on 1). */
export const productsAtThreads: Record<number, number> = {};

const prod = (s: number[]) => s.reduce((p, d) => p * d, 1);

function countNative(): void {
  nativeCounts.native++;
  if (threadsNow !== null) productsAtThreads[threadsNow] = (productsAtThreads[threadsNow] ?? 0) + 1;
}

/** Float32 element offset of a tensor on the heap. */
function heapIndex(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset >>> 2;
}

interface Plan {
  batch: number;
  strideA: number;
  strideB: number;
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

/** Shapes of a (batched) product, or null when it is not a case the native kernel takes. */
function plan(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): Plan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ar = a.shape.length;
  const br = b.shape.length;
  const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
  const kA = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
  const kB = transposeB ? b.shape[br - 1] : b.shape[br - 2];
  const n = transposeB ? b.shape[br - 2] : b.shape[br - 1];
  if (kA !== kB || m === 0 || n === 0 || kA === 0) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = prod(outerA);
  const batchB = prod(outerB);
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null; // let the wasm kernel raise its own error
  }
  // Equal batch layouts, or one side without batch (size 1): anything else goes to the wasm kernel.
  const batchOut = prod(outer);
  if (!((batchA === batchOut && (batchB === batchOut || batchB === 1)) || (batchA === 1 && batchB === batchOut))) return null;
  const batch = Math.max(batchA, batchB);
  return { batch, strideA: batchA === 1 ? 0 : m * kA, strideB: batchB === 1 ? 0 : kA * n, m, n, k: kA, outShape: [...outer, m, n] };
}

/** C = A B (times batch) into `out`; beta = 1 accumulates onto what out holds (the bias). */
function runProducts(backend: WasmBackend, a: TensorInfo, b: TensorInfo, out: TensorInfo, p: Plan, transposeA: boolean, transposeB: boolean, beta: number): Float32Array {
  const sgemm = sgemmFn as Sgemm;
  // Read the heap only after every allocation: a malloc may grow the wasm memory and detach older views.
  const heap = backend.wasm.HEAPF32;
  const ia = heapIndex(backend, a);
  const ib = heapIndex(backend, b);
  const ic = heapIndex(backend, out);
  const { m, n, k } = p;
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  const tA = transposeA ? TRANS : NO_TRANS;
  const tB = transposeB ? TRANS : NO_TRANS;
  for (let i = 0; i < p.batch; i++) {
    const oa = ia + i * p.strideA;
    const ob = ib + i * p.strideB;
    const oc = ic + i * m * n;
    sgemm(tA, tB, m, n, k, 1, heap.subarray(oa, oa + m * k), lda, heap.subarray(ob, ob + k * n), ldb, beta, heap.subarray(oc, oc + m * n), n);
  }
  return heap.subarray(ic, ic + p.batch * m * n);
}

function batchMatMulNative(args: KernelArgs): TensorInfo {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const transposeA = Boolean(args.attrs.transposeA);
  const transposeB = Boolean(args.attrs.transposeB);
  const p = active ? plan(a, b, transposeA, transposeB) : null;
  if (!p) {
    if (active) nativeCounts.fallback++;
    return originals.BatchMatMul(args);
  }
  countNative();
  const out = args.backend.makeOutput(p.outShape, 'float32');
  runProducts(args.backend, a, b, out, p, transposeA, transposeB, 0);
  return out;
}

/** The wasm backend's own element-wise kernel for each fused activation (faster than a JS loop over the heap). */
const ACTIVATION_KERNELS: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid' };

interface DisposingBackend extends WasmBackend {
  disposeData(dataId: object): boolean;
}

/** f(z) by the wasm kernel; z is freed. */
function activate(backend: WasmBackend, z: TensorInfo, activation: string): TensorInfo {
  const name = ACTIVATION_KERNELS[activation];
  if (!name) return z;
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`fused matMul: the wasm backend has no ${name} kernel`);
  const y = (kernel.kernelFunc as unknown as KernelFunc)({ inputs: { x: z }, backend, attrs: {} });
  (backend as DisposingBackend).disposeData(z.dataId);
  return y;
}

function fusedMatMulNative(args: KernelArgs): TensorInfo {
  const { a, b, bias, preluActivationWeights } = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo | null; preluActivationWeights?: TensorInfo | null };
  const transposeA = Boolean(args.attrs.transposeA);
  const transposeB = Boolean(args.attrs.transposeB);
  const activation = String(args.attrs.activation ?? 'linear');
  let p: Plan | null = null;
  if (active && preluActivationWeights == null && (activation === 'linear' || activation in ACTIVATION_KERNELS)) {
    p = plan(a, b, transposeA, transposeB);
    // Bias: rank 1 of size n (broadcast along rows) or a single value, as the wasm kernel takes it.
    if (p && bias != null && (bias.dtype !== 'float32' || bias.shape.length !== 1 || (bias.shape[0] !== p.n && bias.shape[0] !== 1))) p = null;
  }
  if (!p) {
    if (active) nativeCounts.fallback++;
    return originals._FusedMatMul(args);
  }
  countNative();
  const backend = args.backend;
  const out = backend.makeOutput(p.outShape, 'float32');
  if (bias != null) {
    // Fill every output row with the bias, then accumulate the product onto it (beta = 1).
    const heap = backend.wasm.HEAPF32;
    const ic = heapIndex(backend, out);
    const ib = heapIndex(backend, bias);
    const rows = p.batch * p.m;
    const n = p.n;
    if (bias.shape[0] === 1) heap.fill(heap[ib], ic, ic + rows * n);
    else {
      heap.copyWithin(ic, ib, ib + n);
      // Doubling copies: log2(rows) calls instead of one per row.
      for (let filled = 1; filled < rows; filled *= 2) heap.copyWithin(ic + filled * n, ic, ic + Math.min(filled, rows - filled) * n);
    }
  }
  runProducts(backend, a, b, out, p, transposeA, transposeB, bias != null ? 1 : 0);
  return activate(backend, out, activation);
}

const NATIVE_KERNELS: Record<string, KernelFunc> = { BatchMatMul: batchMatMulNative, _FusedMatMul: fusedMatMulNative };

/**
 * Replaces the wasm backend's BatchMatMul and _FusedMatMul kernels by the native ones (the originals are kept and
 * receive what the native kernels do not cover). Call after the wasm backend is initialised (its kernels' setup
 * must have run). Returns false, changing nothing, when nblas is unavailable.
 */
export function installNativeKernels(): boolean {
  if (installed) return true;
  if (!loadSgemm()) return false;
  for (const name of Object.keys(NATIVE_KERNELS)) {
    const orig = tf.getKernel(name, 'wasm');
    if (!orig) throw new Error(`installNativeKernels: the wasm backend has no ${name} kernel to wrap`);
    originals[name] = orig.kernelFunc as unknown as KernelFunc;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: NATIVE_KERNELS[name] as unknown as tf.KernelFunc });
  }
  installed = true;
  active = true;
  return true;
}

/** Which path the matrix products take now. */
export function learnerPath(): LearnerPath {
  return installed && active ? 'native' : 'wasm';
}

/**
 * Switches the products between native BLAS and the wasm backend's kernels at run time (both paths in one
 * process: benchmarks, tests). 'native' needs installNativeKernels to have succeeded.
 */
export function setLearnerPath(path: LearnerPath): void {
  if (path !== 'native' && path !== 'wasm') throw new RangeError(`setLearnerPath: path must be 'native' or 'wasm'; got ${JSON.stringify(path)}`);
  if (path === 'native' && !installed) throw new Error(`setLearnerPath('native'): native BLAS is not installed (${loadError ?? 'installNativeKernels was not called: call initBackend first'})`);
  active = path === 'native';
}
