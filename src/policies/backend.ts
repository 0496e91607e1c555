/**
 * Picks the tfjs backend every network runs on: a native 'tensorflow' backend if one has been registered (e.g. by
 * requiring the real @tensorflow/tfjs-node before calling this), else 'wasm' (XNNPACK, SIMD when the runtime has it;
 * single-threaded in Node, where the threaded build is unavailable), else 'cpu'. On wasm, matrix products go to the
 * system BLAS when nblas loads (native-blas.ts; APC_LEARNER=wasm forces the wasm kernels). One line on stderr says
 * which path is in use, once per process. Not a paper component.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { blasCorename, installNativeKernels, learnerChoice, learnerPath, loadErrorMessage, nativeBlasThreads, threadControlUnavailable, type LearnerPath } from './native-blas';

let chosen: Promise<string> | null = null;

/** Sets the best available backend once and returns its name ('tensorflow' | 'wasm' | 'cpu'); idempotent. */
export function initBackend(): Promise<string> {
  if (!chosen) chosen = choose();
  return chosen;
}

/** What initBackend picked, for logs and result metadata: backend name and, for wasm, SIMD / thread facts. */
export function backendInfo(): {
  backend: string; simd: boolean | null; threads: number | null; matmul: LearnerPath | null; blasThreads: number | null;
  /** Whether BLAS threads follow the phases (APC_BLAS_THREADS in updates, 1 while acting). */
  blasPhases: boolean | null; blasKernel: string | null;
} {
  const backend = tf.getBackend();
  if (backend !== 'wasm') return { backend, simd: null, threads: null, matmul: null, blasThreads: null, blasPhases: null, blasKernel: null };
  let threads: number | null = null;
  try {
    threads = (require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  } catch {
    threads = null;
  }
  const matmul = learnerPath();
  const nativeOn = matmul === 'native';
  return {
    backend, simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT' as never) as unknown as boolean, threads, matmul,
    blasThreads: nativeOn ? nativeBlasThreads() : null, blasPhases: nativeOn ? threadControlUnavailable() === null : null, blasKernel: nativeOn ? blasCorename() : null,
  };
}

async function choose(): Promise<string> {
  await tf.ready();
  // Detect a native backend by its registered name: in this tree @tensorflow/tfjs-node is an alias of the pure-JS
  // @tensorflow/tfjs (package.json overrides), so a successful require would prove nothing.
  if (tf.findBackendFactory('tensorflow') != null && (await trySet('tensorflow'))) return 'tensorflow';
  if (await tryWasm()) {
    setUpMatmul();
    return 'wasm';
  }
  if (await trySet('cpu')) return 'cpu';
  throw new Error(`initBackend: no usable tfjs backend (registered: ${Object.keys(tf.engine().registryFactory).join(', ')})`);
}

async function trySet(name: string): Promise<boolean> {
  if (tf.getBackend() === name) return true;
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok;
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = require('@tensorflow/tfjs-backend-wasm');
  } catch {
    return false;
  }
  if (tf.engine().registry['wasm'] === undefined) {
    // Point the loader at the package's own .wasm files (it finds them by itself in Node; this keeps working when
    // the code is bundled elsewhere). Must happen before the backend's first initialisation.
    try {
      const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
      wasm.setWasmPaths(dist + path.sep);
    } catch {
      // Fall back to the package's default location.
    }
  }
  return trySet('wasm');
}

/**
 * Native BLAS products on the wasm backend unless APC_LEARNER=wasm; APC_LEARNER=native makes a missing native path
 * an error instead of a silent fallback. Prints the one start-up line.
 */
function setUpMatmul(): void {
  const choice = learnerChoice();
  let line: string;
  if (choice === 'wasm') line = 'learner: matrix products on tfjs-wasm (APC_LEARNER=wasm)';
  else if (installNativeKernels()) {
    const why = threadControlUnavailable();
    const n = nativeBlasThreads();
    const threads = why !== null
      ? `${n} OpenBLAS thread(s) in every phase: ${why}`
      : n === 1 ? `1 OpenBLAS thread, ${blasCorename()} kernels` : `${n} OpenBLAS threads in updates, 1 while acting, ${blasCorename()} kernels`;
    line = `learner: matrix products on native BLAS (nblas -> system cblas_sgemm, ${threads}); APC_LEARNER=wasm for tfjs-wasm`;
  }
  else if (choice === 'native') throw new Error(`initBackend: APC_LEARNER=native but native BLAS is unavailable (${loadErrorMessage()}); install libopenblas-dev and rebuild nblas, or unset APC_LEARNER`);
  else line = `learner: matrix products on tfjs-wasm (native BLAS unavailable: ${loadErrorMessage()})`;
  console.error(line);
}
