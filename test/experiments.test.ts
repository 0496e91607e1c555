/** Result cache and sweep runner: keys, atomic cells, and resume after an interruption recomputes nothing finished. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ResultCache, cached, configKey, canonicalJson, runSweep, shardGrid, parseProfile, figurePlan, selectionPlan, selectedCloning, SELECTION_GRID, FIGURE_IDS,
  rekeyStoredResults, rekeyToUntilConverged, expertSha256, compressionR, loadStoredCells, cellEndedImproving, computesMissing, filterGrid,
  type CellConfig, type SweepProgress,
} from '../src/experiments';
import { cachedDataset, datasetDir } from '../src/cloning/dataset';
import { expertReturnFile, loadTaskExpert } from '../src/cloning/experiment';
import { kickstartLabel } from '../src/cloning/kickstart';
import { GaussianMLP, initBackend, saveCheckpointSync } from '../src/policies';
import { Rng } from '../src/util/rng';
import { coverageMarkdown, coverageOf } from '../src/report/summary';

const silent: SweepProgress = { start() {}, tick() {}, finish() {} };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'apc-cache-'));
/** A stand-in checkpoint folder (plans hash manifest.json and weights.bin; nothing here loads it). */
function fakeCheckpoint(dir: string, weights = 'w'): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'manifest.json'), '{}');
  fs.writeFileSync(path.join(dir, 'weights.bin'), weights);
}

test('config key ignores key order, changes with any value and with the code version', () => {
  const a = { figure: 'f', task: 't', nested: { b: 1, a: [1, 2] } };
  const b = { nested: { a: [1, 2], b: 1 }, task: 't', figure: 'f' };
  assert.equal(configKey(a), configKey(b));
  assert.notEqual(configKey(a), configKey({ ...a, task: 'u' }));
  assert.notEqual(configKey(a), configKey({ ...a, nested: { b: 1, a: [2, 1] } }));
  assert.notEqual(configKey(a, 'v1'), configKey(a, 'v2'));
  assert.throws(() => canonicalJson({ x: NaN }), /non-finite/);
  assert.throws(() => new ResultCache(tmp()).file({ figure: '../escape' }), /config.figure/);
});

test('cached computes once, stores config and rows together, and recomputes on force', async () => {
  const cache = new ResultCache(tmp());
  let calls = 0;
  const config = { figure: 'fig-x', seed: 3 };
  const compute = async (c: CellConfig) => {
    calls += 1;
    return [{ seed: c.seed, value: calls }];
  };
  assert.deepEqual(await cached(config, compute, { cache }), [{ seed: 3, value: 1 }]);
  assert.deepEqual(await cached(config, compute, { cache }), [{ seed: 3, value: 1 }]);
  assert.equal(calls, 1);
  const stored = JSON.parse(fs.readFileSync(cache.file(config), 'utf8'));
  assert.deepEqual(stored.config, config);
  assert.equal(stored.key, configKey(config));
  assert.deepEqual(await cached(config, compute, { cache, force: true }), [{ seed: 3, value: 2 }]);
  assert.equal(calls, 2);
  assert.equal(cache.list('fig-x').length, 1);
});

test('a plan still being computed: stored cells load, missing ones are counted, cells that ended improving are named', () => {
  const cache = new ResultCache(tmp());
  const cell = (trajectories: number, seed: number, extra: Record<string, unknown> = {}): CellConfig => ({ figure: 'fig2-offline', kind: 'offline', task: 't', method: 'apc', trajectories, seed, trainSteps: 3000, ...extra });
  const row = (bestUpdate: number, extra: Record<string, unknown> = {}) => ({ task: 't', method: 'APC', x: 1, seed: 0, return: 1, bestUpdate, ...extra });
  const grid = [cell(1, 0), cell(1, 1), cell(5, 0), cell(10, 0, { extendWhileImproving: 4 }), cell(10, 1, { extendWhileImproving: 4 })];
  cache.put(grid[0], [row(3000)], 1); // stored before `endedImproving`: best at the last update = still improving
  cache.put(grid[1], [row(2500)], 1);
  cache.put(grid[3], [row(12000, { endedImproving: true })], 1);
  cache.put(grid[4], [row(3000, { endedImproving: false })], 1); // extended past its budget, then stopped improving
  const stored = loadStoredCells(grid, cache);
  assert.deepEqual([stored.planned, stored.stored, stored.rows.length], [5, 4, 4]);
  assert.deepEqual(stored.missing, [grid[2]]);
  assert.deepEqual(stored.endedImproving, [grid[0], grid[3]]);
  assert.equal(cellEndedImproving({ figure: 'fig5-dagger', kind: 'dagger', trainSteps: 1 }, [row(1)]), false);
  // The notebook's words say both.
  const words = coverageMarkdown(coverageOf(stored), 'trajectories', 'fig2-offline').join('\n');
  assert.match(words, /Not yet computed:\*\* 1 of the plan's 5 cells \(4 stored\).*t APC at 5 \(1 cell, seeds 0\)/);
  assert.match(words, /Budget:\*\* 2 of the 4 stored cells stopped at their update budget.*t APC at 1 \(1 cell, seeds 0\), 10 \(1 cell, seeds 0\)/);
  assert.match(words, /npm run sweep -- --figure fig2-offline/);
  // A damaged cell is never drawn.
  fs.writeFileSync(cache.file(grid[1]), '{');
  assert.throws(() => loadStoredCells(grid, cache), /damaged|recompute/);
  // Notebooks compute missing cells at the quick profile; at the paper profile only when asked.
  assert.equal(computesMissing('quick', {}), true);
  assert.equal(computesMissing('paper', {}), false);
  assert.equal(computesMissing('paper', { APC_COMPUTE: '1' }), true);
  assert.throws(() => computesMissing('paper', { APC_COMPUTE: 'yes' }), /APC_COMPUTE must be 0 or 1, got 'yes'/);
});

test('filterGrid keeps the cells with the listed values and refuses a value the plan lacks', () => {
  const grid: CellConfig[] = [1, 2, 5].flatMap((trajectories) => [0, 1].map((seed) => ({ figure: 'f', trajectories, seed })));
  assert.deepEqual(filterGrid(grid, { trajectories: [2, 5], seed: [1], method: null }).map((c) => [c.trajectories, c.seed]), [[2, 1], [5, 1]]);
  assert.throws(() => filterGrid(grid, { trajectories: [10] }), /trajectories 10 is not in the plan; its values: 1, 2, 5/);
});

test('an interrupted sweep, rerun, recomputes only the cells that had not finished', async () => {
  const root = tmp();
  const grid: CellConfig[] = [0, 1, 2, 3, 4, 5].map((i) => ({ figure: 'sweep', i }));
  const computedIds: number[] = [];
  const interruptAfter = 3;
  const flaky = async (c: CellConfig) => {
    if (computedIds.length === interruptAfter) throw new Error('interrupted');
    computedIds.push(c.i as number);
    return [{ i: c.i, sq: (c.i as number) ** 2 }];
  };
  await assert.rejects(runSweep(grid, flaky, { cache: new ResultCache(root), progress: silent }), /interrupted/);
  assert.deepEqual(computedIds, [0, 1, 2]);
  // No partial files: only finished cells are on disk.
  assert.deepEqual(fs.readdirSync(path.join(root, 'sweep')).filter((f) => !f.endsWith('.json')), []);
  assert.equal(fs.readdirSync(path.join(root, 'sweep')).length, 3);

  const second: number[] = [];
  const res = await runSweep(grid, async (c) => (second.push(c.i as number), [{ i: c.i, sq: (c.i as number) ** 2 }]), { cache: new ResultCache(root), progress: silent });
  assert.deepEqual(second, [3, 4, 5]);
  assert.equal(res.computed, 3);
  assert.equal(res.reused, 3);
  assert.deepEqual(res.rows.map((r) => r.sq), [0, 1, 4, 9, 16, 25]);

  const third: number[] = [];
  const again = await runSweep(grid, async (c) => (third.push(c.i as number), []), { cache: new ResultCache(root), progress: silent });
  assert.deepEqual(third, []);
  assert.equal(again.reused, 6);
});

test('shards split a grid into disjoint parts that cover it, and a bad --shard is named', () => {
  const grid = [0, 1, 2, 3, 4, 5, 6];
  const parts = [0, 1, 2].map((k) => shardGrid(grid, `${k}/3`));
  assert.deepEqual(parts, [[0, 3, 6], [1, 4], [2, 5]]);
  assert.deepEqual(shardGrid(grid, ''), grid);
  assert.deepEqual(shardGrid(grid, '0/1'), grid);
  for (const bad of ['2/2', '1', '-1/2', 'a/b', '0/0']) assert.throws(() => shardGrid(grid, bad), /--shard must be INDEX\/COUNT/);
});

test('profiles: the error names the accepted values', () => {
  assert.equal(parseProfile('paper'), 'paper');
  assert.throws(() => parseProfile('huge'), /quick, paper/);
});

test('figure plans substitute a fast task with an expert, say so in the title, and fail without any expert', async () => {
  const experts = tmp();
  const saved = process.env.APC_EXPERTS_DIR;
  process.env.APC_EXPERTS_DIR = experts;
  try {
    assert.throws(() => figurePlan('fig2-offline', 'quick'), /needs a trained expert.*cartpole-swingup/);
    fakeCheckpoint(path.join(experts, 'cartpole-swingup', 'expert'));
    const plan = figurePlan('fig2-offline', 'quick');
    assert.deepEqual([...new Set(plan.grid.map((c) => c.task))], ['cartpole-swingup']);
    assert.equal(plan.substitutions.length, 3);
    assert.match(plan.title.replace(/<br>/g, ' '), /SUBSTITUTED: humanoid-run -> cartpole-swingup/);
    assert.match(plan.title, /profile quick/);
    // Quick grid: 3 methods x 2 dataset sizes x 1 seed, every cell with the paper's noise 0.2.
    assert.equal(plan.grid.length, 6);
    assert.ok(plan.grid.every((c) => c.datasetNoise === 0.2 && c.evalNoise === 0.2));
    // A paper task whose expert exists is used as is (and the nearer fallback wins over the farther one).
    fakeCheckpoint(path.join(experts, 'humanoid-run', 'expert'));
    fakeCheckpoint(path.join(experts, 'cheetah-run', 'expert'));
    const p2 = figurePlan('fig2-offline', 'paper');
    assert.deepEqual([...new Set(p2.grid.map((c) => c.task))], ['humanoid-run', 'cheetah-run']);
    // Paper grid: 2 tasks x 3 methods x 7 dataset sizes (1 to 100 trajectories) x 5 seeds.
    assert.equal(p2.grid.length, 2 * 3 * 7 * 5);
    // The budget: max(3000, 300 per trajectory), extended while validation improves, at every dataset size of a
    // figure that reaches 10 trajectories (Figures 2 and 3); Figure 4 (2 trajectories) keeps a final budget.
    const budget = (p: ReturnType<typeof figurePlan>, n: number) => [...new Set(p.grid.filter((c) => c.trajectories === n).map((c) => `${c.trainSteps}/${c.extendWhileImproving ?? '-'}`))];
    assert.deepEqual([1, 2, 5, 10, 20, 50, 100].map((n) => budget(p2, n)), [['3000/4'], ['3000/4'], ['3000/4'], ['3000/4'], ['6000/4'], ['15000/4'], ['30000/4']]);
    assert.deepEqual([1, 5, 20, 50].map((n) => budget(figurePlan('fig3-compression', 'paper'), n)), [['3000/4'], ['3000/4'], ['6000/4'], ['15000/4']]);
    // Privileged experts stand in only with a task that has a privileged group and a camera (reacher-easy).
    assert.throws(() => figurePlan('fig4-privileged', 'quick'), /needs a trained expert for one of manipulator-insert-peg, humanoid-walls, reacher-easy/);
    fakeCheckpoint(path.join(experts, 'reacher-easy', 'expert'));
    assert.deepEqual(budget(figurePlan('fig4-privileged', 'paper'), 2), ['1500/-']);
    const p4 = figurePlan('fig4-privileged', 'quick');
    assert.match(p4.title.replace(/<br>/g, ' '), /SUBSTITUTED: manipulator-insert-peg -> reacher-easy; humanoid-walls -> reacher-easy/);
    assert.deepEqual(p4.grid.map((c) => `${c.method}/${c.imageShift}/${c.studentView}`), ['bc/0/student', 'bc/2/student', 'naive-abc/0/student', 'naive-abc/2/student', 'apc/0/student', 'apc/2/student']);
    // Compression students scale with the expert's width (no manifest here: 256, the paper's students).
    assert.deepEqual([...new Set(figurePlan('fig3-compression', 'paper').grid.map((c) => JSON.stringify(c.studentTorso)))], ['[256]', '[256,64]', '[256,256]', '[256,256,256]']);
    // Figure 6 kickstarts from a half/ checkpoint: without one no task qualifies.
    assert.throws(() => figurePlan('fig6-kickstart', 'quick'), /looked for .*humanoid-run\/half/);
    fakeCheckpoint(path.join(experts, 'cartpole-swingup', 'half'));
    for (const id of FIGURE_IDS) assert.ok(figurePlan(id, 'quick').grid.length > 0, id);
    assert.throws(() => figurePlan('fig9' as never, 'quick'), /figure id must be one of fig1-toy/);
  } finally {
    if (saved === undefined) delete process.env.APC_EXPERTS_DIR;
    else process.env.APC_EXPERTS_DIR = saved;
  }
});

test('sigma_s and M are chosen on stored validation results only, defaults until every candidate is stored', () => {
  const experts = tmp();
  const results = tmp();
  const saved = { e: process.env.APC_EXPERTS_DIR, r: process.env.APC_RESULTS_DIR };
  process.env.APC_EXPERTS_DIR = experts;
  process.env.APC_RESULTS_DIR = results;
  try {
    fakeCheckpoint(path.join(experts, 'cheetah-run', 'expert'));
    const cells = selectionPlan('cheetah-run', 'paper');
    assert.equal(cells.length, SELECTION_GRID.sigmaS.length * SELECTION_GRID.numAugmented.length);
    assert.ok(cells.every((c) => c.kind === 'select' && c.method === 'apc' && c.seed === 0));
    const defaults = { sigmaS: 0.1, numAugmented: 16 };
    const base = { datasetNoise: 0.2, evalNoise: 0.2, batchSize: 256, trainSteps: 3000 };
    const cache = new ResultCache(results);
    // Synthetic validation errors (this test checks the choice, not a measurement): lowest at sigma 0.03, M 8.
    const mse = (c: CellConfig) => Math.abs(Math.log(Number(c.sigmaS) / 0.03)) + 1 / Number(c.numAugmented);
    cells.slice(0, -1).forEach((c) => cache.put(c, [{ sigmaS: c.sigmaS, numAugmented: c.numAugmented, validationMse: mse(c) }], 1));
    assert.equal(selectedCloning('cheetah-run', base, 'paper', defaults, cache).source, 'default', 'one candidate missing');
    const last = cells[cells.length - 1];
    cache.put(last, [{ sigmaS: last.sigmaS, numAugmented: last.numAugmented, validationMse: mse(last) }], 1);
    const chosen = selectedCloning('cheetah-run', base, 'paper', defaults, cache);
    assert.deepEqual([chosen.source, chosen.sigmaS, chosen.numAugmented], ['validation', 0.03, 8]);
    assert.equal(selectedCloning('cheetah-run', base, 'quick', defaults, cache).source, 'default', 'quick profile keeps the defaults');
    // The paper profile's offline cells carry the chosen pair and the title says where it came from.
    const plan = figurePlan('fig2-offline', 'paper');
    assert.ok(plan.grid.filter((c) => c.method !== 'bc').every((c) => c.sigmaS === 0.03 && c.numAugmented === 8));
    assert.match(plan.title.replace(/<br>/g, ' '), /cheetah-run sigma_s 0.03 M 8 \(chosen on validation\)/);
    // The quick profile ignores the selection and clones with the grid's smallest M (fast smoke runs).
    const quick = figurePlan('fig2-offline', 'quick');
    assert.ok(quick.grid.filter((c) => c.method !== 'bc').every((c) => c.sigmaS === 0.1 && c.numAugmented === Math.min(...SELECTION_GRID.numAugmented)));
    assert.match(quick.title.replace(/<br>/g, ' '), /cheetah-run sigma_s 0.1 M 2 \(defaults\)/);
  } finally {
    for (const [k, v] of [['APC_EXPERTS_DIR', saved.e], ['APC_RESULTS_DIR', saved.r]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

/** Point APC_EXPERTS_DIR / APC_RESULTS_DIR / APC_DATASETS_DIR at temporary folders for `body`. */
async function withRoots<T>(body: (roots: { experts: string; results: string; datasets: string }) => Promise<T> | T): Promise<T> {
  const roots = { experts: tmp(), results: tmp(), datasets: tmp() };
  const names = { experts: 'APC_EXPERTS_DIR', results: 'APC_RESULTS_DIR', datasets: 'APC_DATASETS_DIR' } as const;
  const saved = Object.fromEntries(Object.values(names).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(names)) process.env[v] = roots[k as keyof typeof roots];
  try {
    return await body(roots);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    for (const d of Object.values(roots)) fs.rmSync(d, { recursive: true, force: true });
  }
}

test("replacing an expert's weights changes the keys of its datasets, result cells and cached return", async () => {
  await initBackend();
  await withRoots(async ({ experts, datasets }) => {
    const task = 'cartpole-swingup';
    const spec = { view: ['position', 'velocity'], groupShapes: { position: [3], velocity: [2] }, groupKinds: { position: 'state' as const, velocity: 'state' as const }, actionDim: 1 };
    const save = (seed: number, checkpoint: string) => {
      const p = new GaussianMLP(spec, { torso: [8] }, new Rng(seed));
      saveCheckpointSync(path.join(experts, task, checkpoint), p, { task });
      p.dispose();
    };
    save(1, 'expert');
    save(2, 'half');
    const dsOpts = { task, trajectories: 1, seed: 3, episodeLength: 5 };
    const keysNow = () => {
      const sha = expertSha256(task);
      return {
        sha,
        cells: [...figurePlan('fig2-offline', 'quick').grid, ...figurePlan('fig5-dagger', 'quick').grid, ...selectionPlan(task, 'paper')].map((c) => configKey(c)),
        kick: figurePlan('fig6-kickstart', 'quick').grid.map((c) => configKey(c)),
        dataset: datasetDir(datasets, dsOpts, sha),
        ret: expertReturnFile({ task, expertSha256: sha, episodes: 2, noise: 0.2 }),
      };
    };
    const before = keysNow();
    assert.equal(before.sha, expertSha256(task, 'expert'));
    assert.ok(figurePlan('fig2-offline', 'quick').grid.every((c) => c.expertCheckpoint === 'expert' && c.expertSha256 === before.sha), 'each cell names its expert');
    // A real collection lands in the folder of the weights that recorded it.
    const { expert: e1 } = await loadTaskExpert(task);
    await cachedDataset(datasets, e1, dsOpts, before.sha);
    e1.dispose();
    assert.ok(fs.existsSync(path.join(before.dataset, 'manifest.json')));
    assert.equal(JSON.parse(fs.readFileSync(path.join(before.dataset, 'manifest.json'), 'utf8')).expertSha256, before.sha);

    save(7, 'expert'); // same architecture, other weights
    const after = keysNow();
    assert.notEqual(after.sha, before.sha);
    assert.equal(after.cells.length, before.cells.length);
    assert.ok(after.cells.every((k, i) => k !== before.cells[i]), 'every expert-reading cell gets a new key');
    assert.deepEqual(after.kick, before.kick, 'Figure 6 reads half/, which did not change');
    assert.notEqual(after.dataset, before.dataset);
    assert.notEqual(after.ret, before.ret);
    // A cell planned for the old weights is refused rather than computed with the new ones.
    await assert.rejects(loadTaskExpert(task, 'expert', before.sha), /planned for the cartpole-swingup 'expert' expert with sha256 .* now hashes to/);
    save(8, 'half');
    assert.ok(figurePlan('fig6-kickstart', 'quick').grid.every((c, i) => configKey(c) !== after.kick[i] && c.expertCheckpoint === 'half'));
    // Task options of the return are part of its key too.
    assert.notEqual(expertReturnFile({ task, expertSha256: after.sha, episodes: 2, noise: 0.2, taskOptions: { episodeLength: 5 } }), after.ret);
  });
});

test('--rekey moves each stored cell to its expert-keyed config, marked as migrated, and leaves Figure 6 and the toy alone', async () => {
  await withRoots(async ({ experts, results }) => {
    fakeCheckpoint(path.join(experts, 'cheetah-run', 'expert'), 'weights as committed');
    const cache = new ResultCache(results);
    const offline = { figure: 'fig3-compression', kind: 'offline', task: 'cheetah-run', method: 'bc', seed: 0, studentTorso: [256, 64] };
    const kick = { figure: 'fig6-kickstart', kind: 'kickstart', task: 'cheetah-run', method: 'rl', seed: 0 };
    const toy = { figure: 'fig1-toy', method: 'bc', seed: 0 };
    const old = cache.put(offline, [{ figure: 'fig3-compression', task: 'cheetah-run', method: 'BC', x: 1, seed: 0, return: 12.5 }], 3);
    cache.put(kick, [{ return: 1 }], 1);
    cache.put(toy, [{ return: 2 }], 1);
    const out = rekeyStoredResults({ cache, now: new Date('2026-12-03T12:00:00Z') });
    assert.deepEqual(out.map((o) => `${o.figure}:${o.action}`).sort(), ['fig1-toy:skipped', 'fig3-compression:rekeyed', 'fig6-kickstart:skipped']);
    const next = { ...offline, expertCheckpoint: 'expert', expertSha256: expertSha256('cheetah-run') };
    const moved = cache.get<Record<string, unknown>>(next) as unknown as Record<string, unknown> & { rows: Record<string, unknown>[] };
    assert.ok(moved, 'found under the key the plan now computes');
    assert.equal(moved.migratedSha, true);
    assert.equal(moved.rekeyedAt, '2026-12-03T12:00:00.000Z');
    assert.equal(moved.previousKey, old.key);
    assert.equal(moved.rows[0].return, 12.5, 'measured values are kept');
    // The derived label column of Figure 3: r = 256^3 / (256 * 64) for an expert of unknown torso ([256, 256, 256]).
    assert.equal(moved.rows[0].r, 256 ** 3 / (256 * 64));
    assert.equal(cache.get(offline), null, 'the old file is gone');
    assert.ok(cache.get(kick) && cache.get(toy), 'skipped cells stay where they were');
    assert.deepEqual(rekeyStoredResults({ cache }).map((o) => o.action).sort(), ['already-keyed', 'skipped', 'skipped'], 'a second run changes nothing');
  });
});

test('rekeyToUntilConverged moves cells that stopped on patience, leaves budget-bound ones to recompute, then removes them', () => {
  const cache = new ResultCache(tmp());
  const cell = (seed: number): CellConfig => ({ figure: 'fig2-offline', kind: 'offline', task: 't', method: 'bc', trajectories: 1, seed, trainSteps: 3000, extendWhileImproving: 4 });
  const without = (c: CellConfig) => { const o = { ...c }; delete o.extendWhileImproving; return o; };
  const plan = { id: 'fig2-offline', grid: [cell(0), cell(1), cell(2)] };
  // Seed 0: best at 1000, patience (8 x 250) ran out at 3000, before the budget check. Seed 1: best at 1250, so it
  // reached the budget with patience left, where the new rule trains on. Seed 2: nothing stored.
  const old0 = cache.put(without(cell(0)), [{ method: 'BC', x: 1, seed: 0, return: 5, bestUpdate: 1000 }], 2);
  cache.put(without(cell(1)), [{ method: 'BC', x: 1, seed: 1, return: 6, bestUpdate: 1250 }], 2);
  assert.deepEqual(rekeyToUntilConverged([plan], { cache, dryRun: true }).map((o) => o.action), ['migrated', 'recompute']);
  assert.ok(cache.get(without(cell(0))), 'a dry run writes nothing');
  const out = rekeyToUntilConverged([plan], { cache, now: new Date('2026-12-04T12:00:00Z') });
  assert.deepEqual(out.map((o) => o.action), ['migrated', 'recompute']);
  const moved = cache.get<Record<string, unknown>>(cell(0)) as unknown as Record<string, unknown> & { rows: Record<string, unknown>[] };
  assert.deepEqual(moved.rows[0], { method: 'BC', x: 1, seed: 0, return: 5, bestUpdate: 1000, updates: 3000, stoppedBy: 'patience', endedImproving: false });
  assert.equal(moved.previousKey, old0.key);
  assert.deepEqual(moved.addedConfigFields, ['extendWhileImproving']);
  assert.equal(cache.get(without(cell(0))), null, 'the old file is gone');
  assert.equal(cache.get(cell(1)), null, 'a budget-bound cell is not migrated');
  assert.ok(cache.get(without(cell(1))), '... and stays until it is recomputed');
  cache.put(cell(1), [{ method: 'BC', x: 1, seed: 1, return: 7, bestUpdate: 4000, updates: 6000, stoppedBy: 'patience', endedImproving: false }], 9);
  assert.deepEqual(rekeyToUntilConverged([plan], { cache }).map((o) => o.action), ['superseded']);
  assert.equal(cache.get(without(cell(1))), null);
  assert.deepEqual(rekeyToUntilConverged([plan], { cache }), [], 'a second run changes nothing');
});

test("--rekey drops APC's sigma_s, M and form from offline BC cells (BC perturbs nothing), keeping their rows", async () => {
  await withRoots(async ({ experts, results }) => {
    fakeCheckpoint(path.join(experts, 'cheetah-run', 'expert'));
    const cache = new ResultCache(results);
    const keyed = { figure: 'fig2-offline', kind: 'offline', task: 'cheetah-run', seed: 1, trajectories: 2, expertCheckpoint: 'expert', expertSha256: expertSha256('cheetah-run') };
    const bc = { ...keyed, method: 'bc', sigmaS: 0.3, numAugmented: 2, sigmaScale: 'expert-std' };
    const apc = { ...keyed, method: 'apc', sigmaS: 0.3, numAugmented: 2, sigmaScale: 'expert-std' };
    const old = cache.put(bc, [{ method: 'BC', x: 2, seed: 1, return: 7.5 }], 3);
    cache.put(apc, [{ method: 'APC', x: 2, seed: 1, return: 9 }], 3);
    const out = rekeyStoredResults({ cache, now: new Date('2026-12-03T12:00:00Z') });
    assert.deepEqual(out.map((o) => o.action).sort(), ['already-keyed', 'rekeyed']);
    const moved = cache.get<Record<string, unknown>>({ ...keyed, method: 'bc' }) as unknown as Record<string, unknown> & { rows: Record<string, unknown>[] };
    assert.ok(moved, 'found under the key without the perturbation fields');
    assert.deepEqual([moved.droppedConfigFields, moved.previousKey, moved.migratedSha, moved.rows[0].return], [['sigmaS', 'numAugmented', 'sigmaScale'], old.key, undefined, 7.5]);
    assert.equal(cache.get(bc), null);
    assert.ok(cache.get(apc), 'APC keeps its sigma_s and M');
  });
});

test("BC's offline cells carry no sigma_s or M: their keys do not move with the selection", async () => {
  await withRoots(({ experts, results }) => {
    fakeCheckpoint(path.join(experts, 'cheetah-run', 'expert'));
    const cache = new ResultCache(results);
    const bcKeys = () => figurePlan('fig2-offline', 'paper').grid.filter((c) => c.method === 'bc').map((c) => configKey(c));
    const before = bcKeys();
    assert.ok(figurePlan('fig2-offline', 'paper').grid.filter((c) => c.method === 'bc').every((c) => !('sigmaS' in c) && !('numAugmented' in c) && !('sigmaScale' in c)));
    // A complete APC selection that moves APC's sigma_s: BC's keys stay, APC's move.
    const apcBefore = figurePlan('fig2-offline', 'paper').grid.filter((c) => c.method === 'apc').map((c) => configKey(c));
    selectionPlan('cheetah-run', 'paper', 'apc').forEach((c) => cache.put(c, [{ sigmaS: c.sigmaS, numAugmented: c.numAugmented, validationMse: c.sigmaS === 0.3 && c.numAugmented === 2 ? 0.01 : 1 }], 1));
    assert.deepEqual(bcKeys(), before);
    assert.notDeepEqual(figurePlan('fig2-offline', 'paper').grid.filter((c) => c.method === 'apc').map((c) => configKey(c)), apcBefore);
  });
});

test('Figure 3 labels students with the paper r; Figure 6 has four arms from the half expert on the true task', async () => {
  assert.deepEqual([[256], [256, 64], [256, 256], [256, 256, 256]].map((t) => compressionR([256, 256, 256], t)), [65536, 1024, 256, 1]);
  await withRoots(({ experts }) => {
    fakeCheckpoint(path.join(experts, 'humanoid-run', 'expert'));
    fakeCheckpoint(path.join(experts, 'humanoid-run', 'half'), 'half weights');
    const p3 = figurePlan('fig3-compression', 'paper');
    assert.deepEqual(p3.plot.seriesSuffix, { key: 'r', prefix: 'r=' });
    assert.match(String(p3.scale.students), /^256 \(r=65536\) \/ 256x64 \(r=1024\) \/ 256x256 \(r=256\) \/ 256x256x256 \(r=1\)$/);
    assert.match(String(p3.scale.r), /parameter-count ratios/);
    const p6 = figurePlan('fig6-kickstart', 'paper');
    const arms = [...new Set(p6.grid.map((c) => `${c.method}/${c.lambda}`))];
    assert.deepEqual(arms, ['rl/0', 'bc/1', 'bc/2', 'apc/1']);
    assert.ok(new Set(p6.grid.map((c) => c.seed)).size >= 3, 'at least 3 seeds');
    assert.equal(p6.grid.length, 4 * 3);
    for (const c of p6.grid) {
      assert.equal(c.expertCheckpoint, 'half');
      assert.equal(c.expertSha256, expertSha256('humanoid-run', 'half'));
      assert.deepEqual([c.evalEpisodes, c.evalNoise, c.evalMode, c.earlyTermination], [150, 0.2, 'noise', false]);
      assert.deepEqual([c.trainTaskOptions, c.evalTaskOptions], [{}, {}]);
    }
    assert.match(p6.title.replace(/<br>/g, ' '), /true task for every arm, RL only included/);
    assert.deepEqual(['rl', 'bc', 'apc'].map((m) => kickstartLabel(m, 1)), ['RL only', 'Kickstarting', 'Kickstarting + APC']);
    assert.equal(kickstartLabel('bc', 2), 'Kickstarting (2 lambda)');
  });
});

test("Naive ABC chooses its own sigma_s and M on validation, the expert-std form competes with the raw one, and the online figures keep raw", async () => {
  await withRoots(({ experts, results }) => {
    fakeCheckpoint(path.join(experts, 'cheetah-run', 'expert'));
    fakeCheckpoint(path.join(experts, 'cheetah-run', 'half'), 'h');
    const cache = new ResultCache(results);
    const store = (cells: CellConfig[], mse: (c: CellConfig) => number) =>
      cells.forEach((c) => cache.put(c, [{ sigmaS: c.sigmaS, numAugmented: c.numAugmented, validationMse: mse(c) }], 1));
    const base = { datasetNoise: 0.2, evalNoise: 0.2, batchSize: 256, trainSteps: 3000 };
    const defaults = { sigmaS: 0.1, numAugmented: 16 };
    // Synthetic validation errors (this test checks the choices, not a measurement).
    store(selectionPlan('cheetah-run', 'paper', 'apc'), (c) => Math.abs(Math.log(Number(c.sigmaS) / 0.1)) + 1 / Number(c.numAugmented));
    const naiveRaw = selectionPlan('cheetah-run', 'paper', 'naive-abc');
    assert.ok(naiveRaw.every((c) => c.method === 'naive-abc' && c.sigmaScale === undefined));
    // Until Naive ABC's selection is complete, its cells inherit APC's pair and the title says so.
    store(naiveRaw.slice(1), () => 1);
    let plan = figurePlan('fig2-offline', 'paper');
    assert.ok(plan.grid.filter((c) => c.method === 'naive-abc').every((c) => c.sigmaS === 0.1 && c.numAugmented === 8));
    assert.match(plan.title.replace(/<br>/g, ' '), /Naive ABC APC's \(no Naive ABC selection stored\)/);
    store(naiveRaw, (c) => Math.abs(Math.log(Number(c.sigmaS) / 0.01)) + Number(c.numAugmented) / 100);
    const naive = selectedCloning('cheetah-run', base, 'paper', defaults, cache, 'naive-abc');
    assert.deepEqual([naive.source, naive.selectedBy, naive.sigmaS, naive.numAugmented, naive.sigmaScale], ['validation', 'naive-abc', 0.01, 2, 'raw']);
    plan = figurePlan('fig2-offline', 'paper');
    assert.ok(plan.grid.filter((c) => c.method === 'naive-abc').every((c) => c.sigmaS === 0.01 && c.numAugmented === 2));
    assert.ok(plan.grid.filter((c) => c.method === 'apc').every((c) => c.sigmaS === 0.1 && c.numAugmented === 8), 'APC keeps its pair');
    assert.match(plan.title.replace(/<br>/g, ' '), /cheetah-run sigma_s 0.1 M 8 \(chosen on validation\), Naive ABC sigma_s 0.01 M 2 \(its own validation\)/);
    // The expert-std form: its cells say so; when complete and better it wins for the offline figures only.
    const std = selectionPlan('cheetah-run', 'paper', 'apc', 'expert-std');
    assert.ok(std.every((c) => c.sigmaScale === 'expert-std'));
    assert.ok(std.every((c, i) => configKey(c) !== configKey(selectionPlan('cheetah-run', 'paper', 'apc')[i])));
    // Within FORM_MARGIN (10%) of raw's best (0.125 at sigma_s 0.1, M 8): a tie, the paper's raw form is kept.
    store(std, (c) => (c.sigmaS === 0.3 && c.numAugmented === 2 ? 0.125 * 0.95 : 5));
    const tied = selectedCloning('cheetah-run', base, 'paper', defaults, cache, 'apc');
    assert.deepEqual([tied.sigmaS, tied.numAugmented, tied.sigmaScale, tied.tie?.form], [0.1, 8, 'raw', 'expert-std']);
    assert.match(figurePlan('fig2-offline', 'paper').title.replace(/<br>/g, ' '), /cheetah-run sigma_s 0.1 M 8 \(chosen on validation, raw form kept \(expert-std within 10%\)\)/);
    store(std, (c) => (c.sigmaS === 0.3 && c.numAugmented === 2 ? 0.125 * 0.85 : 5));
    assert.equal(selectedCloning('cheetah-run', base, 'paper', defaults, cache, 'apc').sigmaScale, 'expert-std', 'beyond the margin the other form wins');
    store(std, (c) => (c.sigmaS === 0.3 && c.numAugmented === 2 ? 0.001 : 5));
    const apc = selectedCloning('cheetah-run', base, 'paper', defaults, cache, 'apc');
    assert.deepEqual([apc.sigmaS, apc.numAugmented, apc.sigmaScale, apc.forms], [0.3, 2, 'expert-std', ['raw', 'expert-std']]);
    plan = figurePlan('fig2-offline', 'paper');
    assert.ok(plan.grid.filter((c) => c.method === 'apc').every((c) => c.sigmaS === 0.3 && c.sigmaScale === 'expert-std'));
    assert.match(plan.title.replace(/<br>/g, ' '), /expert-std form won/);
    for (const id of ['fig5-dagger', 'fig6-kickstart'] as const) {
      assert.ok(figurePlan(id, 'paper').grid.every((c) => c.sigmaS === 0.1 && c.numAugmented === 8 && c.sigmaScale === undefined), `${id} keeps the raw form`);
    }
    assert.throws(() => selectionPlan('cheetah-run', 'paper', 'bc' as never), /selection method must be one of apc, naive-abc/);
    assert.throws(() => selectionPlan('cheetah-run', 'paper', 'apc', 'log' as never), /sigma scale must be one of raw, expert-std/);
  });
});
