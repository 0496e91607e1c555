/**
 * Turn a PPO run into the expert folder the cloning experiments read (paper section 5 clones RL experts;
 * kickstarting needs a weaker, ~50%-of-optimal expert):
 *   node dist/src/cli/export-expert.js --task cheetah-run --run data/experts/cheetah-run/run [--episodes 150]
 * writes data/experts/<task>/expert/ (the best evaluated policy), half/ (the milestone up to the expert's step whose
 * training-time evaluation is closest to half of the expert's), evaluation.json and half/evaluation.json (150 paired episodes, mean action and
 * noise 0.2), and README.md (env steps, wall-clock, returns).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../envs';
import { loadCheckpoint, initBackend } from '../policies';
import { evaluatePolicy, type EvaluationResult } from '../rl/evaluate';
import { readCurve } from '../rl/curve';

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

async function evaluateBoth(task: string, dir: string, episodes: number): Promise<EvaluationResult[]> {
  const { policy } = await loadCheckpoint(dir);
  const out: EvaluationResult[] = [];
  for (const mode of ['mean', 'noise'] as const) out.push(await evaluatePolicy(policy, { task, episodes, mode, noiseStd: 0.2, workers: 2 }));
  policy.dispose();
  return out;
}

async function main(): Promise<void> {
  const args: Record<string, string> = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!args.task || !args.run) throw new Error('usage: --task NAME --run RUN_DIR [--episodes 150] [--dest data/experts/NAME]');
  const episodes = Number(args.episodes ?? 150);
  const dest = args.dest ?? path.join('data', 'experts', args.task);
  const backend = await initBackend();
  const started = Date.now();

  // Expert: the best policy by training-time evaluation. Half: the milestone (no later than the expert) closest to half of its return.
  const milestonesDir = path.join(args.run, 'milestones');
  const milestones = fs.readdirSync(milestonesDir).filter((n) => /^\d+$/.test(n)).map((n) => {
    const m = JSON.parse(fs.readFileSync(path.join(milestonesDir, n, 'manifest.json'), 'utf8'));
    return { name: n, step: Number(n), evalReturn: m.evalReturn as number };
  });
  const best = JSON.parse(fs.readFileSync(path.join(args.run, 'best', 'manifest.json'), 'utf8'));
  const target = best.evalReturn / 2;
  // Only milestones up to the best one (a partially trained policy on the way up, not a collapsed late one), and
  // only those evaluated under the best one's evaluation setting (a curriculum stage may have changed it).
  const since = lastEvalSettingChange(args.run);
  const candidates = milestones.filter((m) => m.step <= best.step && m.step >= since);
  const half = candidates.reduce((a, b) => (Math.abs(b.evalReturn - target) < Math.abs(a.evalReturn - target) ? b : a));
  for (const [from, to] of [[path.join(args.run, 'best'), path.join(dest, 'expert')], [path.join(milestonesDir, half.name), path.join(dest, 'half')]]) {
    fs.rmSync(to, { recursive: true, force: true });
    fs.cpSync(from, to, { recursive: true });
  }
  const expertEval = await evaluateBoth(args.task, path.join(dest, 'expert'), episodes);
  const halfEval = await evaluateBoth(args.task, path.join(dest, 'half'), episodes);
  const doc = (policy: string, step: number, evals: EvaluationResult[]) => ({ task: args.task, policy, policyStep: step, backend, evaluations: evals });
  fs.writeFileSync(path.join(dest, 'evaluation.json'), JSON.stringify(doc(path.join(dest, 'expert'), best.step, expertEval), null, 1) + '\n');
  fs.writeFileSync(path.join(dest, 'half', 'evaluation.json'), JSON.stringify(doc(path.join(dest, 'half'), half.step, halfEval), null, 1) + '\n');
  fs.copyFileSync(path.join(args.run, 'curve.csv'), path.join(dest, 'curve.csv'));

  const curve = readCurve(path.join(args.run, 'curve.csv'));
  const last = curve[curve.length - 1];
  const wallAtBest = curve.find((r) => r['time/env_steps'] === best.step)?.['time/wall_s'] ?? null;
  const fmt = (e: EvaluationResult) => `${e.mean.toFixed(1)} +- ${e.std.toFixed(1)} (sem ${e.sem.toFixed(1)})`;
  const config = JSON.parse(fs.readFileSync(path.join(args.run, 'config.json'), 'utf8'));
  const metric = expertEval[0].metric;
  const fmtMetric = (e: EvaluationResult) => (e.metric ? `${e.metric.mean.toFixed(1)} +- ${e.metric.std.toFixed(1)} ${e.metric.unit}` : '');
  const metricCols = metric ? [`${metric.name}, mean action`, `${metric.name}, noise 0.2`] : [];
  const row = (name: string, step: number, trainEval: number, evals: EvaluationResult[]) => {
    const wall = curve.find((r) => r['time/env_steps'] === step)?.['time/wall_s'];
    const cells = [name, String(step), wall == null ? '?' : (wall / 3600).toFixed(2), trainEval.toFixed(1), fmt(evals[0]), fmt(evals[1])];
    if (metric) cells.push(fmtMetric(evals[0]), fmtMetric(evals[1]));
    return `| ${cells.join(' | ')} |`;
  };
  const header = ['', 'env steps', 'wall-clock h (training incl. evals)', `train-time eval (mean action, ${config.evalEpisodes} eps)`, `${episodes}-episode return, mean action`, `${episodes}-episode return, noise 0.2`, ...metricCols];
  const hasHistory = fs.existsSync(path.join(args.run, 'config-history.jsonl'));
  const generated = `${BEGIN}
Trained by \`src/rl/ppo.ts\` (config: \`${path.join(args.run, 'config.json')}\`${hasHistory ? `; curriculum stages: \`${path.join(args.run, 'config-history.jsonl')}\`` : ''}; curve: \`curve.csv\`, written by the run).

| ${header.join(' | ')} |
|${header.map(() => '---').join('|')}|
${row('expert/ (best)', best.step, best.evalReturn, expertEval)}
${row('half/ (closest to half of best)', half.step, half.evalReturn, halfEval)}

Run total: ${last['time/env_steps']} env steps, ${((last['time/wall_s'] ?? 0) / 3600).toFixed(2)} h wall-clock on 2 CPU cores (tfjs backend: ${backend}).
Evaluations: the true task (full-length episodes, no early termination, no training-only options), paired seeds (seed 12345, ${Math.min(episodes, 50)} envs).
Exported ${new Date().toISOString()} in ${((Date.now() - started) / 1000).toFixed(0)} s by \`node dist/src/cli/export-expert.js --task ${args.task} --run ${args.run}\`.
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

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
