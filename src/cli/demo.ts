/**
 * The README's first command: roll out a task with a random policy (or a trained expert with --policy expert)
 * and print per-episode returns and simulation speed.
 *   npm run demo -- [--task humanoid-run] [--episodes 4] [--workers 2] [--seed 0] [--policy random|zero|expert]
 */
import * as path from 'node:path';
import '../envs';
import { VecEnv } from '../envs/vec-env';
import { loadCheckpoint, initBackend } from '../policies';
import { expertsRoot } from '../util/paths';
import { Rng } from '../util/rng';
import { checkTaskName, parseFlags, runCli, UsageError } from './args';

const USAGE = 'usage: npm run demo -- [--task NAME] [--episodes N] [--workers W] [--seed S] [--policy random|zero|expert]';

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), { task: 'humanoid-run', episodes: 4, workers: 2, seed: 0, policy: 'random' }, USAGE);
  checkTaskName(f.task);
  if (!['random', 'zero', 'expert'].includes(f.policy)) throw new UsageError(`--policy must be one of random, zero, expert, got '${f.policy}'`);
  if (!Number.isInteger(f.episodes) || f.episodes <= 0) throw new UsageError(`--episodes must be a positive integer, got ${f.episodes}`);
  const env = await VecEnv.create({ task: f.task, numEnvs: f.episodes, workers: f.workers, seed: f.seed });
  const A = env.spec.actionDim;
  const expert = f.policy === 'expert' ? (await initBackend(), (await loadCheckpoint(path.join(expertsRoot(), f.task, 'expert'))).policy) : null;
  const rng = new Rng(`demo/${f.seed}`);
  console.log(`${f.task}: ${f.episodes} episodes of ${env.spec.episodeLength} steps (${env.spec.controlTimestep} s each), ${f.policy} policy, ${f.workers} workers`);
  const t0 = Date.now();
  let obs = await env.reset();
  const returns = new Array<number>(f.episodes).fill(NaN);
  for (let t = 0; t < env.spec.episodeLength; t++) {
    let a = new Float32Array(f.episodes * A);
    if (expert) a = Float32Array.from(expert.distribution({ batch: f.episodes, groups: Object.fromEntries(expert.view.map((g) => [g, obs[g]])) }).mean);
    else if (f.policy === 'random') for (let k = 0; k < a.length; k++) a[k] = rng.range(-1, 1);
    const s = await env.step(a);
    obs = s.obs;
    s.done.forEach((d, i) => {
      if (d) returns[i] = s.episodeReturn[i];
    });
  }
  const seconds = (Date.now() - t0) / 1000;
  await env.close();
  returns.forEach((r, i) => console.log(`  episode ${i}: return ${r.toFixed(1)}`));
  console.log(`${(f.episodes * env.spec.episodeLength / seconds).toFixed(0)} control steps/s (${seconds.toFixed(1)} s)`);
}

runCli(USAGE, main, 'demo');
