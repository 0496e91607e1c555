/**
 * src/report: Danfo aggregation golden values, the figure builder's traces and line styles, and export -
 * the HTML page is loaded in headless Chromium and the plot must actually render (traces in the DOM).
 * Needs the Debian package `chromium` (scripts/setup-jupyter.sh); without it these tests FAIL, they do not skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { aggregateSeeds, lineGrid, legendNames, publishFigure, readFigureHtml, renderedDom, chromiumPath, type PlotlyFigure } from '../src/report';
import type { ResultRow } from '../src/experiments';

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

function figure(): PlotlyFigure {
  const points = aggregateSeeds(rows(), { by: ['task', 'method', 'x', 'beta'] });
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
});

test('a page whose plotly script is missing renders no traces (the render check can fail)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-report-'));
  const file = path.join(dir, 'broken.html');
  fs.writeFileSync(file, '<!doctype html><html><body><div id="figure"></div><script src="missing-plotly.js"></script><script>try { Plotly.newPlot("figure", [{ y: [1, 2] }]); } catch (e) {}</script></body></html>');
  const dom = renderedDom(pathToFileURL(file).href);
  assert.equal((dom.match(/<g class="trace scatter/g) ?? []).length, 0);
});
