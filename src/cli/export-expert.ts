/**
 * Turn a PPO run into the expert folder the cloning experiments read (paper section 5 clones RL experts;
 * kickstarting needs a weaker, ~50%-of-optimal expert):
 *   node dist/src/cli/export-expert.js --task cheetah-run --run data/experts/cheetah-run/run [--episodes 150]
 *        [--expert DIR] [--half STEP] [--task-options JSON] [--workers 2] [--dest data/experts/<task>]
 * writes data/experts/<task>/expert/ (by default the run's best policy by training-time evaluation; --expert names
 * another policy folder of the run, e.g. a checkpoint whose 150-episode evaluation was better), half/ (the
 * milestone up to the expert's step whose training-time evaluation is closest to half of the expert's; --half
 * names the milestone by its env step instead, e.g. one whose 150-episode evaluation is nearer half: 10-episode
 * training-time evaluations are noisy),
 * evaluation.json and half/evaluation.json (150 paired episodes, mean action and noise 0.2), and README.md (env
 * steps, wall-clock, returns). --task-options evaluates under options that leave the task itself unchanged
 * (e.g. '{"camera":false}' for an expert that does not read the image).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../envs';
import { loadCheckpoint, initBackend } from '../policies';
import { evaluatePolicy, DEFAULT_EVALUATE, type EvaluationResult } from '../rl/evaluate';
import { readCurve } from '../rl/curve';
import { checkTaskName, parseFlags, runCli, UsageError } from './args';
import { expertsRoot } from '../util/paths';

const BEGIN = '<!-- export-expert: begin (generated) -->';
const END = '<!-- export-expert: end -->';

/** Env step at which the run's evaluation setting (evalTaskOptions) last changed, from config-history.jsonl (0 if never). */
function lastEvalSettingChange(run: string): number {
  const file = path.join(run, 'config-history.jsonl');
  if (!fs.existsSync(file)) return 0;
  let since = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line);
    if (entry.changed && 'evalTaskOptions' in entry.changed) since = entry.envSteps;
  }
  return since;
}

async function evaluateBoth(task: string, dir: string, episodes: number, taskOptions: Record<string, unknown>, workers: number): Promise<EvaluationResult[]> {
  const { policy } = await loadCheckpoint(dir);
  const out: EvaluationResult[] = [];
  for (const mode of ['mean', 'noise'] as const) out.push(await evaluatePolicy(policy, { task, taskOptions, episodes, mode, noiseStd: 0.2, workers }));
  policy.dispose();
  return out;
}

/** An argument as a POSIX shell would need it quoted (JSON options have braces and quotes). */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const USAGE = 'usage: node dist/src/cli/export-expert.js --task NAME --run RUN_DIR [--episodes 150] [--expert POLICY_DIR] [--half MILESTONE_STEP] [--task-options JSON] [--workers 2] [--dest data/experts/NAME]';

async function main(): Promise<void> {
  const args = parseFlags(process.argv.slice(2), { task: '', run: '', episodes: 150, expert: '', half: 0, 'task-options': '{}', workers: 2, dest: '' }, USAGE);
  if (!args.task || !args.run) throw new UsageError('--task and --run are required');
  checkTaskName(args.task);
  if (!Number.isInteger(args.episodes) || args.episodes <= 0) throw new RangeError(`--episodes must be a positive integer, got ${args.episodes}`);
  if (!Number.isInteger(args.half) || args.half < 0) throw new RangeError(`--half must be a milestone's env step (an integer >= 0), got ${args.half}`);
  if (!Number.isInteger(args.workers) || args.workers < 0) throw new RangeError(`--workers must be an integer >= 0, got ${args.workers}`);
  let taskOptions: Record<string, unknown>;
  try {
    taskOptions = JSON.parse(args['task-options']);
  } catch {
    throw new RangeError(`--task-options must be a JSON object, got '${args['task-options']}'`);
  }
  if (!taskOptions || typeof taskOptions !== 'object' || Array.isArray(taskOptions)) throw new RangeError(`--task-options must be a JSON object, got '${args['task-options']}'`);
  const episodes = args.episodes;
  const dest = args.dest || path.join(expertsRoot(), args.task);
  const expertDir = args.expert || path.join(args.run, 'best');
  if (!fs.existsSync(path.join(expertDir, 'manifest.json'))) throw new RangeError(`--expert ${expertDir} is not a policy folder (no manifest.json)`);
  const backend = await initBackend();
  const started = Date.now();

  // Expert: the best policy by training-time evaluation, or --expert. Half: the milestone (no later than the
  // expert) whose training-time evaluation is closest to half of the expert's (its 150-episode mean-action
  // return when --expert names a policy without a training-time evaluation).
  const milestonesDir = path.join(args.run, 'milestones');
  const milestones = fs.readdirSync(milestonesDir).filter((n) => /^\d+$/.test(n)).map((n) => {
    const m = JSON.parse(fs.readFileSync(path.join(milestonesDir, n, 'manifest.json'), 'utf8'));
    return { name: n, step: Number(n), evalReturn: m.evalReturn as number };
  });
  const best = JSON.parse(fs.readFileSync(path.join(expertDir, 'manifest.json'), 'utf8')) as { step: number; evalReturn?: number; task?: string };
  if (best.task !== undefined && best.task !== args.task) throw new RangeError(`--expert ${expertDir} is a ${best.task} policy, not ${args.task}`);
  fs.rmSync(path.join(dest, 'expert'), { recursive: true, force: true });
  fs.cpSync(expertDir, path.join(dest, 'expert'), { recursive: true });
  console.log(`evaluating the expert (${expertDir}, ${best.step} env steps): ${episodes} episodes, mean action and noise 0.2`);
  const expertEval = await evaluateBoth(args.task, path.join(dest, 'expert'), episodes, taskOptions, args.workers);
  const bestReturn = best.evalReturn ?? expertEval[0].mean;
  const target = bestReturn / 2;
  // Only milestones up to the best one (a partially trained policy on the way up, not a collapsed late one), and
  // only those evaluated under the best one's evaluation setting (a curriculum stage may have changed it).
  const since = lastEvalSettingChange(args.run);
  const candidates = milestones.filter((m) => m.step <= best.step && m.step >= since);
  if (candidates.length === 0) throw new Error(`no milestone in ${milestonesDir} between env steps ${since} and ${best.step}`);
  const chosen = args.half > 0 ? candidates.find((m) => m.step === args.half) : undefined;
  if (args.half > 0 && !chosen) {
    throw new RangeError(`--half ${args.half} is not a milestone of ${milestonesDir} between env steps ${since} and ${best.step}; ` +
      `those are ${candidates.map((m) => m.step).join(', ')}`);
  }
  const half = chosen ?? candidates.reduce((a, b) => (Math.abs(b.evalReturn - target) < Math.abs(a.evalReturn - target) ? b : a));
  fs.rmSync(path.join(dest, 'half'), { recursive: true, force: true });
  fs.cpSync(path.join(milestonesDir, half.name), path.join(dest, 'half'), { recursive: true });
  console.log(`evaluating half/ (milestone ${half.name}, training-time evaluation ${half.evalReturn.toFixed(1)}; ${chosen ? 'chosen with --half' : `target ${target.toFixed(1)}`})`);
  const halfEval = await evaluateBoth(args.task, path.join(dest, 'half'), episodes, taskOptions, args.workers);
  const doc = (policy: string, step: number, evals: EvaluationResult[]) => ({ task: args.task, policy, policyStep: step, backend, evaluations: evals });
  fs.writeFileSync(path.join(dest, 'evaluation.json'), JSON.stringify(doc(path.join(dest, 'expert'), best.step, expertEval), null, 1) + '\n');
  fs.writeFileSync(path.join(dest, 'half', 'evaluation.json'), JSON.stringify(doc(path.join(dest, 'half'), half.step, halfEval), null, 1) + '\n');
  fs.copyFileSync(path.join(args.run, 'curve.csv'), path.join(dest, 'curve.csv'));

  const curve = readCurve(path.join(args.run, 'curve.csv'));
  const last = curve[curve.length - 1];
  const fmt = (e: EvaluationResult) => `${e.mean.toFixed(1)} +- ${e.std.toFixed(1)} (sem ${e.sem.toFixed(1)})`;
  const config = JSON.parse(fs.readFileSync(path.join(args.run, 'config.json'), 'utf8'));
  const metric = expertEval[0].metric;
  const fmtMetric = (e: EvaluationResult) => (e.metric ? `${e.metric.mean.toFixed(1)} +- ${e.metric.std.toFixed(1)} ${e.metric.unit}` : '');
  const metricCols = metric ? [`${metric.name}, mean action`, `${metric.name}, noise 0.2`] : [];
  const row = (name: string, step: number, trainEval: number, evals: EvaluationResult[]) => {
    const wall = curve.find((r) => r['time/env_steps'] === step)?.['time/wall_s'];
    const cells = [name, String(step), wall == null ? '?' : (wall / 3600).toFixed(2), Number.isFinite(trainEval) ? trainEval.toFixed(1) : '-', fmt(evals[0]), fmt(evals[1])];
    if (metric) cells.push(fmtMetric(evals[0]), fmtMetric(evals[1]));
    return `| ${cells.join(' | ')} |`;
  };
  const header = ['', 'env steps', 'wall-clock h (training incl. evals)', `train-time eval (mean action, ${config.evalEpisodes} eps)`, `${episodes}-episode return, mean action`, `${episodes}-episode return, noise 0.2`, ...metricCols];
  const hasHistory = fs.existsSync(path.join(args.run, 'config-history.jsonl'));
  const generated = `${BEGIN}
Trained by \`src/rl/ppo.ts\` (config: \`${path.join(args.run, 'config.json')}\`${hasHistory ? `; curriculum stages: \`${path.join(args.run, 'config-history.jsonl')}\`` : ''}; curve: \`curve.csv\`, written by the run).

| ${header.join(' | ')} |
|${header.map(() => '---').join('|')}|
${row(args.expert ? `expert/ (${args.expert})` : 'expert/ (best)', best.step, best.evalReturn ?? NaN, expertEval)}
${row(chosen ? 'half/ (milestone chosen with --half)' : 'half/ (closest to half of the expert)', half.step, half.evalReturn, halfEval)}

Run total: ${last['time/env_steps']} env steps, ${((last['time/wall_s'] ?? 0) / 3600).toFixed(2)} h wall-clock on 2 CPU cores (tfjs backend: ${backend}).
Evaluations: the true task (full-length episodes, no early termination, no training-only options${Object.keys(taskOptions).length ? `; task options ${JSON.stringify(taskOptions)}` : ''}), paired seeds (seed ${DEFAULT_EVALUATE.seed}, ${Math.min(episodes, 50)} envs).
Exported ${new Date().toISOString()} in ${((Date.now() - started) / 1000).toFixed(0)} s by \`node dist/src/cli/export-expert.js ${process.argv.slice(2).map(shellQuote).join(' ')}\`.
${END}`;
  // The generated block replaces its previous version; hand-written notes around it are kept.
  const readmePath = path.join(dest, 'README.md');
  const previous = fs.existsSync(readmePath) ? fs.readFileSync(readmePath, 'utf8') : '';
  const i = previous.indexOf(BEGIN);
  const j = previous.indexOf(END);
  const readme = i >= 0 && j > i
    ? previous.slice(0, i) + generated + previous.slice(j + END.length)
    : `# ${args.task} PPO expert\n\n${generated}\n${previous ? `\n## Notes (before the first export)\n\n${previous.replace(/^# .*\n/, '')}` : ''}`;
  fs.writeFileSync(readmePath, readme);
  console.log(generated);
}

runCli(USAGE, main);
