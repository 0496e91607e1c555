/**
 * Learner speed: one student update (Gaussian NLL + Adam) of the paper's student, a 67-256-256-256-42 ELU MLP
 * (21 means + 21 std outputs; src/policies/gaussian-mlp.ts), batch 256 and 256 * (1 + 4) (APC with 4 augmented
 * samples per state), on the tfjs backend that initBackend picks (wasm: single-threaded XNNPACK), against the same
 * update in PyTorch CPU (Debian python3-torch, torch.set_num_threads(1)) measured in the same run.
 * FLOPs per update = 6 * batch * sum(in * out): 2 for the forward matMuls, 4 for the two backward ones
 * (dX and dW); element-wise work (activations, normaliser, loss, Adam) is done but not counted.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../rl/adam';
import { backendInfo, initBackend } from '../policies/backend';
import { gaussianNll } from '../policies/distributions';
import { GaussianMLP } from '../policies/gaussian-mlp';
import { Rng } from '../util/rng';
import { parseFlags } from './args';

const OBS = 67;
const ACTIONS = 21;
const TORSO = [256, 256, 256];
const SIZES = [OBS, ...TORSO, 2 * ACTIONS];
const LAYER_MACS = SIZES.slice(1).reduce((n, out, i) => n + SIZES[i] * out, 0);
const flopsPerUpdate = (batch: number) => 6 * batch * LAYER_MACS;

/** Seconds per update: best over `repeats` timings of `updates` updates each, after 20 warm-up updates. */
function tfjsSecondsPerUpdate(batch: number, updates: number, repeats: number): number {
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
  for (let i = 0; i < 20; i++) step();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < updates; i++) step();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9 / updates);
  }
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

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), { updates: 40, repeats: 3 }, 'usage: npm run bench:learner -- [--updates N] [--repeats R]');
  await initBackend();
  const info = backendInfo();
  const threads = info.threads === null ? '' : `, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  const simd = info.simd === null ? '' : `, SIMD ${info.simd ? 'on' : 'off'}`;
  console.log(`student update benchmark: GaussianMLP ${SIZES.join('-')} (ELU), Gaussian NLL + Adam, tfjs backend '${info.backend}'${simd}${threads}`);
  for (const [label, batch] of [['batch 256', 256], ['batch 256 x (1 + 4 augmented)', 1280]] as const) {
    const s = tfjsSecondsPerUpdate(batch, f.updates, f.repeats);
    const gflops = flopsPerUpdate(batch) / s / 1e9;
    let line = `${label}: tfjs ${(s * 1e3).toFixed(2)} ms/update = ${gflops.toFixed(1)} GFLOP/s (target >= 15)`;
    const t = torchSecondsPerUpdate(batch, f.updates, f.repeats);
    if ('error' in t) line += `; ${t.error}`;
    else line += `; PyTorch ${t.version} CPU 1 thread ${(t.seconds * 1e3).toFixed(2)} ms/update = ${(flopsPerUpdate(batch) / t.seconds / 1e9).toFixed(1)} GFLOP/s; tfjs is ${(t.seconds / s).toFixed(2)}x PyTorch (target >= 3x)`;
    console.log(line);
  }
  console.log(`FLOPs per update = 6 x batch x ${LAYER_MACS} (2 forward + 4 backward per multiply-add of each dense layer); element-wise ops not counted.`);
}

main().catch((e) => {
  console.error(`bench-learner: ${(e as Error).message}`);
  process.exit(1);
});
