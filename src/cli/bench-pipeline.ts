/**
 * End-to-end speed of the two learner paths (src/policies/native-blas.ts) in one run: one humanoid-run APC cell of
 * Figure 2 at the paper profile (computed directly, not through the result cache: data collection from the
 * expert, 3000 cloning updates, evaluation) and `--ppo-steps` PPO steps on humanoid-run (its preset; one 1-episode
 * evaluation at step 0, the rest pushed past the end, so that the time is collection + updates). Both paths run in this process, one after the
 * other, switched with setLearnerPath. Takes several minutes per path; run it on a quiet machine (`nice`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeCell } from '../experiments/compute';
import { figurePlan } from '../experiments/figures';
import { backendInfo, initBackend } from '../policies/backend';
import { loadErrorMessage, setLearnerPath, type LearnerPath } from '../policies/native-blas';
import { ppoPreset } from '../rl/presets';
import { trainPPO } from '../rl/ppo';
import { parseFlags, runCli } from './args';

const USAGE = 'usage: npm run bench:pipeline -- [--cell true|false] [--eval-episodes N (default: the cell\'s)] [--ppo-steps N (0: skip PPO)] [--paths wasm,native]';

async function timed<T>(f: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await f();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), { cell: true, 'eval-episodes': 0, 'ppo-steps': 100_000, paths: 'wasm,native' }, USAGE);
  const paths = f.paths.split(',') as LearnerPath[];
  for (const p of paths) if (p !== 'wasm' && p !== 'native') throw new RangeError(`--paths must list wasm and/or native, got '${f.paths}'`);
  const ppoSteps = f['ppo-steps'];
  if (!Number.isInteger(ppoSteps) || ppoSteps < 0) throw new RangeError(`--ppo-steps must be an integer >= 0, got ${ppoSteps}`);
  await initBackend();
  if (paths.includes('native') && backendInfo().matmul !== 'native') throw new Error(`native BLAS path unavailable (${loadErrorMessage() ?? 'APC_LEARNER=wasm'}); use --paths wasm`);

  const paperCell = figurePlan('fig2-offline', 'paper').grid.find((c) => c.task === 'humanoid-run' && c.method === 'apc');
  if (!paperCell) throw new Error('Figure 2 (paper profile) has no humanoid-run APC cell');
  const evalEpisodes = f['eval-episodes'];
  if (!Number.isInteger(evalEpisodes) || evalEpisodes < 0) throw new RangeError(`--eval-episodes must be an integer >= 0 (0: the cell's own), got ${evalEpisodes}`);
  // A shorter evaluation (physics and batch-1 forwards, the same on both paths) for a quicker run; 0 keeps the cell's.
  const cell = evalEpisodes > 0 ? { ...paperCell, evalEpisodes } : paperCell;
  if (f.cell) console.log(`cell: ${JSON.stringify(cell)}`);
  const preset = ppoPreset('humanoid-run', 'full');
  const perIteration = (preset.numEnvs as number) * (preset.rolloutLength as number);
  const iterations = Math.ceil(ppoSteps / perIteration);
  if (ppoSteps > 0) console.log(`PPO: humanoid-run preset, ${iterations} iterations x ${perIteration} steps = ${iterations * perIteration} env steps, evaluation only at step 0 (1 episode)`);

  const seconds: Record<string, Partial<Record<LearnerPath, number>>> = { cell: {}, ppo: {} };
  for (const p of paths) {
    setLearnerPath(p);
    if (f.cell) {
      const r = await timed(() => computeCell(cell));
      seconds.cell[p] = r.seconds;
      const ret = r.value.map((row) => Number(row.return).toFixed(1)).join(', ');
      console.log(`${p}: APC cell ${r.seconds.toFixed(1)} s (return ${ret})`);
    }
    if (ppoSteps > 0) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-pipeline-${p}-`));
      try {
        const total = iterations * perIteration;
        const r = await timed(() => trainPPO({ ...preset, totalSteps: total, evalEvery: total * 10, evalEpisodes: 1, checkpointEvery: 24 * 60 } as typeof preset, dir, { stopAfterIterations: iterations }));
        seconds.ppo[p] = r.seconds;
        console.log(`${p}: PPO ${r.value.envSteps} steps ${r.seconds.toFixed(1)} s = ${(r.value.envSteps / r.seconds).toFixed(0)} steps/s`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  for (const [what, s] of Object.entries(seconds)) {
    if (s.wasm !== undefined && s.native !== undefined) console.log(`${what}: native vs wasm ${(s.wasm / s.native).toFixed(2)}x (${s.wasm.toFixed(1)} s -> ${s.native.toFixed(1)} s)`);
  }
}

runCli(USAGE, main, 'bench-pipeline');
