/**
 * From a figure plan's stored rows to the drawn figure: the mean and 95% CI over seeds per point (Danfo), a grid
 * of panels (rows x tasks, in the title's task order) with the expert's return as a dotted line, published with
 * the figure's summary (summary.ts), whose paired tests give the notebooks' "what this run shows" words.
 */
import type { ResultRow } from '../experiments/cache';
import { groupKeys, METHOD_ORDER, type FigurePlan } from '../experiments/figures';
import { aggregateSeeds, SPREAD_NAMES, type AggregatePoint, type Spread } from './frame';
import { lineGrid, type PlotlyFigure } from './figure';
import { publishFigure, type PublishedFigure } from './export';
import { coverageOf, figureSummary, INTERVAL_NOTE, writeSummary, type Coverage, type FigureSummary } from './summary';
import type { StoredCells } from '../experiments/sweep';

/** A series label's number: integers as they are (Figure 3's r = 65536), others with two decimals. */
function suffixNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** Aggregate a plan's rows across seeds. */
export function aggregatePlan(plan: FigurePlan, rows: ResultRow[], spread: Spread = 'ci95'): AggregatePoint[] {
  const suffix = plan.plot.seriesSuffix;
  const key = plan.plot.seriesKey ?? 'method';
  // Series labels with their suffix (Figure 3: "256x64 (r=1024)"), so the legend carries it.
  const labelled = suffix
    ? rows.map((r) => (typeof r[suffix.key] === 'number' ? { ...r, [key]: `${r[key]} (${suffix.prefix}${suffixNumber(r[suffix.key] as number)})` } : r))
    : rows;
  return aggregateSeeds(labelled, { by: groupKeys(plan), value: 'return', spread });
}

/**
 * Mean expert return per task from the rows' `expertReturn` column (absent: no line). Labelled 'Expert', or
 * 'Teacher (half expert)' where every row of the task names the `half` checkpoint (Figure 6's kickstarting teacher).
 */
export function expertLines(rows: ResultRow[]): Record<string, { y: number; label: string }> {
  const byTask = new Map<string, { ys: number[]; half: boolean }>();
  for (const r of rows) {
    if (typeof r.expertReturn !== 'number') continue;
    const e = byTask.get(r.task) ?? { ys: [], half: true };
    byTask.set(r.task, { ys: [...e.ys, r.expertReturn], half: e.half && r.expertCheckpoint === 'half' });
  }
  return Object.fromEntries([...byTask].map(([t, { ys, half }]) => [t, { y: ys.reduce((a, b) => a + b, 0) / ys.length, label: half ? 'Teacher (half expert)' : 'Expert' }]));
}

/** Distinct labels ordered by the number in their "(r=0.33)"-style suffix. */
function bySuffix(labels: string[]): string[] {
  const num = (l: string) => Number(/\(\w+=([\d.]+)\)$/.exec(l)?.[1] ?? Infinity);
  return [...new Set(labels)].sort((a, b) => num(a) - num(b));
}

/** The plan's figure from aggregated points (and the rows, for the expert line). */
export function drawPlan(plan: FigurePlan, points: AggregatePoint[], rows: ResultRow[], spread: Spread = 'ci95'): PlotlyFigure {
  const dash = plan.plot.dash;
  const taskOrder = [...new Set(plan.grid.map((c) => c.task).filter((t): t is string => typeof t === 'string'))];
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
    // Panels in the order the title lists the tasks.
    colOrder: taskOrder,
    intervalNote: `Bands and error bars: ${SPREAD_NAMES[spread]}; n per point in the hover text and ${plan.id}.summary.json`,
    refLines: plan.plot.expertLine ? expertLines(rows) : {},
    dash: dash ? { key: dash.key, styles: dash.styles, label: (v) => `${dash.prefix} ${v}` } : undefined,
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

/** `title` with a last small line saying how many of the plan's cells are stored. */
export function coverageTitle(title: string, coverage: Coverage): string {
  const line = `${coverage.stored} of ${coverage.planned} planned cells computed so far (the rest: npm run sweep)`;
  return title.endsWith('</sup>') ? `${title.slice(0, -'</sup>'.length)}<br>${line}</sup>` : `${title}<br><sup>${line}</sup>`;
}

/** A published figure with its summary (figures/<figure-id>.summary.json beside the PNG). */
export interface PublishedPlan extends PublishedFigure {
  summary: FigureSummary;
  summaryFile: string;
}

/**
 * Draw a plan from its stored rows (means with 95% CIs over seeds), write its HTML, PNG and SVG, and its summary
 * beside them (dir default: figuresDir(plan.profile)).
 */
export function publishPlan(plan: FigurePlan, rows: ResultRow[], options: { dir?: string; caption?: string; stored?: StoredCells<ResultRow> } = {}): PublishedPlan {
  const coverage = options.stored ? coverageOf(options.stored) : undefined;
  // A plan not yet computed in full says so in its title: how many of its cells the figure draws.
  const drawn = coverage && coverage.stored < coverage.planned ? { ...plan, title: coverageTitle(plan.title, coverage) } : plan;
  const figure = drawPlan(drawn, aggregatePlan(plan, rows), rows);
  const caption = options.caption ?? `${plan.paperClaim} Profile ${plan.profile}; ${rows.length} result rows${coverage && coverage.stored < coverage.planned ? ` (${coverage.stored} of ${coverage.planned} planned cells stored)` : ''}. Bands and error bars: ${INTERVAL_NOTE}.`;
  const published = publishFigure(figure, plan.id, { profile: plan.profile, caption, ...(options.dir ? { dir: options.dir } : {}) });
  const summary = figureSummary(plan, rows, coverage ? { coverage } : {});
  const summaryPath = writeSummary(summary, options.dir);
  return { ...published, summary, summaryFile: summaryPath };
}
