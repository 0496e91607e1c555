/**
 * From a figure plan's stored rows to the drawn figure and to words: mean ± std across seeds per curve point
 * (Danfo), a grid of panels (rows x tasks) with the expert's return as a dotted line, and a plain-language
 * comparison of the methods at each x, for the notebooks' "what this run shows" cell.
 */
import type { ResultRow } from '../experiments/cache';
import { groupKeys, METHOD_ORDER, type FigurePlan } from '../experiments/figures';
import { aggregateSeeds, type AggregatePoint, type Spread } from './frame';
import { lineGrid, type PlotlyFigure } from './figure';

/** Aggregate a plan's rows across seeds. */
export function aggregatePlan(plan: FigurePlan, rows: ResultRow[], spread: Spread = 'std'): AggregatePoint[] {
  const suffix = plan.plot.seriesSuffix;
  const key = plan.plot.seriesKey ?? 'method';
  // Series labels with their suffix (Figure 3: "128x32 (r=0.33)"), so the legend carries it.
  const labelled = suffix
    ? rows.map((r) => (typeof r[suffix.key] === 'number' ? { ...r, [key]: `${r[key]} (${suffix.prefix}${(r[suffix.key] as number).toFixed(2)})` } : r))
    : rows;
  return aggregateSeeds(labelled, { by: groupKeys(plan), value: 'return', spread });
}

/** Mean expert return per task from the rows' `expertReturn` column (absent: no line). */
export function expertLines(rows: ResultRow[]): Record<string, { y: number; label: string }> {
  const byTask = new Map<string, number[]>();
  for (const r of rows) {
    if (typeof r.expertReturn !== 'number') continue;
    byTask.set(r.task, [...(byTask.get(r.task) ?? []), r.expertReturn]);
  }
  return Object.fromEntries([...byTask].map(([t, ys]) => [t, { y: ys.reduce((a, b) => a + b, 0) / ys.length, label: 'Expert' }]));
}

/** Distinct labels ordered by the number in their "(r=0.33)"-style suffix. */
function bySuffix(labels: string[]): string[] {
  const num = (l: string) => Number(/\(\w+=([\d.]+)\)$/.exec(l)?.[1] ?? Infinity);
  return [...new Set(labels)].sort((a, b) => num(a) - num(b));
}

/** The plan's figure from aggregated points (and the rows, for the expert line). */
export function drawPlan(plan: FigurePlan, points: AggregatePoint[], rows: ResultRow[]): PlotlyFigure {
  const dash = plan.plot.dash;
  return lineGrid(points, {
    title: plan.title,
    xTitle: plan.plot.xTitle,
    yTitle: plan.plot.yTitle,
    xLog: plan.plot.xLog,
    rowKey: plan.plot.rowKey,
    ...(plan.plot.seriesKey ? { seriesKey: plan.plot.seriesKey } : {}),
    // Methods in the paper's order; suffixed series (students with r) by their number, smallest first.
    seriesOrder: plan.plot.seriesSuffix ? bySuffix(points.map((p) => String(p.keys[plan.plot.seriesKey ?? 'method']))) : METHOD_ORDER,
    rowOrder: METHOD_ORDER,
    refLines: plan.plot.expertLine ? expertLines(rows) : {},
    dash: dash ? { key: dash.key, styles: dash.styles, label: (v) => `${dash.prefix} ${v}` } : undefined,
  });
}

/** Three significant digits, no exponent for returns in the hundreds. */
function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/**
 * One line per (panel, x): the methods ranked by mean, best first, with their spread, e.g.
 * "cheetah-run, x=2: APC 310.2 [290.1, 330.3] > BC 120.4 [...] (n=3 seeds)" (' < ' where lower is better).
 */
export function describePoints(plan: FigurePlan, points: AggregatePoint[]): string[] {
  const other = groupKeys(plan).filter((k) => k !== 'method');
  const groups = new Map<string, AggregatePoint[]>();
  for (const p of points) {
    const k = other.map((c) => `${c === 'task' ? '' : `${c}=`}${p.keys[c]}`).join(', ');
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  return [...groups].map(([k, ps]) => {
    const ranked = [...ps].sort((a, b) => (plan.plot.higherIsBetter ? b.mean - a.mean : a.mean - b.mean));
    const n = Math.min(...ps.map((p) => p.n));
    return `${k}: ${ranked.map((p) => `${p.keys.method} ${fmt(p.mean)} [${fmt(p.lo)}, ${fmt(p.hi)}]`).join(plan.plot.higherIsBetter ? ' > ' : ' < ')} (n=${n} seed${n === 1 ? '' : 's'})`;
  });
}

/** Markdown describing what a plan will compute (title, claim, substitutions, scale). */
export function planMarkdown(plan: FigurePlan): string {
  const lines = [
    `**${plan.title.replace(/<br><sup>/g, ' — <sup>').replace(/<br>/g, ' ').replace(/<\/?sup>/g, '')}**`,
    '',
    `*Paper:* ${plan.paperClaim}`,
    '',
    `*Scale (profile \`${plan.profile}\`):* ${Object.entries(plan.scale).map(([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.join(', ')}]` : v}`).join('; ')}; ${plan.grid.length} cells.`,
  ];
  if (plan.substitutions.length > 0) {
    lines.push('', '**Task substitution** (the figure title says so too):', ...plan.substitutions.map((s) => `- ${s}`));
  }
  return lines.join('\n');
}

/** Markdown of what this run measured: per panel and x, methods ranked by mean with their spread. */
export function runMarkdown(plan: FigurePlan, points: AggregatePoint[]): string {
  return [
    `*This run (profile \`${plan.profile}\`; ${plan.plot.yTitle}, mean [mean - std, mean + std] across seeds; best first):*`,
    '',
    ...describePoints(plan, points).map((l) => `- ${l}`),
  ].join('\n');
}
