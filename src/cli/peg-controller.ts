/**
 * Evaluate the scripted Insert Peg controller (src/training/peg-controller.ts) on the true task: dm_control's own
 * start distribution, 1000 control steps, the true reward. Episode i uses seed `--seed` + i (keep every seed the
 * same number of digits: the ARC4 generator behind Rng treats a key and its repetitions alike, so seeds 1 and 11
 * draw the same stream). Writes a JSON with the return and success of every episode, their mean and std, and the
 * split by start type.
 *   npm run peg-controller -- --episodes 150 --out data/experts/manipulator-insert-peg/controller-evaluation.json
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../envs';
import { makeTask } from '../envs/registry';
import type { ManipulatorInsertPeg } from '../envs/manipulator';
import { PEG_CONTROLLER_DEFAULTS, PegController, runPegEpisode, summarisePegEpisodes, type PegEpisode } from '../training/peg-controller';
import { Rng } from '../util/rng';
import { ProgressBar } from '../util/progress';
import { parseFlags } from './args';

const USAGE = 'usage: npm run peg-controller -- [--episodes 150] [--seed 100000] [--stickiness 4] [--out FILE.json]';

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { episodes: 150, seed: 100000, stickiness: PEG_CONTROLLER_DEFAULTS.stickiness, out: '' }, USAGE);
  if (!Number.isInteger(flags.episodes) || flags.episodes <= 0) throw new RangeError(`--episodes must be a positive integer, got ${flags.episodes}\n${USAGE}`);
  if (!Number.isInteger(flags.seed) || flags.seed < 0) throw new RangeError(`--seed must be a non-negative integer, got ${flags.seed}\n${USAGE}`);
  if (!Number.isFinite(flags.stickiness) || flags.stickiness < 0) throw new RangeError(`--stickiness must be a number >= 0 (0: the targets are not held from step to step), got ${flags.stickiness}\n${USAGE}`);
  const digits = String(flags.seed).length;
  if (String(flags.seed + flags.episodes - 1).length !== digits) {
    throw new RangeError(`--seed ${flags.seed} to ${flags.seed + flags.episodes - 1} must all have the same number of digits (ARC4 treats a key and its repetitions alike)\n${USAGE}`);
  }
  const name = 'manipulator-insert-peg';
  const task = (await makeTask(name, { camera: false })) as ManipulatorInsertPeg;
  const controller = new PegController(task, { stickiness: flags.stickiness });
  const episodes: PegEpisode[] = [];
  const bar = new ProgressBar({ total: flags.episodes, label: 'peg controller', unit: 'episodes' });
  try {
    for (let i = 0; i < flags.episodes; i++) {
      const seed = flags.seed + i;
      task.reset(new Rng(seed));
      episodes.push(runPegEpisode(task, controller, seed));
      bar.tick();
    }
  } finally {
    bar.done();
    controller.dispose();
    task.close();
  }
  const summary = summarisePegEpisodes(name, episodes, controller.options);
  console.log(`${summary.episodes} episodes: return ${summary.mean.toFixed(1)} +- ${summary.std.toFixed(1)}, inserted at the end in ${(100 * summary.successFraction).toFixed(1)}%`);
  for (const [type, s] of Object.entries(summary.byStartType)) {
    console.log(`  ${type.padEnd(10)} ${String(s.episodes).padStart(4)} episodes  return ${s.mean.toFixed(1)} +- ${s.std.toFixed(1)}  inserted ${(100 * s.successFraction).toFixed(1)}%`);
  }
  if (flags.out) {
    fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
    fs.writeFileSync(flags.out, JSON.stringify(summary, null, 1) + '\n');
    console.log(`wrote ${flags.out}`);
  }
}

main().catch((e) => {
  console.error((e as Error).message ?? String(e));
  process.exit(1);
});
