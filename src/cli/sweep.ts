/**
 * `npm run sweep -- --figure fig2-offline [--profile paper] [--force]`: compute a figure's cells into the result
 * cache (data/results/<figure>/) without a notebook, so long sweeps can run in the background. Every cell is
 * stored as it finishes; interrupted and rerun, the sweep computes only the missing cells. The notebooks then draw
 * from the stored results.
 *
 * `--shard INDEX/COUNT` computes every COUNT-th cell from INDEX on, so COUNT processes (one per core) can share a
 * figure: `--shard 0/2` in one, `--shard 1/2` in another.
 *
 * `--figure select-cloning --task cheetah-run` runs the validation-only choice of sigma_s and M (selection.ts)
 * that the offline figures use at the paper profile; run it before their sweeps. `--method naive-abc` selects Naive ABC's
 * own pair; `--sigma-scale expert-std` runs the grid with sigma_s in units of the expert normaliser's std.
 *
 * `--rekey` migrates the stored cells of data/results/ to keys that name their expert's weights, and Figures 2 and 3's
 * cells that stopped on patience to the until-converged budget (experiments/rekey.ts), and exits; `--rekey --dry-run`
 * lists what it would do.
 *
 * `--queue redis://HOST:PORT` puts the missing cells on a BullMQ queue instead, for `npm run worker` processes on
 * any number of machines, waits, and writes each returned cell into the same cache (docs/scale-out.md). Stopped and
 * rerun, it loses and recomputes nothing. `--queue URL --status` prints the queue's jobs per state and its failed
 * cells with their errors.
 */
import { ResultCache, resultsRoot } from '../experiments';
import { checkTaskName, parseFlags, runCli, UsageError } from './args';
import { connectQueue, formatStatus, queueStatus, runQueuedSweep } from '../experiments/queue';
import { computeCell, figurePlan, filterGrid, FIGURE_IDS, rekeyStoredResults, rekeyToUntilConverged, runSweep, selectionPlan, shardGrid, SELECTION_FIGURE, parseProfile, type FigureId, type SelectedMethod, type SigmaScale } from '../experiments';

const USAGE = `usage: npm run sweep -- --figure ${[...FIGURE_IDS, SELECTION_FIGURE].join('|')} [--task NAME --method apc|naive-abc --sigma-scale raw|expert-std (select-cloning)] [--task A,B --methods bc,apc --trajectories 10,20 --seeds 0,1 (a part of a figure)] [--profile quick|paper|full] [--force] [--shard INDEX/COUNT] [--queue redis://HOST:PORT [--attempts 3]] | --queue redis://HOST:PORT --status | --rekey [--dry-run]`;

/** A comma-separated list of numbers; the error names the flag. */
function numberList(text: string, flag: string): number[] {
  const out = text.split(',').map((v) => Number(v));
  if (out.some((v) => !Number.isFinite(v))) throw new UsageError(`${flag} must be a comma-separated list of numbers, got '${text}'`);
  return out;
}

async function main(): Promise<void> {
  // Switches (--force, --rekey, --dry-run, --status) stand alone or take true / false.
  const f = parseFlags(process.argv.slice(2), { figure: '', task: '', methods: '', trajectories: '', seeds: '', method: 'apc', 'sigma-scale': 'raw', profile: 'paper', force: false, shard: '', rekey: false, 'dry-run': false, queue: '', status: false, attempts: 3 }, USAGE);
  if (f.status) {
    if (!f.queue) throw new UsageError('--status needs --queue redis://HOST:PORT');
    const queue = await connectQueue(String(f.queue));
    console.log(formatStatus(await queueStatus(queue)));
    await queue.close();
    return;
  }
  if (f.rekey) {
    const out = rekeyStoredResults({ dryRun: Boolean(f['dry-run']) });
    const count = (a: string) => out.filter((o) => o.action === a).length;
    for (const o of out.filter((x) => x.action === 'skipped')) console.error(`skipped ${o.figure}/${o.file.split('/').pop()}: ${o.reason}`);
    console.error(`${f['dry-run'] ? 'would rekey' : 'rekeyed'} ${count('rekeyed')} cell(s); ${count('already-keyed')} already keyed by their expert; ${count('skipped')} skipped`);
    // Offline cells stored before "train until validation stops improving" (figures.ts offlineBudget).
    const moved = rekeyToUntilConverged((['fig2-offline', 'fig3-compression'] as FigureId[]).map((id) => figurePlan(id, 'paper')), { dryRun: Boolean(f['dry-run']) });
    const n = (a: string) => moved.filter((o) => o.action === a).length;
    console.error(`until-converged budget: ${f['dry-run'] ? 'would migrate' : 'migrated'} ${n('migrated')} cell(s) that stopped on patience; ${n('recompute')} reached their budget and are recomputed by the sweep (left in place until then); ${n('superseded')} ${f['dry-run'] ? 'would be removed' : 'removed'} as recomputed`);
    return;
  }
  const profile = parseProfile(String(f.profile));
  let grid;
  if (f.figure === SELECTION_FIGURE) {
    if (!f.task) throw new UsageError(`--figure ${SELECTION_FIGURE} needs --task NAME`);
    checkTaskName(String(f.task));
    grid = selectionPlan(String(f.task), profile, String(f.method) as SelectedMethod, String(f['sigma-scale']) as SigmaScale);
  } else {
    if (!(FIGURE_IDS as readonly string[]).includes(String(f.figure))) throw new UsageError(`--figure must be one of ${[...FIGURE_IDS, SELECTION_FIGURE].join(', ')}, got '${f.figure}'`);
    const plan = figurePlan(f.figure as FigureId, profile);
    console.error(plan.title.replace(/<br>|<sup>|<\/sup>/g, ' '));
    grid = filterGrid(plan.grid, {
      task: f.task ? String(f.task).split(',') : null,
      method: f.methods ? String(f.methods).split(',') : null,
      trajectories: f.trajectories ? numberList(String(f.trajectories), '--trajectories') : null,
      seed: f.seeds ? numberList(String(f.seeds), '--seeds') : null,
    });
  }
  grid = shardGrid(grid, String(f.shard));
  const label = f.shard ? `${f.figure} (shard ${f.shard})` : String(f.figure);
  // The quick profile's cells go under data/results-quick/ (git ignores it), never beside the paper's.
  const cache = new ResultCache(resultsRoot(profile));
  if (f.queue) {
    if (f.force) throw new UsageError('--force cannot be combined with --queue: delete the cells to recompute from data/results/<figure>/ first');
    const queue = await connectQueue(String(f.queue));
    const out = await runQueuedSweep(queue, grid, { label, attempts: Number(f.attempts), cache });
    await queue.close();
    console.error(`${f.figure}: ${out.computed} cell(s) computed by workers, ${out.reused} reused from the cache, ${out.failed.length} failed`);
    for (const c of out.failed) console.error(`failed after ${c.attempts} attempt(s): ${c.error}\n  config ${JSON.stringify(c.config)}`);
    if (out.failed.length > 0) process.exitCode = 1;
    return;
  }
  const out = await runSweep(grid, computeCell, { force: Boolean(f.force), label, cache });
  console.error(`${f.figure}: ${out.computed} cell(s) computed, ${out.reused} reused from the cache`);
  if (f.figure === SELECTION_FIGURE) {
    for (const r of out.rows as Record<string, unknown>[]) console.log(`${r.method} sigma_s ${r.sigmaS}${r.sigmaScale ? ` (${r.sigmaScale})` : ''} M ${r.numAugmented}: validation MSE ${Number(r.validationMse).toFixed(5)}, NLL ${Number(r.validationNll).toFixed(3)}, best update ${r.bestUpdate}`);
  }
}

runCli(USAGE, main);
