/**
 * Evaluate a saved policy on the true task in both modes the paper reports (section 5): mean action, and Gaussian
 * action noise 0.2 around the mean; 150 paired episodes each by default.
 *   npm run evaluate -- --task cartpole-swingup --policy data/experts/cartpole-swingup/expert
 *                       [--out data/experts/cartpole-swingup/evaluation.json] [--episodes 150] [--seed ${DEFAULT_EVALUATE.seed}] [--workers 2]
 *                       [--task-options JSON]
 * --task-options evaluates under other task options (e.g. '{"initialPose":"upright"}' for a training curriculum's
 * start); the default, {}, is the true task, and the output file records which was used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../envs';
import { loadCheckpoint, readManifest, initBackend } from '../policies';
import { checkOptionsOf } from '../envs/registry';
import { evaluatePolicy, DEFAULT_EVALUATE } from '../rl/evaluate';
import { checkTaskName, parseFlags, runCli, UsageError } from './args';
import { evaluationsRoot } from '../util/paths';

const USAGE = `usage: npm run evaluate -- --task NAME --policy DIR [--out FILE] [--episodes 150] [--seed ${DEFAULT_EVALUATE.seed}] [--workers 2] [--task-options JSON]`;

async function main(): Promise<void> {
  const args = parseFlags(process.argv.slice(2), {
    task: '', policy: '', out: '', episodes: DEFAULT_EVALUATE.episodes, seed: DEFAULT_EVALUATE.seed, workers: DEFAULT_EVALUATE.workers, 'task-options': '',
  }, USAGE);
  if (!args.task || !args.policy) throw new UsageError('--task and --policy are required');
  checkTaskName(args.task);
  // Without --out the evaluation goes where git ignores it, never over an expert's committed evaluation.json.
  const out = args.out || path.join(evaluationsRoot(), args.task, `${path.basename(path.resolve(args.policy))}.json`);
  const { episodes, seed, workers } = args;
  let taskOptions: Record<string, unknown> = {};
  if (args['task-options'] !== '') {
    try {
      taskOptions = JSON.parse(args['task-options']);
    } catch {
      throw new UsageError(`--task-options must be a JSON object, got '${args['task-options']}'`);
    }
    if (!taskOptions || typeof taskOptions !== 'object' || Array.isArray(taskOptions)) throw new UsageError(`--task-options must be a JSON object, got '${args['task-options']}'`);
  }
  checkOptionsOf(args.task, taskOptions);
  checkWritable(out);
  // A checkpoint trained for another task is refused (one that names no task, an early format, is accepted).
  const named = readManifest(args.policy).task;
  if (named !== null && named !== args.task) throw new RangeError(`--policy ${args.policy} was trained for task '${named}', not --task '${args.task}'; pass --task ${named} or a policy of ${args.task}`);
  const backend = await initBackend();
  const { policy, manifest } = await loadCheckpoint(args.policy);
  const started = Date.now();
  const results = [];
  for (const mode of ['mean', 'noise'] as const) {
    const r = await evaluatePolicy(policy, { task: args.task, taskOptions, episodes, mode, noiseStd: 0.2, seed, workers });
    const metric = r.metric ? `; ${r.metric.name} ${r.metric.mean.toFixed(2)} +- ${r.metric.std.toFixed(2)} ${r.metric.unit}` : '';
    console.log(`${args.task} ${mode}${mode === 'noise' ? ' (sigma 0.2)' : ''}: return ${r.mean.toFixed(1)} +- ${r.std.toFixed(1)} over ${r.episodes} episodes${metric}`);
    results.push(r);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const doc = {
    task: args.task, taskOptions, policy: args.policy, policyStep: (manifest as { step?: number }).step ?? null, backend,
    wallSeconds: (Date.now() - started) / 1000, evaluations: results,
  };
  fs.writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
  console.log(`wrote ${out}`);
  policy.dispose();
}

/** Fail before the evaluation (not after it) when `out` cannot be written: a folder, or a parent that is a file or read-only. */
function checkWritable(out: string): void {
  const dir = path.dirname(path.resolve(out));
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new Error('it is a folder');
    fs.accessSync(dir, fs.constants.W_OK);
    if (fs.existsSync(out)) fs.accessSync(out, fs.constants.W_OK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new RangeError(`--out ${out} cannot be written (${err.code ? `${err.code}: ${err.message}` : err.message}); choose another path`);
  }
}

runCli(USAGE, main);
