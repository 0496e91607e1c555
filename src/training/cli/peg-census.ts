/**
 * Where dm_control's Insert Peg floor pegs come to rest, and whether the hand can reach the in-hand grip around
 * them at all (no policy involved). Each of `--starts` floor starts (seed `--seed` + i) drops its peg with the arm
 * pinned upright until it rests, then searches the grip as the `floorGraspStart` curriculum does (`floorGripCensus`):
 * the hand along the peg's axis, its grasp site at the peg's, no part of the arm in the floor. Counts are split by
 * the resting peg's |x| (its grasp site), since the arm's reach to the floor ends near |x| = 0.3 m.
 *   npm run training:peg-census -- [--starts 200] [--seed 7000] [--out census.json]
 */
import * as fs from 'node:fs';
import '../variants'; // the faithful tasks and their training variants
import { makeTask } from '../../envs/registry';
import type { FloorGripOutcome, ManipulatorInsertPegTraining } from '../variants/manipulator';
import type { ManipulatorInsertPeg } from '../../envs/manipulator';
import { Rng } from '../../util/rng';
import { parseFlags } from '../../cli/args';
import { ProgressBar } from '../../util/progress';

const USAGE = 'usage: npm run training:peg-census -- [--starts 200] [--seed 7000] [--out FILE.json]';
/** Upper edges (m) of the |x| bins; the last bin is open. */
export const CENSUS_X_BINS = [0.1, 0.2, 0.25, 0.3, 0.35];

/** Distance (m) from the arm's root joint to its grasp site at full stretch: the three links and the hand's grasp site. */
export function graspReach(task: ManipulatorInsertPegTraining): number {
  const { links, grasp } = task.armGeometry;
  return links[0] + links[1] + links[2] + grasp;
}

/**
 * A census start: its seed, what the grip search found, the resting peg's grasp site (x, z), and `nearest`, the
 * distance from the arm's root joint to the nearest of the peg's grasp, pinch, centre and tip sites.
 */
export interface CensusRow { seed: number; outcome: FloorGripOutcome; x: number; z: number; nearest: number }
/** Per bin: starts, pegs resting on the floor, grips found, and pegs with a site within the grasp site's reach of the root. */
export interface CensusBin { label: string; starts: number; onFloor: number; grip: number; inReach: number }

/** Counts of `rows` per |x| bin (`edges`), then all rows: starts, pegs resting on the floor, grips found, and pegs within `reach` (m). */
export function censusBins(rows: readonly CensusRow[], reach: number, edges: readonly number[] = CENSUS_X_BINS): CensusBin[] {
  const bins: CensusBin[] = [...edges, Infinity].map((e, i) => ({
    label: i === 0 ? `|x| < ${e}` : e === Infinity ? `|x| >= ${edges[i - 1]}` : `${edges[i - 1]} <= |x| < ${e}`, starts: 0, onFloor: 0, grip: 0, inReach: 0,
  }));
  const all: CensusBin = { label: 'all', starts: 0, onFloor: 0, grip: 0, inReach: 0 };
  for (const r of rows) {
    const b = bins[[...edges, Infinity].findIndex((e) => Math.abs(r.x) < e)];
    for (const t of [b, all]) {
      t.starts++;
      if (r.outcome !== 'unsettled') t.onFloor++;
      if (r.outcome === 'grip') t.grip++;
      if (r.outcome !== 'unsettled' && r.nearest <= reach) t.inReach++;
    }
  }
  return [...bins, all];
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { starts: 200, seed: 7000, out: '' }, USAGE);
  if (!Number.isInteger(flags.starts) || flags.starts <= 0) throw new RangeError(`--starts must be a positive integer, got ${flags.starts}`);
  if (!Number.isInteger(flags.seed)) throw new RangeError(`--seed must be an integer, got ${flags.seed}`);
  const task = (await makeTask('manipulator-insert-peg', { camera: false, pInHand: 0, pInTarget: 0 })) as ManipulatorInsertPegTraining;
  const sx: Float64Array = (task.arm as any).physics.data.site_xpos;
  const site = task.arm.site;
  const g = site.pegGrasp;
  const { root } = task.armGeometry;
  const reach = graspReach(task);
  const rows: CensusRow[] = [];
  const bar = new ProgressBar({ total: flags.starts, label: 'census', unit: 'starts' });
  for (let i = 0; i < flags.starts; i++) {
    const seed = flags.seed + i;
    const rng = new Rng(seed);
    task.reset(rng);
    const outcome = task.floorGripCensus(rng);
    const nearest = Math.min(...[site.pegGrasp, site.pegPinch, site.peg, site.pegTip].map((k) => Math.hypot(sx[3 * k] - root[0], sx[3 * k + 2] - root[1])));
    rows.push({ seed, outcome, x: sx[3 * g], z: sx[3 * g + 2], nearest });
    bar.tick();
  }
  bar.done();
  task.close();
  const bins = censusBins(rows, reach);
  const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(0)}%` : '-');
  console.log(`${flags.starts} dm_control floor starts (seeds ${flags.seed}-${flags.seed + flags.starts - 1}): where the peg rests and whether the in-hand grip reaches it`);
  console.log(`bin (m, grasp site)        starts  on floor  grip (of those on the floor)  a peg site within ${reach.toFixed(3)} m of the root`);
  for (const b of bins) {
    console.log(`${b.label.padEnd(26)} ${String(b.starts).padStart(6)} ${String(b.onFloor).padStart(9)} ${String(b.grip).padStart(5)} ${pct(b.grip, b.onFloor).padStart(4)} ${String(b.inReach).padStart(25)} ${pct(b.inReach, b.onFloor).padStart(4)}`);
  }
  // The true task's start types over the same seeds, and what they allow: every in-hand and in-slot start, and every
  // floor start whose peg admits the grip where it rests (or came to rest off the floor), scored 1 a step from the
  // first step on. No policy does better without first moving pegs that rest out of the grip's reach.
  const trueTask = (await makeTask('manipulator-insert-peg', { camera: false })) as ManipulatorInsertPeg;
  const types = { in_hand: 0, in_target: 0, uniform: 0 };
  for (let i = 0; i < flags.starts; i++) {
    trueTask.reset(new Rng(flags.seed + i));
    types[trueTask.initType]++;
  }
  trueTask.close();
  const all = bins[bins.length - 1];
  const gripShare = (all.grip + (all.starts - all.onFloor)) / all.starts;
  const ceiling = (1000 * (types.in_hand + types.in_target + types.uniform * gripShare)) / flags.starts;
  console.log(`true-task starts over the same seeds: in hand ${pct(types.in_hand, flags.starts)}, in the slot ${pct(types.in_target, flags.starts)}, on the floor ${pct(types.uniform, flags.starts)}`);
  console.log(`ceiling of a policy that inserts at once whenever the peg is in hand, in the slot, or rests where the grip reaches it (or off the floor): ${ceiling.toFixed(0)} of 1000`);
  if (flags.out) {
    fs.writeFileSync(flags.out, JSON.stringify({ starts: flags.starts, seed: flags.seed, bins, startTypes: types, gripCeiling: ceiling, rows }, null, 1) + '\n');
    console.log(`wrote ${flags.out}`);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
