/**
 * src/report: Danfo aggregation golden values, the figure builder's traces and line styles, and export -
 * the HTML page is loaded in headless Chromium and the plot must actually render (traces in the DOM).
 * Statistics: t quantiles and a paired t-test against textbook values, figure summaries from synthetic rows,
 * the committed summaries against the committed result cells, and the README's results table against them.
 * Needs the Debian package `chromium` (scripts/setup-jupyter.sh); without it these tests FAIL, they do not skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  aggregateSeeds, lineGrid, legendNames, publishFigure, readFigureHtml, renderedDom, chromiumPath, type PlotlyFigure,
  tQuantile, tCdf, meanInterval, pairedTTest, figureSummary, summaryJson, statsMarkdown, stableSvgIds, STABLE_PLOT_ID,
  loadSummaries, readmeBlock, resultsBlock, withResultsBlock, RESULTS_BEGIN, RESULTS_END, COMPARISONS,
} from '../src/report';
import { claimVerdict, coverageMarkdown, coverageOf } from '../src/report/summary';
import { cellWork, computeBlock, computeRows, estimateSeconds, hoursOn, readmeComputeBlock } from '../src/report/compute-table';
import { parseProfile } from '../src/experiments/profiles';
import { FIGURE_IDS, figurePlan, loadStoredCells, packageRoot, ResultCache, resultsRoot, type FigurePlan, type ResultRow } from '../src/experiments';

/** Synthetic rows: return = 10 * x + seed (+ 5 for APC); known means and sample stds. Test data, not results. */
function rows(): ResultRow[] {
  const out: ResultRow[] = [];
  for (const task of ['task-a', 'task-b'])
    for (const method of ['BC', 'APC'])
      for (const beta of [0, 0.3])
        for (const x of [1, 4])
          for (const seed of [0, 1, 2]) out.push({ figure: 't', task, method, beta, x, seed, return: 10 * x + seed + (method === 'APC' ? 5 : 0) });
  return out;
}

test('aggregateSeeds: mean, sample std, min/max, sem and n per group', () => {
  const std = aggregateSeeds(rows(), { by: ['task', 'method', 'x'] });
  assert.equal(std.length, 2 * 2 * 2);
  const p = std.find((q) => q.keys.task === 'task-a' && q.keys.method === 'APC' && q.keys.x === 4)!;
  // returns 45, 46, 47 twice (two betas): mean 46, sample std sqrt(4/5)
  assert.equal(p.n, 6);
  assert.ok(Math.abs(p.mean - 46) < 1e-9);
  assert.ok(Math.abs(p.hi - p.mean - Math.sqrt(4 / 5)) < 1e-9);
  const mm = aggregateSeeds(rows(), { by: ['task', 'method', 'x', 'beta'], spread: 'minmax' });
  const q = mm.find((r) => r.keys.task === 'task-b' && r.keys.method === 'BC' && r.keys.x === 1 && r.keys.beta === 0.3)!;
  assert.deepEqual([q.lo, q.mean, q.hi, q.n], [10, 11, 12, 3]);
  const sem = aggregateSeeds(rows(), { by: ['task', 'method', 'x', 'beta'], spread: 'sem' });
  assert.ok(Math.abs(sem[0].hi - sem[0].mean - 1 / Math.sqrt(3)) < 1e-9);
  const one = aggregateSeeds([{ figure: 't', task: 'a', method: 'BC', x: 1, seed: 0, return: 7 }]);
  assert.deepEqual([one[0].lo, one[0].hi], [7, 7]);
  assert.throws(() => aggregateSeeds(rows(), { spread: 'iqr' as never }), /spread must be one of std, minmax, sem/);
  assert.throws(() => aggregateSeeds(rows(), { by: ['nope'] }), /column 'nope'/);
});

/** rows() with a third x value, so that every panel is a curve (panels with one or two x values are points). */
function curveRows(): ResultRow[] {
  return [...rows(), ...rows().filter((r) => r.x === 4).map((r) => ({ ...r, x: 16, return: Number(r.return) + 120 }))];
}

function figure(): PlotlyFigure {
  const points = aggregateSeeds(curveRows(), { by: ['task', 'method', 'x', 'beta'] });
  return lineGrid(points, {
    title: 'report test', seriesOrder: ['BC', 'APC'], refLines: { 'task-a': { y: 60, label: 'Expert' } },
    dash: { key: 'beta', styles: { '0': 'solid', '0.3': 'dash' }, label: (v) => `beta ${v}` },
  });
}

test('lineGrid: one band and one mean trace per series and panel, dashes by beta, legend once per series', () => {
  const fig = figure();
  const means = fig.data.filter((t) => (t.meta as { role: string }).role === 'mean');
  const bands = fig.data.filter((t) => (t.meta as { role: string }).role === 'band');
  assert.equal(means.length, 2 /* tasks */ * 2 /* methods */ * 2 /* betas */);
  assert.equal(bands.length, means.length);
  assert.deepEqual(legendNames(fig), ['BC (beta 0)', 'BC (beta 0.3)', 'APC (beta 0)', 'APC (beta 0.3)', 'Expert']);
  const dashed = means.filter((t) => (t.line as { dash: string }).dash === 'dash').map((t) => t.name);
  assert.ok(dashed.length === 4 && dashed.every((n) => String(n).includes('beta 0.3')));
  // Second panel's traces sit on the second axes pair.
  assert.ok(means.some((t) => t.xaxis === 'x2' && t.yaxis === 'y2'));
  assert.ok(fig.layout.xaxis2 && fig.layout.yaxis2);
});

test('publishFigure writes HTML, PNG and SVG, and the HTML renders its traces in headless Chromium', () => {
  chromiumPath(); // fails loudly, naming the Debian package, when Chromium is missing
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-report-'));
  const fig = figure();
  const out = publishFigure(fig, 'report-test', { profile: 'quick', dir, caption: 'test caption' });
  // PNG: signature and IHDR size = layout size * scale 2.
  const png = fs.readFileSync(out.png);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.equal(png.readUInt32BE(16), 2 * Number(fig.layout.width));
  assert.equal(png.readUInt32BE(20), 2 * Number(fig.layout.height));
  const svg = fs.readFileSync(out.svg, 'utf8');
  assert.match(svg, /^<svg/);
  assert.ok((svg.match(/class="js-line"/g) ?? []).length >= 8, 'SVG holds the drawn lines');
  for (const name of legendNames(fig)) assert.ok(svg.includes(`>${name}<`), `SVG legend shows ${name}`);

  const html = fs.readFileSync(out.html, 'utf8');
  assert.deepEqual(readFigureHtml(html).figure, fig);
  assert.equal(readFigureHtml(html).meta.profile, 'quick');
  const dom = renderedDom(pathToFileURL(out.html).href);
  const traces = (dom.match(/<g class="trace scatter/g) ?? []).length;
  assert.equal(traces, fig.data.length, 'every trace is rendered into the page');
  assert.ok((dom.match(/class="js-line" d="M/g) ?? []).length >= 8, 'lines have path data');
  for (const name of legendNames(fig)) assert.ok(dom.includes(`>${name}<`), `legend shows ${name}`);

  // The same figure exports to the same bytes (npm run figures on an unchanged tree leaves git clean).
  const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-report-'));
  const again = publishFigure(fig, 'report-test', { profile: 'quick', dir: dir2, caption: 'test caption' });
  for (const k of ['png', 'svg'] as const) assert.ok(fs.readFileSync(again[k]).equals(fs.readFileSync(out[k])), `${k} identical on re-export`);
  assert.equal(fs.readFileSync(again.html, 'utf8').replace(/src="[^"]*plotly\.js"/, ''), html.replace(/src="[^"]*plotly\.js"/, ''), 'html identical on re-export');
  assert.match(svg, new RegExp(`id="defs-${STABLE_PLOT_ID}"`));
});

test('a page whose plotly script is missing renders no traces (the render check can fail)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-report-'));
  const file = path.join(dir, 'broken.html');
  fs.writeFileSync(file, '<!doctype html><html><body><div id="figure"></div><script src="missing-plotly.js"></script><script>try { Plotly.newPlot("figure", [{ y: [1, 2] }]); } catch (e) {}</script></body></html>');
  const dom = renderedDom(pathToFileURL(file).href);
  assert.equal((dom.match(/<g class="trace scatter/g) ?? []).length, 0);
});

test('Student t: quantiles and CDF agree with the t table', () => {
  // Two-sided 95% critical values (any t table) and one 99.5% value; |error| < 5e-6.
  const table: [number, number, number][] = [[0.975, 1, 12.7062], [0.975, 2, 4.30265], [0.975, 4, 2.77645], [0.975, 9, 2.26216], [0.975, 30, 2.04227], [0.995, 5, 4.03214]];
  for (const [p, df, t] of table) assert.ok(Math.abs(tQuantile(p, df) - t) < 5e-5, `t(${p}, ${df}) = ${tQuantile(p, df)}, table ${t}`);
  assert.ok(Math.abs(tQuantile(0.025, 4) + 2.77645) < 5e-5, 'lower quantiles are the negated upper ones');
  // df = 2 has a closed form: F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
  for (const t of [-3, -0.5, 0, 0.7, 4.2]) assert.ok(Math.abs(tCdf(t, 2) - (0.5 + t / (2 * Math.sqrt(2 + t * t)))) < 1e-12);
  // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t) / pi.
  for (const t of [-10, -1, 0.3, 2]) assert.ok(Math.abs(tCdf(t, 1) - (0.5 + Math.atan(t) / Math.PI)) < 1e-12);
  assert.throws(() => tQuantile(1, 3), /p must be in \(0, 1\)/);
  assert.throws(() => tCdf(1, 0), /degrees of freedom must be a finite number > 0/);
});

test('paired t-test: Student\'s sleep data (R: t.test(extra ~ group, data = sleep, paired = TRUE))', () => {
  const drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
  const r = pairedTTest(drug1, drug2);
  // R prints t = -4.0621, df = 9, p-value = 0.002833, 95 percent CI -2.4598858 -0.7001142, mean difference -1.58.
  assert.equal(r.n, 10);
  assert.ok(Math.abs(r.t! + 4.0621) < 5e-5, `t = ${r.t}`);
  assert.ok(Math.abs(r.p! - 0.002833) < 5e-7, `p = ${r.p}`);
  assert.ok(Math.abs(r.mean + 1.58) < 1e-12);
  assert.ok(Math.abs(r.ciLow! + 2.4598858) < 5e-7 && Math.abs(r.ciHigh! + 0.7001142) < 5e-7, `CI ${r.ciLow}, ${r.ciHigh}`);
  // Swapping the samples flips t and the interval, not p.
  const s = pairedTTest(drug2, drug1);
  assert.ok(Math.abs(s.t! - 4.0621) < 5e-5 && Math.abs(s.p! - r.p!) < 1e-15);
  // One pair: no spread, no test; equal differences: a certain difference.
  assert.deepEqual([pairedTTest([3], [1]).p, pairedTTest([3], [1]).ciLow, meanInterval([5]).ciHigh], [null, null, null]);
  assert.deepEqual([pairedTTest([3, 4], [1, 2]).p, pairedTTest([1, 2], [1, 2]).p], [0, 1]);
  assert.throws(() => pairedTTest([1, 2], [1]), /same length/);
});

test('aggregateSeeds ci95: mean ± t(0.975, n-1) sd / sqrt(n)', () => {
  const ci = aggregateSeeds(rows(), { by: ['task', 'method', 'x', 'beta'], spread: 'ci95' });
  const p = ci.find((q) => q.keys.task === 'task-a' && q.keys.method === 'APC' && q.keys.x === 4 && q.keys.beta === 0)!;
  // returns 45, 46, 47: mean 46, sd 1, half width 4.302653 / sqrt(3)
  assert.ok(Math.abs(p.mean - 46) < 1e-12);
  assert.ok(Math.abs(p.hi - 46 - 4.302653 / Math.sqrt(3)) < 1e-5 && Math.abs(46 - p.lo - 4.302653 / Math.sqrt(3)) < 1e-5);
});

test('lineGrid: a panel with one or two x values is points with error bars (no band, no line); panels in colOrder; the interval note in the title', () => {
  const points = aggregateSeeds(rows(), { by: ['task', 'method', 'x', 'beta'], spread: 'ci95' });
  const fig = lineGrid(points, {
    title: 'two x values', seriesOrder: ['BC', 'APC'], colOrder: ['task-b', 'task-a'], refLines: { 'task-a': { y: 60, label: 'Expert' } }, intervalNote: '95% CI of the mean',
    dash: { key: 'beta', styles: { '0': 'solid', '0.3': 'dash' }, label: (v) => `beta ${v}` },
  });
  const roles = fig.data.map((t) => (t.meta as { role: string }).role);
  assert.ok(!roles.includes('band'), 'no bands between two x values');
  const means = fig.data.filter((t) => (t.meta as { role: string }).role === 'mean');
  assert.equal(means.length, 8);
  for (const t of means) {
    assert.equal(t.mode, 'markers');
    const e = t.error_y as { array: number[]; arrayminus: number[] };
    assert.ok(e.array.length === 2 && e.array.every((h) => Math.abs(h - 4.302653 / Math.sqrt(3)) < 1e-5), 'bars are the 95% CI');
    // Dodged side by side around the measured x (at most 8% of the x span either side), measured x kept in customdata.
    const cd = t.customdata as [number, number][];
    assert.deepEqual(cd.map((c) => c[1]), [1, 4]);
    (t.x as number[]).forEach((x, i) => assert.ok(x !== cd[i][1] && Math.abs(x - cd[i][1]) <= 0.08 * (4 - 1) + 1e-9, `dodged x ${x} near ${cd[i][1]}`));
  }
  // Different series at one x never share a position.
  const atOne = means.filter((t) => t.xaxis === 'x').map((t) => (t.x as number[])[0]);
  assert.equal(new Set(atOne).size, atOne.length);
  const ann = (fig.layout.annotations as { text: string }[]).map((a) => a.text);
  assert.deepEqual(ann.slice(0, 2), ['<b>task-b</b>', '<b>task-a</b>'], 'panels in colOrder');
  assert.match(String((fig.layout.title as { text: string }).text), /<sup>95% CI of the mean<\/sup>$/);
  assert.deepEqual(fig.data.map((t) => t.uid), fig.data.map((_, i) => `t${i}`), 'fixed trace uids');
  // Three x values: curves with bands.
  const curves = lineGrid(aggregateSeeds(curveRows(), { by: ['task', 'method', 'x'], spread: 'ci95' }), { title: 'curves' });
  assert.ok(curves.data.some((t) => (t.meta as { role: string }).role === 'band'));
  assert.ok(curves.data.filter((t) => (t.meta as { role: string }).role === 'mean').every((t) => t.mode === 'lines+markers'));
});

test('stableSvgIds replaces Plotly\'s random plot id where it is glued to a name, not inside numbers', () => {
  const svg = '<svg><defs id="defs-1a2b3c"><clipPath id="clip1a2b3cxyplot"/></defs><g clip-path="url(#clip1a2b3cxy)"><path d="M1a2b3c"/><text>v 11a2b3c4</text></g></svg>';
  const out = stableSvgIds(svg);
  assert.equal(out, `<svg><defs id="defs-${STABLE_PLOT_ID}"><clipPath id="clip${STABLE_PLOT_ID}xyplot"/></defs><g clip-path="url(#clip${STABLE_PLOT_ID}xy)"><path d="M${STABLE_PLOT_ID}"/><text>v 11a2b3c4</text></g></svg>`);
  assert.equal(stableSvgIds('<svg/>'), '<svg/>');
});

/** A Figure 5-like plan over synthetic rows: DAgger + APC = DAgger + (1, 2, 3) on seeds 0, 1, 2. Test data, not results. */
function daggerPlan(grid: Record<string, unknown>[]): FigurePlan {
  return {
    id: 'fig5-dagger', profile: 'paper', title: 't', paperClaim: 'c', substitutions: [], scale: {}, grid: grid as FigurePlan['grid'],
    plot: { xTitle: 'steps', yTitle: 'return', xLog: false, rowKey: null, expertLine: true, higherIsBetter: true, dash: { key: 'beta', styles: { '0': 'solid', '0.3': 'dash' }, prefix: 'beta' } },
  };
}

test('figureSummary: points with t CIs, paired comparisons over shared seeds, the protocol and the expert sha256', () => {
  const experts = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-experts-'));
  const dir = path.join(experts, 'task-a', 'expert');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'manifest.json'), '{"config":{"torso":[8,8]}}');
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from([1, 2, 3, 4]));
  const sha = createHash('sha256').update(fs.readFileSync(path.join(dir, 'manifest.json'))).update(fs.readFileSync(path.join(dir, 'weights.bin'))).digest('hex');
  const rowsOut: ResultRow[] = [];
  const grid: Record<string, unknown>[] = [];
  for (const task of ['task-b', 'task-a'])
    for (const method of ['bc', 'apc'])
      for (const beta of [0, 0.3])
        for (const seed of [0, 1, 2]) {
          grid.push({ figure: 'fig5-dagger', kind: 'dagger', task, method, beta, seed, evalEpisodes: 150, evalNoise: 0.2, ...(task === 'task-b' ? { expertSha256: 'ab'.repeat(32) } : {}) });
          if (task === 'task-a' && method === 'apc' && beta === 0.3 && seed === 2) continue; // a missing cell: n counts shared seeds
          for (const x of [100, 200]) {
            const base = 10 * seed + x / 10 + beta;
            rowsOut.push({ figure: 'fig5-dagger', task, method: method === 'bc' ? 'DAgger' : 'DAgger + APC', beta, x, seed, return: method === 'apc' ? base + seed + 1 : base, expertReturn: task === 'task-a' ? 51 : 70 });
          }
        }
  const old = process.env.APC_EXPERTS_DIR;
  process.env.APC_EXPERTS_DIR = experts;
  let s;
  try {
    s = figureSummary(daggerPlan(grid), rowsOut);
  } finally {
    if (old === undefined) delete process.env.APC_EXPERTS_DIR;
    else process.env.APC_EXPERTS_DIR = old;
  }
  assert.deepEqual(s.protocol, {
    evalEpisodes: 150, evalNoise: 0.2, seeds: [0, 1, 2],
    experts: { 'task-b': { checkpoint: 'expert', sha256: 'ab'.repeat(32), return: 70 }, 'task-a': { checkpoint: 'expert', sha256: sha, return: 51 } },
  });
  assert.deepEqual(Object.keys(s.protocol.experts), ['task-b', 'task-a'], 'tasks in the plan\'s (panel) order');
  const p = s.points.find((q) => q.task === 'task-a' && q.method === 'DAgger' && q.x === 200 && q.beta === 0)!;
  // returns 20, 30, 40: mean 30, sd 10, CI 30 ± 4.302653 * 10 / sqrt(3)
  assert.equal(p.n, 3);
  assert.ok(Math.abs(p.mean - 30) < 1e-12 && Math.abs(p.ciHigh! - 30 - 43.02653 / Math.sqrt(3)) < 1e-4);
  assert.equal(s.points.length, 2 * 2 * 2 * 2);
  const c = s.comparisons.find((q) => q.task === 'task-a' && q.beta === 0 && q.x === 100)!;
  // differences 1, 2, 3: mean 2, t = 2 sqrt(3), df 2: two-sided p = 1 - t / sqrt(2 + t^2)
  const t = 2 * Math.sqrt(3);
  assert.deepEqual([c.a, c.b, c.n, c.headline], ['DAgger + APC', 'DAgger', 3, true]);
  assert.ok(Math.abs(c.meanDiff - 2) < 1e-12 && Math.abs(c.p! - (1 - t / Math.sqrt(2 + t * t))) < 1e-12, `p = ${c.p}`);
  const missing = s.comparisons.find((q) => q.task === 'task-a' && q.beta === 0.3 && q.x === 100)!;
  assert.equal(missing.n, 2, 'only seeds measured for both methods are paired');
  assert.equal(s.comparisons.length, 2 * 2 * 2);
  assert.equal(summaryJson(s), summaryJson(JSON.parse(summaryJson(s))), 'plain JSON');
  const words = statsMarkdown(s);
  assert.match(words, /This run \(profile `paper`; seeds 0, 1, 2\)/);
  assert.match(words, /\*\*task-a, beta 0\*\*, DAgger \+ APC vs DAgger: not significant at 100 \(\+2\.00, p = 0\.074\), 200 \(\+2\.00, p = 0\.074\) env steps; n = 3 seeds\./);
  assert.match(words, /The paper's claim \(DAgger \+ APC above DAgger\): this scale cannot tell at 100, 200 env steps\./);
  // Two rows for one seed and point cannot be summarised.
  assert.throws(() => figureSummary(daggerPlan(grid), [...rowsOut, rowsOut[0]]), /two rows for seed 0/);
});

test('the comparisons of Figures 2-6 are the paper\'s: APC vs BC and Naive ABC, DAgger + APC vs DAgger, kickstarting + APC vs kickstarting and 2 lambda', () => {
  for (const id of ['fig2-offline', 'fig3-compression', 'fig4-privileged'] as const) {
    assert.deepEqual(COMPARISONS[id].filter((c) => c.headline).map((c) => `${c.a} vs ${c.b}`), ['APC vs BC', 'APC vs Naive ABC']);
  }
  assert.deepEqual(COMPARISONS['fig5-dagger'].filter((c) => c.headline).map((c) => `${c.a} vs ${c.b}`), ['DAgger + APC vs DAgger']);
  assert.deepEqual(COMPARISONS['fig6-kickstart'].filter((c) => c.headline).map((c) => c.b), ['Kickstarting', 'Kickstarting (2 lambda)']);
});

test('committed figure summaries: one per figure, each what the committed result cells give', () => {
  const dir = path.join(packageRoot(), 'figures');
  for (const id of FIGURE_IDS) {
    const file = path.join(dir, `${id}.summary.json`);
    assert.ok(fs.existsSync(file), `${file} exists`);
    const plan = figurePlan(id, 'paper');
    const cache = new ResultCache(resultsRoot('paper'));
    // A plan still being computed is drawn from its stored cells; the summary says how many (its coverage).
    const stored = loadStoredCells<ResultRow>(plan.grid, cache);
    assert.ok(stored.stored > 0, `${id}: none of its ${plan.grid.length} paper cells is computed: npm run sweep -- --figure ${id}, then npm run figures`);
    const expected = summaryJson(figureSummary(plan, stored.rows, { coverage: coverageOf(stored) }));
    assert.equal(fs.readFileSync(file, 'utf8'), expected, `${id}.summary.json is stale: run npm run figures`);
  }
});

test('the README\'s results table is what npm run results-table generates from figures/*.summary.json', () => {
  const readme = fs.readFileSync(path.join(packageRoot(), 'README.md'), 'utf8');
  const summaries = loadSummaries();
  assert.equal(summaries.length, FIGURE_IDS.length);
  const block = resultsBlock(summaries);
  assert.equal(readmeBlock(readme), block, 'README results table differs from the summaries: run npm run results-table');
  // Every headline comparison of every summary has its row.
  for (const s of summaries) for (const c of s.comparisons.filter((q) => q.headline)) assert.ok(block.includes(`| ${s.figure} | ${c.task}`), `${s.figure} ${c.task} in the table`);
  // The check can fail: a changed p-value changes the block.
  const edited = JSON.parse(JSON.stringify(summaries)) as typeof summaries;
  edited[1].comparisons[0].p = 0.5;
  assert.notEqual(resultsBlock(edited), block);
  assert.equal(withResultsBlock(`a\n${RESULTS_BEGIN}\nold\n${RESULTS_END}\nb`, 'NEW'), 'a\nNEW\nb');
  assert.throws(() => readmeBlock('no markers'), /has no results block/);
});

test('committed notebooks: no execution timestamps, each figure stored as image/png beside its HTML, words from the summary', () => {
  const dir = path.join(packageRoot(), 'notebooks');
  for (const f of fs.readdirSync(dir).filter((n) => /^0.*\.ipynb$/.test(n))) {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { cells: { metadata?: Record<string, unknown>; outputs?: { data?: Record<string, unknown> }[] }[] };
    assert.ok(nb.cells.every((c) => !(c.metadata && 'execution' in c.metadata)), `${f} holds no execution timestamps`);
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []).map((o) => o.data ?? {});
    if (f === '00-tour.ipynb') {
      // The tutorial draws from live data, not from a figure's cells: its pictures are PNG, and it has no summary.
      assert.ok(outputs.filter((d) => typeof d['image/png'] === 'string').length >= 4, `${f} stores its pictures as image/png`);
      continue;
    }
    const figures = outputs.filter((d) => /<svg/.test([d['text/html'] ?? ''].flat().join('')));
    assert.equal(figures.length, 1, `${f} shows its figure once`);
    assert.ok(typeof figures[0]['image/png'] === 'string' && Buffer.from(String(figures[0]['image/png']), 'base64').subarray(1, 4).toString() === 'PNG', `${f}: the figure's output holds image/png too`);
    const md = outputs.map((d) => [d['text/markdown'] ?? ''].flat().join('')).join('\n');
    assert.match(md, /This run \(profile `paper`; seeds [\d, ]+\):\* each point is the mean over seeds with a 95% confidence interval/, `${f} says what its stats support`);
    assert.doesNotMatch(md, /best first/, `${f}: no ranking without a test`);
  }
});

test('the quick profile keeps its result cells where git ignores them, apart from the paper\'s', () => {
  const old = process.env.APC_RESULTS_DIR;
  delete process.env.APC_RESULTS_DIR;
  try {
    assert.equal(resultsRoot('paper'), path.join(packageRoot(), 'data', 'results'));
    assert.equal(resultsRoot('quick'), path.join(packageRoot(), 'data', 'results-quick'));
    for (const p of [path.join('data', 'results-quick', 'fig2-offline', 'x.json'), path.join('figures', 'quick', 'fig2-offline.summary.json')]) {
      // git check-ignore exits 0 (and prints the path) when the path is ignored.
      assert.equal(execFileSync('git', ['check-ignore', p], { cwd: packageRoot(), encoding: 'utf8' }).trim(), p);
    }
  } finally {
    if (old !== undefined) process.env.APC_RESULTS_DIR = old;
  }
});

test('compute table: a full-profile cell costs its paper counterpart times the ratio of updates or environment steps', () => {
  const measured = [
    { config: { figure: 'f', kind: 'offline', task: 'a', method: 'apc', trainSteps: 1000 }, wallSeconds: 100 },
    { config: { figure: 'f', kind: 'offline', task: 'a', method: 'apc', trainSteps: 1000 }, wallSeconds: 300 },
    { config: { figure: 'f', kind: 'offline', task: 'b', method: 'bc', trainSteps: 2000 }, wallSeconds: 40 },
  ];
  assert.equal(estimateSeconds({ figure: 'f', kind: 'offline', task: 'a', method: 'apc', trainSteps: 5000 }, measured), 1000);
  // no counterpart on this task: the same method on another task, else the figure's mean
  assert.equal(estimateSeconds({ figure: 'f', kind: 'offline', task: 'c', method: 'bc', trainSteps: 4000 }, measured), 80);
  assert.equal(estimateSeconds({ figure: 'f', kind: 'offline', task: 'c', method: 'naive-abc', trainSteps: 1000 }, measured), (100 + 300 + 20) / 3);
  assert.equal(estimateSeconds({ figure: 'f', kind: 'offline', task: 'a', method: 'apc', trainSteps: 1 }, []), null);
  assert.equal(cellWork({ figure: 'f', kind: 'dagger', envSteps: 2e6 }), 2e6);
  assert.equal(hoursOn(16, 32, 1), 2);
  assert.equal(hoursOn(64, 32, 1), 1);
});

test('the full profile plans the paper\'s ranges: 1 to 1000 trajectories and 5 seeds, DAgger and kickstarting to 2M steps on Run and Walls', () => {
  assert.equal(parseProfile('full'), 'full');
  const f2 = figurePlan('fig2-offline', 'full');
  assert.deepEqual([...new Set(f2.grid.map((c) => c.trajectories))].sort((a, b) => Number(a) - Number(b)), [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
  assert.deepEqual([...new Set(f2.grid.map((c) => c.seed))], [0, 1, 2, 3, 4]);
  assert.ok(f2.grid.every((c) => c.evalEpisodes === 150));
  const f3 = figurePlan('fig3-compression', 'full');
  assert.deepEqual([...new Set(f3.grid.map((c) => c.trajectories))], [1, 5, 20, 50]);
  assert.equal(new Set(f3.grid.map((c) => JSON.stringify(c.studentTorso))).size, 4);
  const f4 = figurePlan('fig4-privileged', 'full');
  assert.deepEqual([...new Set(f4.grid.map((c) => c.trajectories))], [1, 2, 5, 10, 20, 50]);
  for (const id of ['fig5-dagger', 'fig6-kickstart'] as const) {
    const p = figurePlan(id, 'full');
    assert.ok(p.grid.every((c) => c.envSteps === 2_000_000 && c.evalEpisodes === 150), `${id}: 2M steps, 150 episodes`);
    assert.deepEqual([...new Set(p.grid.map((c) => c.task))], ['humanoid-run', 'humanoid-walls'], `${id} on Run and Walls`);
  }
  const f6 = figurePlan('fig6-kickstart', 'full');
  assert.deepEqual([...new Set(f6.grid.map((c) => `${c.method}/${c.lambda}`))], ['rl/0', 'bc/1', 'bc/2', 'apc/1']);
  assert.equal(f6.grid.length, 2 * 4 * 5);
  // the paper profile is unchanged by the full one: Figure 5 and 6 on humanoid-run only
  assert.deepEqual([...new Set(figurePlan('fig6-kickstart', 'paper').grid.map((c) => c.task))], ['humanoid-run']);
});

test('the README\'s compute table is what npm run compute-table generates from the stored cells', () => {
  const readme = fs.readFileSync(path.join(packageRoot(), 'README.md'), 'utf8');
  assert.equal(readmeComputeBlock(readme), computeBlock(computeRows()), 'README compute table is stale: run npm run compute-table');
});

test('the paper\'s claim per comparison: holds where significant its way, contradicted where significant the other way, else this scale cannot tell', () => {
  const c = (x: number, meanDiff: number, p: number | null) => ({ task: 't', x, a: 'APC', b: 'BC', headline: true, n: 3, meanDiff, ciLow: 0, ciHigh: 0, p });
  const g = { a: 'APC', b: 'BC', items: [c(1, 5, 0.01), c(2, -5, 0.02), c(5, 3, 0.4), c(10, 1, null)] };
  assert.equal(claimVerdict(g, true, 'trajectories'), "The paper's claim (APC above BC): holds at 1 trajectories; is contradicted at 2 trajectories; this scale cannot tell at 5, 10 trajectories.");
  // lower is better (the toy's error): a negative difference is the claimed direction
  assert.equal(claimVerdict(g, false, 'states'), "The paper's claim (APC below BC): holds at 2 states; is contradicted at 1 states; this scale cannot tell at 5, 10 states.");
});
