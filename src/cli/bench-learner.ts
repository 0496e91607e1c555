/**
 * Learner speed: one student update (Gaussian NLL + Adam) of the paper's student, a 67-256-256-256-42 ELU MLP
 * (21 means + 21 std outputs; src/policies/gaussian-mlp.ts), batch 256 and 256 * (1 + 4) (APC with 4 augmented
 * samples per state), in one run on both learner paths of the wasm backend: its own kernels (single-threaded
 * XNNPACK) and native BLAS matrix products (src/policies/native-blas.ts, 1 OpenBLAS thread; a child process started
 * with APC_BLAS_THREADS=2 repeats the native figure with 2 threads, which also works without the thread-control
 * addon). The ceiling is the same
 * BLAS's sgemm alone on the update's own products (forward, dX, dW of every layer). PyTorch CPU (Debian
 * python3-torch, torch.set_num_threads(1)) runs the same update when present.
 * FLOPs per update = 6 * batch * sum(in * out): 2 for the forward matMuls, 4 for the two backward ones
 * (dX and dW); element-wise work (activations, normaliser, loss, Adam) is done but not counted.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../rl/adam';
import { backendInfo, initBackend } from '../policies/backend';
import { learnerPath, loadErrorMessage, loadSgemm, nativeBlasThreads, setLearnerPath, type LearnerPath } from '../policies/native-blas';
import { gaussianNll } from '../policies/distributions';
import { GaussianMLP } from '../policies/gaussian-mlp';
import { Rng } from '../util/rng';
import { parseFlags, runCli } from './args';

const USAGE = 'usage: npm run bench:learner -- [--updates N] [--repeats R]';

const OBS = 67;
const ACTIONS = 21;
const TORSO = [256, 256, 256];
const SIZES = [OBS, ...TORSO, 2 * ACTIONS];
const LAYER_MACS = SIZES.slice(1).reduce((n, out, i) => n + SIZES[i] * out, 0);
const flopsPerUpdate = (batch: number) => 6 * batch * LAYER_MACS;

/**
 * Seconds per update on each of `paths`: best over `repeats` timings of `updates` updates each, after 20 warm-up
 * updates per path. The paths take turns within each repeat, so that a neighbour's load on this shared machine
 * falls on both alike.
 */
function tfjsSecondsPerUpdate(batch: number, updates: number, repeats: number, paths: LearnerPath[] = [learnerPath()]): Record<string, number> {
  const rng = new Rng(0);
  const policy = new GaussianMLP({ view: ['obs'], groupShapes: { obs: [OBS] }, groupKinds: { obs: 'state' }, actionDim: ACTIONS }, { torso: TORSO }, rng);
  const obs = { batch, groups: { obs: rng.fillNormal(new Float32Array(batch * OBS)) as Float32Array } };
  policy.updateNormalizer(obs.groups);
  const vars = policy.trainableVariables();
  const adam = new Adam(vars);
  const inputs = policy.toTensors(obs);
  const target = tf.tensor2d(rng.fillNormal(new Float32Array(batch * ACTIONS)) as Float32Array, [batch, ACTIONS]);
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const { mean, logStd } = policy.apply(inputs);
        return tf.mean(gaussianNll(mean, logStd, target)) as tf.Scalar;
      }, vars);
      adam.apply(vars.map((v) => grads[v.name]), 1e-4);
    });
  const start = learnerPath();
  const best: Record<string, number> = {};
  for (const p of paths) {
    setLearnerPath(p);
    for (let i = 0; i < 20; i++) step();
    best[p] = Infinity;
  }
  for (let r = 0; r < repeats; r++) {
    for (const p of paths) {
      setLearnerPath(p);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < updates; i++) step();
      best[p] = Math.min(best[p], Number(process.hrtime.bigint() - t0) / 1e9 / updates);
    }
  }
  setLearnerPath(start);
  tf.dispose([target, ...Object.values(inputs)]);
  policy.dispose();
  adam.dispose();
  return best;
}

/** The same student and update in PyTorch: normalise, ELU MLP, sigma = 0.01 + 0.99 sigmoid(raw), NLL, Adam. */
const TORCH = `
import sys, time, math, torch
torch.set_num_threads(1)
batch, updates, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sizes = [67, 256, 256, 256, 42]
layers = []
for i in range(4):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < 3: layers.append(torch.nn.ELU())
net = torch.nn.Sequential(*layers)
opt = torch.optim.Adam(net.parameters(), lr=1e-4, eps=1e-5)
x = torch.randn(batch, 67); target = torch.randn(batch, 21)
mu, sd = x.mean(0), x.std(0)
def step():
    out = net(((x - mu) / sd).clamp(-10, 10))
    mean, std = out[:, :21], 0.01 + 0.99 * torch.sigmoid(out[:, 21:])
    log_std = std.log()
    loss = (0.5 * ((target - mean) / std) ** 2 + log_std + 0.5 * math.log(2 * math.pi)).sum(1).mean()
    opt.zero_grad(); loss.backward(); opt.step()
for _ in range(20): step()
best = float('inf')
for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(updates): step()
    best = min(best, (time.perf_counter() - t0) / updates)
print(best, torch.__version__)
`;

function torchSecondsPerUpdate(batch: number, updates: number, repeats: number): { seconds: number; version: string } | { error: string } {
  // The system python (Debian python3-torch); `python3` on PATH may be a pyenv interpreter without torch.
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH, String(batch), String(updates), String(repeats)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) return { error: `PyTorch not available (${(r.stderr || String(r.error)).trim().split('\n').pop()}); apt-get install -y python3-torch` };
  const [s, version] = r.stdout.trim().split(/\s+/);
  return { seconds: Number(s), version };
}

/**
 * Seconds per update of sgemm alone on the update's products (per layer: forward B x in x out, dX = dZ W^T, dW =
 * X^T dZ, transposes as the native kernels pass them), best of `repeats` runs of `updates`.
 */
function sgemmCeilingSeconds(batch: number, updates: number, repeats: number): number {
  const sgemm = loadSgemm();
  if (!sgemm) throw new Error(`sgemm ceiling: native BLAS unavailable (${loadErrorMessage()})`);
  const N = 111;
  const T = 112;
  const calls: (() => void)[] = [];
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const [i, o] = [SIZES[l], SIZES[l + 1]];
    const x = new Float32Array(batch * i).fill(0.5);
    const w = new Float32Array(i * o).fill(0.25);
    const z = new Float32Array(batch * o);
    const dx = new Float32Array(batch * i);
    const dw = new Float32Array(i * o);
    calls.push(() => sgemm(N, N, batch, o, i, 1, x, i, w, o, 0, z, o));
    calls.push(() => sgemm(N, T, batch, i, o, 1, z, o, w, o, 0, dx, i));
    calls.push(() => sgemm(T, N, i, o, batch, 1, x, i, z, o, 0, dw, o));
  }
  const once = () => calls.forEach((c) => c());
  for (let r = 0; r < 20; r++) once();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    for (let u = 0; u < updates; u++) once();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9 / updates);
  }
  return best;
}

const BATCHES = [
  ['batch 256', 256],
  ['batch 256 x (1 + 4 augmented)', 1280],
] as const;

const fmt = (s: number, batch: number) => `${(s * 1e3).toFixed(2)} ms/update = ${(flopsPerUpdate(batch) / s / 1e9).toFixed(1)} GFLOP/s`;

/**
 * The OpenBLAS build and the kernel it picks in this environment (OPENBLAS_CORETYPE included), read with the
 * system python's ctypes from the same libopenblas that nblas links: nblas exposes neither openblas_get_config nor
 * openblas_get_corename. Null when python or the library is not there.
 */
function openblasCore(): string | null {
  const py = [
    'import ctypes',
    "l = ctypes.CDLL('libopenblas.so.0')",
    'l.openblas_get_config.restype = ctypes.c_char_p',
    'l.openblas_get_corename.restype = ctypes.c_char_p',
    "print(l.openblas_get_config().decode() + ', kernel ' + l.openblas_get_corename().decode())",
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The native update with 2 OpenBLAS threads, measured in a child process started with APC_BLAS_THREADS=2. */
function twoThreadSeconds(updates: number, repeats: number): Record<number, number> | { error: string } {
  const r = spawnSync(process.execPath, [__filename, '--child', 'true', '--updates', String(updates), '--repeats', String(repeats)], {
    encoding: 'utf8',
    env: { ...process.env, APC_BLAS_THREADS: '2', OPENBLAS_NUM_THREADS: '2', APC_LEARNER: 'native' },
  });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return { error: (r.stderr || String(r.error)).trim().split('\n').pop() ?? 'no output' };
  return JSON.parse(line) as Record<number, number>;
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), { updates: 40, repeats: 3, child: false }, USAGE);
  if (f.child) {
    // Child of the 2-thread measurement: native only, JSON on the last line.
    await initBackend();
    if (learnerPath() !== 'native' || nativeBlasThreads() !== 2) throw new Error(`child: expected native BLAS on 2 threads, got ${learnerPath()} / ${nativeBlasThreads()}`);
    const out: Record<number, number> = {};
    for (const [, batch] of BATCHES) out[batch] = tfjsSecondsPerUpdate(batch, f.updates, f.repeats).native;
    console.log(JSON.stringify(out));
    return;
  }
  // The single-thread figures: one OpenBLAS thread in this process whatever the caller's environment says.
  process.env.APC_BLAS_THREADS = '1';
  process.env.OPENBLAS_NUM_THREADS = '1';
  await initBackend();
  const info = backendInfo();
  const threads = info.threads === null ? '' : `, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  const simd = info.simd === null ? '' : `, SIMD ${info.simd ? 'on' : 'off'}`;
  const native = info.matmul === 'native';
  console.log(`student update benchmark: GaussianMLP ${SIZES.join('-')} (ELU), Gaussian NLL + Adam, tfjs backend '${info.backend}'${simd}${threads}`);
  if (native) console.log(`native BLAS: ${openblasCore() ?? 'OpenBLAS (config not readable)'}; OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset: picked from the CPU)'}`);
  if (!native) console.log(`native BLAS path: unavailable (${loadErrorMessage() ?? 'APC_LEARNER=wasm'}); wasm only`);
  const two = native ? twoThreadSeconds(f.updates, f.repeats) : null;
  for (const [label, batch] of BATCHES) {
    const paths: LearnerPath[] = native ? ['wasm', 'native'] : ['wasm'];
    const s = tfjsSecondsPerUpdate(batch, f.updates, f.repeats, paths) as Partial<Record<LearnerPath, number>>;
    console.log(`${label}:`);
    console.log(`  tfjs-wasm kernels:        ${fmt(s.wasm as number, batch)}`);
    if (native) {
      const ceiling = sgemmCeilingSeconds(batch, f.updates, f.repeats);
      console.log(`  native BLAS, 1 thread:    ${fmt(s.native as number, batch)}`);
      console.log(`  native vs wasm: ${((s.wasm as number) / (s.native as number)).toFixed(1)}x${batch === 1280 ? ' (target >= 4x)' : ''}`);
      console.log(`  sgemm ceiling, 1 thread:  ${fmt(ceiling, batch)} (the update's own products through the same BLAS, nothing else)`);
      console.log(`  of sgemm ceiling: ${Math.round((100 * ceiling) / (s.native as number))}%`);
      if (two && 'error' in two) console.log(`  native BLAS, 2 threads:   failed (${two.error})`);
      else if (two) console.log(`  native BLAS, 2 threads:   ${fmt(two[batch], batch)} (${((s.native as number) / two[batch]).toFixed(2)}x the 1-thread native)`);
    }
    const t = torchSecondsPerUpdate(batch, f.updates, f.repeats);
    const best = native ? (s.native as number) : (s.wasm as number);
    if ('error' in t) console.log(`  ${t.error}`);
    else console.log(`  PyTorch ${t.version} CPU 1 thread:  ${fmt(t.seconds, batch)}; tfjs (${native ? 'native' : 'wasm'}) is ${(t.seconds / best).toFixed(2)}x PyTorch`);
  }
  setLearnerPath(native ? 'native' : 'wasm');
  console.log(`FLOPs per update = 6 x batch x ${LAYER_MACS} (2 forward + 4 backward per multiply-add of each dense layer); element-wise ops not counted.`);
}

runCli(USAGE, main, 'bench-learner');
