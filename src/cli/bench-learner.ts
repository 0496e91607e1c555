/**
 * Learner speed: one Adam update of the paper's student (67-256-256-256-42: 21 means + 21 std parameters, ELU) on
 * the Gaussian NLL, batch 256 and 256 * (1 + 4) (4 augmented samples per state, as APC), single-threaded tfjs-wasm
 * with the explicit-transpose dense gradient (src/rl/policy-adapter.ts), against the same update in PyTorch CPU
 * (Debian python3-torch, one thread) measured in the same run. FLOPs per update = 6 * batch * sum(in * out)
 * (2 for the forward matmuls, 4 for the two backward ones); element-wise work is not counted.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../rl/adam';
import { DenseStack, initBackend } from '../rl/policy-adapter';
import { Rng } from '../util/rng';
import { parseFlags } from './args';

const SIZES = [67, 256, 256, 256, 42];
const ACTIONS = 21;
const LAYER_MACS = SIZES.slice(1).reduce((n, out, i) => n + SIZES[i] * out, 0);
const flopsPerUpdate = (batch: number) => 6 * batch * LAYER_MACS;

/** Seconds per update (best of `repeats` timings of `updates` updates each). */
function tfjsSecondsPerUpdate(batch: number, updates: number, repeats: number): number {
  const rng = new Rng(0);
  const net = new DenseStack(SIZES[0], SIZES.slice(1), 'elu', rng);
  const vars = net.trainableVariables();
  const adam = new Adam(vars);
  const x = tf.tensor2d(rng.fillNormal(new Float32Array(batch * SIZES[0])) as Float32Array, [batch, SIZES[0]]);
  const target = tf.tensor2d(rng.fillNormal(new Float32Array(batch * ACTIONS)) as Float32Array, [batch, ACTIONS]);
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const out = net.apply(x);
        const mean = tf.slice(out, [0, 0], [batch, ACTIONS]);
        const std = tf.add(tf.softplus(tf.slice(out, [0, ACTIONS], [batch, ACTIONS])), 1e-3);
        const z = tf.div(tf.sub(target, mean), std);
        return tf.mean(tf.sum(tf.add(tf.mul(0.5, tf.square(z)), tf.log(std)), 1)) as tf.Scalar;
      }, vars);
      adam.apply(vars.map((v) => grads[v.name]), 1e-4);
    });
  for (let i = 0; i < 5; i++) step();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < updates; i++) step();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9 / updates);
  }
  tf.dispose([x, target]);
  net.dispose();
  adam.dispose();
  return best;
}

const TORCH = `
import sys, time, torch
torch.set_num_threads(1)
batch, updates, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sizes = [67, 256, 256, 256, 42]
layers = []
for i in range(4):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < 3: layers.append(torch.nn.ELU())
net = torch.nn.Sequential(*layers)
opt = torch.optim.Adam(net.parameters(), lr=1e-4)
x = torch.randn(batch, 67); target = torch.randn(batch, 21)
def step():
    out = net(x)
    mean, std = out[:, :21], torch.nn.functional.softplus(out[:, 21:]) + 1e-3
    loss = (0.5 * ((target - mean) / std) ** 2 + std.log()).sum(1).mean()
    opt.zero_grad(); loss.backward(); opt.step()
for _ in range(5): step()
best = float('inf')
for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(updates): step()
    best = min(best, (time.perf_counter() - t0) / updates)
print(best, torch.__version__)
`;

function torchSecondsPerUpdate(batch: number, updates: number, repeats: number): { seconds: number; version: string } | { error: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', TORCH, String(batch), String(updates), String(repeats)], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `PyTorch not available (${(r.stderr || String(r.error)).trim().split('\n').pop()}); apt-get install -y python3-torch` };
  const [s, version] = r.stdout.trim().split(/\s+/);
  return { seconds: Number(s), version };
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), { updates: 40, repeats: 3 }, 'usage: npm run bench:learner -- [--updates N] [--repeats R]');
  const backend = await initBackend();
  console.log(`student update benchmark: MLP ${SIZES.join('-')} (ELU), Gaussian NLL + Adam, tfjs backend '${backend}', 1 thread`);
  for (const [label, batch] of [['batch 256', 256], ['batch 256 x (1 + 4 augmented)', 1280]] as const) {
    const s = tfjsSecondsPerUpdate(batch, f.updates, f.repeats);
    const gflops = flopsPerUpdate(batch) / s / 1e9;
    let line = `${label}: tfjs ${(s * 1e3).toFixed(2)} ms/update = ${gflops.toFixed(1)} GFLOP/s (target >= 15)`;
    const t = torchSecondsPerUpdate(batch, f.updates, f.repeats);
    if ('error' in t) line += `; ${t.error}`;
    else line += `; PyTorch ${t.version} CPU 1 thread ${(t.seconds * 1e3).toFixed(2)} ms/update = ${(flopsPerUpdate(batch) / t.seconds / 1e9).toFixed(1)} GFLOP/s; tfjs is ${(t.seconds / s).toFixed(2)}x PyTorch (target >= 3x)`;
    console.log(line);
  }
  console.log(`FLOPs per update = 6 x batch x ${LAYER_MACS} (forward 2, backward 4 per multiply-add); element-wise ops not counted.`);
}

main().catch((e) => {
  console.error(`bench-learner: ${(e as Error).message}`);
  process.exit(1);
});
