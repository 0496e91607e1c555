/**
 * A figure's statistics, written beside its PNG as figures/<figure-id>.summary.json so that a claim can be checked
 * without running a notebook: per task, method and x (and student / beta / lambda where the figure has them) the
 * mean over seeds with its 95% t confidence interval and n; and the paper's comparisons as paired two-sided
 * t-tests over seeds (methods share seeds, datasets and evaluation starts). `statsMarkdown` turns a summary into the
 * notebooks' "what this run shows" words, stating only what these tests support.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CellConfig, ResultRow } from '../experiments/cache';
import type { FigureId, FigurePlan } from '../experiments/figures';
import { expertsRoot } from '../util/paths';
import { figuresDir, writeFileAtomic } from '../experiments/paths';
import { checkpointSha256 } from '../util/experts';
import { meanInterval, pairedTTest } from './stats';
import { DAGGER_LABELS, KICKSTART_LABELS, STRATEGY_LABELS, kickstartLabel, methodName } from '../cloning/labels';

/** The significance level the words use. */
export const ALPHA = 0.05;
/** What the intervals are (written on the figures and in the summaries). */
export const INTERVAL_NOTE = '95% CI of the mean over seeds (t distribution)';
/** What the comparisons' tests are (written in the summaries). */
export const TEST_NOTE = 'paired two-sided t-test over seeds (same seeds, datasets and evaluation starts), no correction for multiple comparisons';

/** The legend label of Figure 6's control arm, kickstarting with twice the cloning weight. */
export const KICKSTART_2_LAMBDA = kickstartLabel('bc', 2);

/** One comparison: a against b (meanDiff = a - b); headline ones go into the README's results table. */
export interface ComparisonSpec {
  a: string;
  b: string;
  headline: boolean;
}

const L = STRATEGY_LABELS;
const CLONING_COMPARISONS: ComparisonSpec[] = [{ a: L.apc, b: L.bc, headline: true }, { a: L.apc, b: L['naive-abc'], headline: true }];

/** The comparisons of each figure, by legend label; a pair is tested where both methods were measured. */
export const COMPARISONS: Record<FigureId, ComparisonSpec[]> = {
  'fig1-toy': CLONING_COMPARISONS,
  'fig2-offline': CLONING_COMPARISONS,
  'fig3-compression': CLONING_COMPARISONS,
  'fig4-privileged': [
    ...CLONING_COMPARISONS,
    { a: methodName('apc', 1), b: methodName('bc', 1), headline: false },
    { a: methodName('apc', 1), b: methodName('naive-abc', 1), headline: false },
  ],
  'fig5-dagger': [{ a: DAGGER_LABELS.apc, b: DAGGER_LABELS.bc, headline: true }],
  'fig6-kickstart': [
    { a: KICKSTART_LABELS.apc, b: KICKSTART_LABELS.bc, headline: true },
    { a: KICKSTART_LABELS.apc, b: KICKSTART_2_LAMBDA, headline: true },
    { a: KICKSTART_LABELS.bc, b: KICKSTART_LABELS.rl, headline: false },
  ],
};

/** Extra point fields of a figure beyond task, method and x. */
const EXTRA_FIELDS: Partial<Record<FigureId, ('student' | 'beta' | 'lambda')[]>> = {
  'fig3-compression': ['student'],
  'fig5-dagger': ['beta'],
  'fig6-kickstart': ['lambda'],
};

/** How the x axis is named in words. */
const X_UNITS: Record<FigureId, string> = {
  'fig1-toy': 'recorded states', 'fig2-offline': 'trajectories', 'fig3-compression': 'trajectories', 'fig4-privileged': 'trajectories',
  'fig5-dagger': 'env steps', 'fig6-kickstart': 'env steps',
};

/** One point of a figure: mean over seeds with its 95% CI and n. */
export interface SummaryPoint {
  task: string;
  method: string;
  x: number;
  /** Figure 3: the student's torso ("256x64") and r = product of the expert's torso widths / product of the student's. */
  student?: string;
  r?: number;
  /** Figure 5: the expert's share of acting. */
  beta?: number;
  /** Figure 6: the cloning weight (0 for RL only). */
  lambda?: number;
  n: number;
  mean: number;
  /** null with fewer than 2 seeds. */
  ciLow: number | null;
  ciHigh: number | null;
}

/** A paired comparison of methods a and b at one x: mean difference, CI and p-value. */
export interface SummaryComparison {
  task: string;
  x: number;
  student?: string;
  r?: number;
  beta?: number;
  a: string;
  b: string;
  headline: boolean;
  /** Seeds measured for both methods. */
  n: number;
  /** Mean over seeds of a - b, with its 95% CI. */
  meanDiff: number;
  ciLow: number | null;
  ciHigh: number | null;
  /** Two-sided paired t-test; null with fewer than 2 paired seeds. */
  p: number | null;
}

/** The expert a figure compares with: checkpoint, sha256 and return. */
export interface ExpertProtocol {
  checkpoint: string;
  sha256: string | null;
  /** Mean of the rows' expertReturn (the figure's expert line); null when the rows carry none. */
  return: number | null;
}

/** A figure's statistics as stored beside it (`<figure>.summary.json`). */
export interface FigureSummary {
  figure: string;
  profile: string;
  protocol: {
    evalEpisodes: number | number[] | null;
    evalNoise: number | number[] | null;
    seeds: number[];
    experts: Record<string, ExpertProtocol>;
  };
  interval: string;
  test: string;
  /** Whether a larger value is better (return) or worse (Figure 1's error). */
  higherIsBetter: boolean;
  xUnit: string;
  points: SummaryPoint[];
  comparisons: SummaryComparison[];
  /**
   * How much of the plan is stored: planned and stored cells, the missing ones per task, method and x (with their
   * count), and the stored offline cells that stopped at their budget with validation still improving (their points
   * are lower bounds of what more updates would give). Absent when the caller did not say (every row stored).
   */
  coverage?: Coverage;
}

/** One group of cells (per task, method and x) of a coverage entry, with the seeds it holds. */
export interface CoverageGroup { task: string; method: string; x: number | null; cells: number; seeds: number[] }

/** See FigureSummary.coverage. */
export interface Coverage {
  planned: number;
  stored: number;
  missing: CoverageGroup[];
  endedImproving: CoverageGroup[];
}

/** Cells grouped by task, method and x (trajectories, or the online figures' environment steps), seeds listed. */
export function coverageGroups(cells: readonly CellConfig[]): CoverageGroup[] {
  const groups = new Map<string, CoverageGroup>();
  for (const c of cells) {
    const xv = typeof c.trajectories === 'number' ? c.trajectories : typeof c.envSteps === 'number' ? c.envSteps : null;
    const label = c.kind === 'offline' || c.kind === 'select' ? methodName(c.method as Parameters<typeof methodName>[0], typeof c.imageShift === 'number' ? c.imageShift : 0) : String(c.method ?? '');
    const key = JSON.stringify([c.task, label, xv]);
    const g = groups.get(key) ?? { task: String(c.task ?? ''), method: label, x: xv, cells: 0, seeds: [] };
    g.cells++;
    if (typeof c.seed === 'number' && !g.seeds.includes(c.seed)) g.seeds.push(c.seed);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ ...g, seeds: g.seeds.sort((a, b) => a - b) }));
}

/** The coverage entry of a plan's stored cells (sweep.ts loadStoredCells). */
export function coverageOf(stored: { planned: number; stored: number; missing: CellConfig[]; endedImproving: CellConfig[] }): Coverage {
  return { planned: stored.planned, stored: stored.stored, missing: coverageGroups(stored.missing), endedImproving: coverageGroups(stored.endedImproving) };
}

function product(widths: number[]): number {
  return widths.reduce((a, b) => a * b, 1);
}

/** Torso widths of a task's expert checkpoint (its manifest's config.torso); null when unknown. */
function expertTorso(task: string, checkpoint: string): number[] | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(expertsRoot(), task, checkpoint, 'manifest.json'), 'utf8'));
    const torso = m.config?.torso;
    return Array.isArray(torso) && torso.every((w: unknown) => typeof w === 'number') ? torso : null;
  } catch {
    return null;
  }
}

function uniqueValues<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function oneOrMany(xs: unknown[]): number | number[] | null {
  const v = uniqueValues(xs.filter((x): x is number => typeof x === 'number')).sort((a, b) => a - b);
  return v.length === 0 ? null : v.length === 1 ? v[0] : v;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`result rows must hold a finite number ${what}, got ${JSON.stringify(v)}`);
  return v;
}

/** Students by r, largest first (the smallest student first), then by name. */
function studentOrder(p: { student?: string; r?: number }, q: { student?: string; r?: number }): number {
  if (p.r !== undefined && q.r !== undefined && p.r !== q.r) return q.r - p.r;
  return String(p.student ?? '').localeCompare(String(q.student ?? ''));
}

/** Options of `figureSummary`. */
export interface SummaryOptions {
  /** The comparisons tested (default COMPARISONS[plan.id]). */
  comparisons: ComparisonSpec[];
  /** The plan's coverage (stored / planned cells), written into the summary. */
  coverage: Coverage;
}

/** The summary of a plan's stored rows (points, comparisons and the protocol that produced them). */
export function figureSummary(plan: FigurePlan, rows: ResultRow[], options: Partial<SummaryOptions> = {}): FigureSummary {
  if (rows.length === 0) throw new RangeError(`${plan.id}: rows must not be empty (nothing to summarise)`);
  const extras = EXTRA_FIELDS[plan.id] ?? [];
  const specs = options.comparisons ?? COMPARISONS[plan.id];
  const checkpointOf = (c: CellConfig) => (typeof c.expertCheckpoint === 'string' ? c.expertCheckpoint : 'expert');

  // Experts: every task drawn, in the grid's (= the title's and panels') order.
  const tasks = uniqueValues(rows.map((r) => r.task));
  const gridTasks = uniqueValues(plan.grid.map((c) => c.task).filter((t): t is string => typeof t === 'string'));
  const experts: Record<string, ExpertProtocol> = {};
  for (const task of [...gridTasks.filter((t) => tasks.includes(t)), ...tasks.filter((t) => !gridTasks.includes(t))]) {
    const cells = plan.grid.filter((c) => c.task === task);
    if (cells.length === 0) continue; // Figure 1's toy: no expert checkpoint
    const checkpoint = uniqueValues(cells.map(checkpointOf)).join('+');
    const planned = uniqueValues(cells.map((c) => c.expertSha256).filter((s): s is string => typeof s === 'string'));
    const sha256 = planned.length === 1 ? planned[0] : planned.length > 1 ? planned.join('+') : fs.existsSync(path.join(expertsRoot(), task, checkpoint)) ? checkpointSha256(path.join(expertsRoot(), task, checkpoint)) : null;
    const returns = rows.filter((r) => r.task === task && typeof r.expertReturn === 'number').map((r) => r.expertReturn as number);
    experts[task] = { checkpoint, sha256, return: returns.length > 0 ? returns.reduce((a, b) => a + b, 0) / returns.length : null };
  }
  const taskOrder = [...Object.keys(experts), ...tasks.filter((t) => !(t in experts))];

  const rOf = (task: string, student: string): number | undefined => {
    const torso = expertTorso(task, experts[task]?.checkpoint ?? 'expert');
    const widths = student.split('x').map(Number);
    return torso && widths.every((w) => w > 0) ? product(torso) / product(widths) : undefined;
  };
  const lambdaOf = (r: ResultRow): number => (r.method === KICKSTART_LABELS.rl ? 0 : num(r.lambda, 'lambda'));
  const extraOf = (r: ResultRow): Partial<SummaryPoint> => {
    const e: Partial<SummaryPoint> = {};
    if (extras.includes('student')) {
      e.student = String(r.student);
      const r0 = typeof r.r === 'number' ? r.r : rOf(r.task, e.student);
      if (r0 !== undefined) e.r = r0;
    }
    if (extras.includes('beta')) e.beta = num(r.beta, 'beta');
    if (extras.includes('lambda')) e.lambda = lambdaOf(r);
    return e;
  };

  // Points: rows grouped by task, method, x and the figure's extra fields.
  type Group = { key: Omit<SummaryPoint, 'n' | 'mean' | 'ciLow' | 'ciHigh'>; seeds: Map<number, number> };
  const groups = new Map<string, Group>();
  for (const r of rows) {
    const key = { task: r.task, method: r.method, x: num(r.x, 'x'), ...extraOf(r) };
    const id = JSON.stringify(key);
    const g = groups.get(id) ?? { key, seeds: new Map<number, number>() };
    if (g.seeds.has(r.seed)) throw new Error(`${plan.id}: two rows for seed ${r.seed} at ${id}; the summary needs one value per seed`);
    g.seeds.set(r.seed, num(r.return, 'return'));
    groups.set(id, g);
  }
  const methodRank = (m: string) => {
    const i = [...specs.flatMap((s) => [s.a, s.b])].indexOf(m);
    return i < 0 ? 1000 : i;
  };
  const ordered = [...groups.values()].sort((p, q) =>
    taskOrder.indexOf(p.key.task) - taskOrder.indexOf(q.key.task) || studentOrder(p.key, q.key) ||
    (p.key.beta ?? 0) - (q.key.beta ?? 0) ||
    methodRank(p.key.method) - methodRank(q.key.method) || p.key.method.localeCompare(q.key.method) ||
    (p.key.lambda ?? 0) - (q.key.lambda ?? 0) || p.key.x - q.key.x);
  const points: SummaryPoint[] = ordered.map((g) => {
    const m = meanInterval([...g.seeds.keys()].sort((a, b) => a - b).map((s) => g.seeds.get(s)!));
    return { ...g.key, n: m.n, mean: m.mean, ciLow: m.ciLow, ciHigh: m.ciHigh };
  });

  // Comparisons: per task, x (and student / beta), a against b over the seeds both were measured on.
  const pairKey = (g: Group) => JSON.stringify([g.key.task, g.key.x, g.key.student ?? null, g.key.beta ?? null]);
  const comparisons: SummaryComparison[] = [];
  const cells = uniqueValues(ordered.map(pairKey));
  for (const spec of specs) {
    for (const cell of cells) {
      const a = ordered.filter((g) => pairKey(g) === cell && g.key.method === spec.a);
      const b = ordered.filter((g) => pairKey(g) === cell && g.key.method === spec.b);
      if (a.length === 0 || b.length === 0) continue;
      if (a.length > 1 || b.length > 1) throw new Error(`${plan.id}: ${spec.a} or ${spec.b} has more than one point at ${cell}`);
      const seeds = [...a[0].seeds.keys()].filter((s) => b[0].seeds.has(s)).sort((x, y) => x - y);
      if (seeds.length === 0) continue;
      const t = pairedTTest(seeds.map((s) => a[0].seeds.get(s)!), seeds.map((s) => b[0].seeds.get(s)!));
      const k = a[0].key;
      comparisons.push({
        task: k.task, x: k.x, ...(k.student !== undefined ? { student: k.student } : {}), ...(k.r !== undefined ? { r: k.r } : {}), ...(k.beta !== undefined ? { beta: k.beta } : {}),
        a: spec.a, b: spec.b, headline: spec.headline, n: t.n, meanDiff: t.mean, ciLow: t.ciLow, ciHigh: t.ciHigh, p: t.p,
      });
    }
  }
  comparisons.sort((p, q) => taskOrder.indexOf(p.task) - taskOrder.indexOf(q.task) || studentOrder(p, q) ||
    (p.beta ?? 0) - (q.beta ?? 0) || specs.findIndex((s) => s.a === p.a && s.b === p.b) - specs.findIndex((s) => s.a === q.a && s.b === q.b) || p.x - q.x);

  return {
    figure: plan.id,
    profile: plan.profile,
    protocol: {
      evalEpisodes: oneOrMany(plan.grid.map((c) => c.evalEpisodes)),
      evalNoise: oneOrMany(plan.grid.map((c) => c.evalNoise)),
      seeds: uniqueValues(plan.grid.map((c) => c.seed).filter((s): s is number => typeof s === 'number')).sort((a, b) => a - b),
      experts,
    },
    interval: INTERVAL_NOTE,
    test: TEST_NOTE,
    higherIsBetter: plan.plot.higherIsBetter,
    xUnit: X_UNITS[plan.id],
    points,
    comparisons,
    ...(options.coverage ? { coverage: options.coverage } : {}),
  };
}

/** Where a figure's summary is written: <figures dir of the profile>/<figure-id>.summary.json. */
export function summaryFile(figure: string, profile: string, dir: string = figuresDir(profile)): string {
  return path.join(dir, `${figure}.summary.json`);
}

/** The summary as stored: 2-space JSON with a final newline (the same bytes for the same rows). */
export function summaryJson(summary: FigureSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/** Write the summary beside its figure (`summaryFile`); returns the file. */
export function writeSummary(summary: FigureSummary, dir?: string): string {
  const file = summaryFile(summary.figure, summary.profile, dir);
  writeFileAtomic(file, summaryJson(summary));
  return file;
}

/** Read a summary file; the error names the file and the missing field. */
export function readSummary(file: string): FigureSummary {
  const s = JSON.parse(fs.readFileSync(file, 'utf8')) as FigureSummary;
  for (const k of ['figure', 'profile', 'protocol', 'points', 'comparisons'] as const) {
    if (!(k in s)) throw new Error(`${file} is not a figure summary: no '${k}'`);
  }
  return s;
}

/** An x value in words: integers as they are, thousands of steps as "41k". */
export function fmtX(v: number): string {
  const a = Math.abs(v);
  if (!Number.isInteger(v)) return fmtNumber(v);
  if (a < 1000) return String(v);
  if (a >= 10000) return `${Math.round(v / 1000)}k`;
  return v % 1000 === 0 ? `${v / 1000}k` : `${(v / 1000).toPrecision(2)}k`;
}

/** A measured value in words: 3 significant digits (no decimals from 100 up). */
export function fmtNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a === 0) return '0';
  if (a < 0.01) return v.toExponential(1);
  return v.toPrecision(3);
}

/** A signed measured value in words: +, − or ± then `fmtNumber` of its size. */
export function fmtSigned(v: number): string {
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${fmtNumber(Math.abs(v))}`;
}

/** A p-value in words: n/a, < 0.001, or 2-3 significant digits. */
export function fmtP(p: number | null): string {
  if (p === null) return 'n/a';
  if (p < 0.001) return '< 0.001';
  return p < 0.01 ? p.toFixed(3) : p.toPrecision(2);
}

/**
 * What the paper claims for a comparison (a better than b: higher return, or lower error where lower is better)
 * against this run: where it holds (significant in the claimed direction), where it is contradicted (significant
 * the other way) and where this scale cannot tell (not significant, or fewer than 2 seeds).
 */
export function claimVerdict(g: { a: string; b: string; items: SummaryComparison[] }, higherIsBetter: boolean, unit: string): string {
  const better = (c: SummaryComparison) => (higherIsBetter ? c.meanDiff > 0 : c.meanDiff < 0);
  const sig = (c: SummaryComparison) => c.p !== null && c.p < ALPHA && c.meanDiff !== 0;
  const list = (cs: SummaryComparison[]) => cs.map((c) => fmtX(c.x)).join(', ');
  const holds = g.items.filter((c) => sig(c) && better(c));
  const against = g.items.filter((c) => sig(c) && !better(c));
  const unclear = g.items.filter((c) => !sig(c));
  const parts = [
    ...(holds.length > 0 ? [`holds at ${list(holds)} ${unit}`] : []),
    ...(against.length > 0 ? [`is contradicted at ${list(against)} ${unit}`] : []),
    ...(unclear.length > 0 ? [`this scale cannot tell at ${list(unclear)} ${unit}`] : []),
  ];
  return `The paper's claim (${g.a} ${higherIsBetter ? 'above' : 'below'} ${g.b}): ${parts.join('; ')}.`;
}

/** The label of a comparison's panel: task, and the student / beta where the figure has them. */
export function comparisonPanel(c: { task: string; student?: string; r?: number; beta?: number }): string {
  return [c.task, ...(c.student !== undefined ? [`student ${c.student}${c.r !== undefined ? ` (r = ${Number.isInteger(c.r) ? c.r : fmtNumber(c.r)})` : ''}`] : []), ...(c.beta !== undefined ? [`beta ${c.beta}`] : [])].join(', ');
}

/** Group comparisons by panel and pair, in order. */
export function comparisonGroups(comparisons: SummaryComparison[]): { panel: string; a: string; b: string; headline: boolean; items: SummaryComparison[] }[] {
  const out: { panel: string; a: string; b: string; headline: boolean; items: SummaryComparison[] }[] = [];
  for (const c of comparisons) {
    const panel = comparisonPanel(c);
    let g = out.find((q) => q.panel === panel && q.a === c.a && q.b === c.b);
    if (!g) out.push((g = { panel, a: c.a, b: c.b, headline: c.headline, items: [] }));
    g.items.push(c);
  }
  return out;
}

/**
 * The "what this run shows" words of a summary: per panel and comparison, where the paired test puts a above or
 * below b at the 5% level and where the difference is not significant, with the mean difference, p and n.
 */
export function statsMarkdown(summary: FigureSummary): string {
  const unit = summary.xUnit;
  const lines = [
    `*This run (profile \`${summary.profile}\`; seeds ${summary.protocol.seeds.join(', ')}):* each point is the mean over seeds with a 95% confidence interval (t distribution); ` +
      `differences a − b are tested by a ${TEST_NOTE}, at the ${ALPHA * 100}% level. ` +
      `${summary.higherIsBetter ? '' : 'Lower is better here (error). '}All numbers: \`figures/${summary.figure}.summary.json\`${summary.profile === 'paper' ? '' : ` (profile ${summary.profile}: under figures/${summary.profile}/)`}.`,
    '',
  ];
  if (summary.coverage) lines.push(...coverageMarkdown(summary.coverage, unit, summary.figure));
  for (const g of comparisonGroups(summary.comparisons)) {
    const ns = uniqueValues(g.items.map((c) => c.n));
    const testable = g.items.filter((c) => c.p !== null);
    const at = (c: SummaryComparison) => fmtX(c.x);
    const detail = (c: SummaryComparison) => `${fmtSigned(c.meanDiff)}, p ${c.p !== null && c.p < 0.001 ? '' : '= '}${fmtP(c.p)}`;
    const parts: string[] = [];
    const above = testable.filter((c) => c.p! < ALPHA && c.meanDiff > 0);
    const below = testable.filter((c) => c.p! < ALPHA && c.meanDiff < 0);
    const ns_ = testable.filter((c) => !(c.p! < ALPHA) || c.meanDiff === 0);
    if (above.length > 0) parts.push(`${g.a} above ${g.b} at ${above.map((c) => `${at(c)} (${detail(c)})`).join(', ')} ${unit}`);
    if (below.length > 0) parts.push(`${g.a} below ${g.b} at ${below.map((c) => `${at(c)} (${detail(c)})`).join(', ')} ${unit}`);
    if (ns_.length > 0) parts.push(`not significant at ${ns_.map((c) => `${at(c)} (${detail(c)})`).join(', ')} ${unit}`);
    const untestable = g.items.filter((c) => c.p === null);
    if (untestable.length > 0) parts.push(`not testable at ${untestable.map((c) => `${at(c)} (${fmtSigned(c.meanDiff)})`).join(', ')} ${unit} (fewer than 2 seeds)`);
    lines.push(`- **${g.panel}**, ${g.a} vs ${g.b}: ${parts.join('; ')}; n = ${ns.join('/')} seed${ns.length === 1 && ns[0] === 1 ? '' : 's'}. ${claimVerdict(g, summary.higherIsBetter, unit)}`);
  }
  if (summary.comparisons.length === 0) lines.push('- No pair of the figure\'s comparisons was measured on common seeds.');
  return lines.join('\n');
}

/** Groups listed per task and method: "task method at x1 (seeds), x2 (seeds)". */
function groupList(groups: CoverageGroup[], unit: string): string {
  const by = new Map<string, CoverageGroup[]>();
  for (const g of groups) by.set(`${g.task} ${g.method}`, [...(by.get(`${g.task} ${g.method}`) ?? []), g]);
  return [...by].map(([k, gs]) => `${k} at ${gs.sort((a, b) => (a.x ?? 0) - (b.x ?? 0)).map((g) => `${g.x === null ? '' : `${fmtX(g.x)} `}(${g.cells} cell${g.cells === 1 ? '' : 's'}, seeds ${g.seeds.join(',')})`).join(', ')}`).join('; ') + (unit ? ` (x in ${unit})` : '');
}

/** The notebook's words on how much of the plan is stored and which stored cells ended while still improving. */
export function coverageMarkdown(c: Coverage, unit: string, figure: string): string[] {
  const out: string[] = [];
  if (c.stored < c.planned) {
    out.push(`- **Not yet computed:** ${c.planned - c.stored} of the plan's ${c.planned} cells (${c.stored} stored); the figure and the tests below use the stored ones only. Missing: ${groupList(c.missing, unit)}. \`npm run sweep -- --figure ${figure}\` computes them (resumable).`);
  }
  if (c.endedImproving.length > 0) {
    const n = c.endedImproving.reduce((a, g) => a + g.cells, 0);
    out.push(`- **Budget:** ${n} of the ${c.stored} stored cells stopped at their update budget with validation still improving, so their points are lower bounds of what longer training gives: ${groupList(c.endedImproving, unit)}.`);
  }
  return out.length > 0 ? [...out, ''] : out;
}
