/**
 * Plotly figure builders for the paper's figures: a grid of panels (rows x columns, e.g. methods x tasks),
 * each with mean curves and shaded bands across seeds, optional solid/dashed line styles (Figure 5: DAgger
 * beta 0 solid, beta 0.3 dashed) and horizontal reference lines (the expert's return). Lines join measured
 * points only: a panel with one or two x values, and a series with one or two points, is drawn as points with
 * error bars (side by side), never as a line. A note under the panels says what the bands and bars are.
 * Every trace carries a fixed `uid` so that the exported SVG is the same from run to run.
 * A figure is plain JSON ({ data, layout }) so that it can be stored, exported and checked.
 */
import type { AggregatePoint } from './frame';
import { STRATEGY_LABELS } from '../cloning/labels';

/** A Plotly figure as plain JSON: traces (`data`) and `layout`. */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** Plotly's line dash names used here. */
export type Dash = 'solid' | 'dash' | 'dot' | 'dashdot';

/** Options of `lineGrid`. */
export interface LineGridOptions {
  title: string;
  /** Key of AggregatePoint.keys giving the x value. Default 'x'. */
  xKey: string;
  /** Key splitting curves within a panel (one legend entry per value). Default 'method'. */
  seriesKey: string;
  /** Key choosing the panel column. Default 'task'. */
  colKey: string;
  /** Key choosing the panel row; null = a single row. Default null. */
  rowKey: string | null;
  /** Key choosing the line dash, with the dash of each value (e.g. beta: { 0: 'solid', 0.3: 'dash' }). */
  dash?: {
    /** The key whose value picks the dash. */
    key: string;
    /** The dash of each value. */
    styles: Record<string, Dash>;
    /** The legend's words for a value. */
    label: (value: string) => string;
  };
  xTitle: string;
  yTitle: string;
  xLog: boolean;
  /** Legend order and colours of series values; unknown values get the next palette colour. */
  seriesOrder: string[];
  /** Order of the row panels (values not listed follow in order of appearance). Default none. */
  rowOrder?: string[];
  /** Order of the column panels, e.g. the tasks as the title lists them (values not listed follow). Default none. */
  colOrder?: string[];
  /** What the bands and error bars are, written under the panels (e.g. "95% CI of the mean over seeds"). */
  intervalNote?: string;
  colors: Record<string, string>;
  /** Horizontal reference lines per panel column value (e.g. the expert's mean return). */
  refLines: Record<string, { y: number; label: string }>;
  /** Pixel size of the exported figure. Defaults: 380 per column + 80, 300 per row + 120. */
  width?: number;
  height?: number;
}

/** Colours of the three methods, kept across figures (other series cycle through PALETTE). */
export const METHOD_COLORS: Record<string, string> = { [STRATEGY_LABELS.bc]: '#1f77b4', [STRATEGY_LABELS['naive-abc']]: '#ff7f0e', [STRATEGY_LABELS.apc]: '#2ca02c', Expert: '#444444' };
/** Colours given in turn to series without a colour of their own. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** Words of `text` joined into lines of at most `width` characters (a longer word gets a line of its own), by <br>. */
function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  for (const w of text.split(' ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && `${last} ${w}`.length <= width) lines[lines.length - 1] = `${last} ${w}`;
    else lines.push(w);
  }
  return lines.join('<br>');
}

/** A grid of line plots with error bands from aggregated points. */
export function lineGrid(points: AggregatePoint[], options: Partial<LineGridOptions> & { title: string }): PlotlyFigure {
  const o: LineGridOptions = {
    xKey: 'x', seriesKey: 'method', colKey: 'task', rowKey: null, xTitle: 'x', yTitle: 'return', xLog: false,
    seriesOrder: [], colors: METHOD_COLORS, refLines: {}, ...options,
  };
  if (points.length === 0) throw new RangeError('points must not be empty (no results to draw)');
  for (const k of [o.xKey, o.seriesKey, o.colKey, ...(o.rowKey ? [o.rowKey] : []), ...(o.dash ? [o.dash.key] : [])]) {
    if (!(k in points[0].keys)) throw new RangeError(`key '${k}' is not a grouping key of the points; keys: ${Object.keys(points[0].keys).join(', ')}`);
  }
  const colsSeen = uniq(points.map((p) => String(p.keys[o.colKey])));
  const cols = [...(o.colOrder ?? []).filter((c) => colsSeen.includes(c)), ...colsSeen.filter((c) => !(o.colOrder ?? []).includes(c))];
  const rowsSeen = o.rowKey ? uniq(points.map((p) => String(p.keys[o.rowKey!]))) : [''];
  const rows = [...(o.rowOrder ?? []).filter((r) => rowsSeen.includes(r)), ...rowsSeen.filter((r) => !(o.rowOrder ?? []).includes(r))];
  const seriesSeen = uniq(points.map((p) => String(p.keys[o.seriesKey])));
  const series = [...o.seriesOrder.filter((s) => seriesSeen.includes(s)), ...seriesSeen.filter((s) => !o.seriesOrder.includes(s))];
  const dashValues = o.dash ? uniq(points.map((p) => String(p.keys[o.dash!.key]))) : [''];
  // Points drawn without a line mark their dash value by their symbol instead.
  const symbols = ['circle', 'diamond-open', 'square', 'triangle-up-open'];
  const symbol = (dv: string) => symbols[Math.max(0, dashValues.indexOf(dv)) % symbols.length];
  const color = (s: string, i: number) => o.colors[s] ?? PALETTE[i % PALETTE.length];

  const data: Record<string, unknown>[] = [];
  const width = o.width ?? 380 * cols.length + 80;
  // The interval note goes under the title in small type, wrapped to the figure's width (~6.5 px a character).
  const title = o.intervalNote ? `${o.title}<br><sup>${wrapWords(o.intervalNote, Math.max(40, Math.floor(width / 6.5)))}</sup>` : o.title;
  // Titles wrap with <br> (~18 px a line): the top margin grows with them, the title hangs from the top edge.
  const titleLines = (title.match(/<br>/g) ?? []).length + 1;
  const height = o.height ?? 300 * rows.length + 150 + 18 * titleLines;
  const layout: Record<string, unknown> = {
    title: { text: title, font: { size: 14 }, yref: 'container', y: 1 - 14 / height, yanchor: 'top' },
    width,
    height,
    plot_bgcolor: 'white',
    legend: { orientation: 'h', y: -0.3 / rows.length, yanchor: 'top' },
    // Room for every title line (titles wrap with <br>).
    margin: { t: 40 + 18 * titleLines, l: 70, r: 20, b: 120 },
    annotations: [] as Record<string, unknown>[],
  };
  const uid = () => `t${data.length}`;
  const gap = 0.08;
  const cw = (1 - gap * (cols.length - 1)) / cols.length;
  const rh = (1 - gap * 1.5 * (rows.length - 1)) / rows.length;
  const shownInLegend = new Set<string>();
  rows.forEach((rowVal, r) => {
    cols.forEach((colVal, c) => {
      const k = r * cols.length + c + 1;
      const xa = k === 1 ? 'xaxis' : `xaxis${k}`;
      const ya = k === 1 ? 'yaxis' : `yaxis${k}`;
      const x0 = c * (cw + gap);
      const y1 = 1 - r * (rh + gap * 1.5);
      const inPanel = points.filter((p) => String(p.keys[o.colKey]) === colVal && (!o.rowKey || String(p.keys[o.rowKey]) === rowVal));
      // One x value in the panel (e.g. a single dataset size): a dot plot, one category per series, with error bars.
      const xValues = uniq(inPanel.map((p) => String(p.keys[o.xKey])));
      const singleX = xValues.length === 1;
      // One or two x values: points with error bars, never a line between them (lines join measured curves only).
      const pointsOnly = xValues.length <= 2;
      const panelSeries = series.flatMap((s) => dashValues.map((dv) => ({ s, dv })))
        .filter(({ s, dv }) => inPanel.some((p) => String(p.keys[o.seriesKey]) === s && (!o.dash || String(p.keys[o.dash.key]) === dv)));
      const numericX = xValues.map(Number);
      const xSpan = Math.max(...numericX) - Math.min(...numericX);
      /** Series side by side around their measured x: a fraction of a decade (log axes) or of the x span. */
      const dodge = (x: number, slot: number) => {
        const off = (slot - (panelSeries.length - 1) / 2) * (0.16 / Math.max(1, panelSeries.length - 1));
        return o.xLog ? x * 10 ** (off * 0.5) : x + off * (xSpan > 0 ? xSpan : Math.max(1, Math.abs(x)));
      };
      const xTitle = singleX ? `${o.xTitle}: ${xValues[0]}` : o.xTitle;
      layout[xa] = { domain: [x0, x0 + cw], anchor: `y${k}`, type: singleX ? 'category' : o.xLog ? 'log' : 'linear', ...(singleX ? { showticklabels: false } : pointsOnly ? { tickvals: numericX, ticktext: xValues } : {}), title: { text: r === rows.length - 1 ? xTitle : '' }, showgrid: true, gridcolor: '#eee', linecolor: '#888' };
      layout[ya] = { domain: [y1 - rh, y1], anchor: `x${k}`, title: { text: c === 0 ? (rows.length > 1 ? `${rowVal}<br>${o.yTitle}` : o.yTitle) : '' }, showgrid: true, gridcolor: '#eee', linecolor: '#888' };
      (layout.annotations as Record<string, unknown>[]).push({ text: `<b>${colVal}</b>`, x: x0 + cw / 2, y: y1, xref: 'paper', yref: 'paper', xanchor: 'center', yanchor: 'bottom', showarrow: false });
      const axes = { xaxis: `x${k === 1 ? '' : k}`, yaxis: `y${k === 1 ? '' : k}` };
      const categories: string[] = [];
      series.forEach((s, si) => {
        dashValues.forEach((dv) => {
          const pts = inPanel
            .filter((p) => String(p.keys[o.seriesKey]) === s && (!o.dash || String(p.keys[o.dash.key]) === dv))
            .sort((a, b) => Number(a.keys[o.xKey]) - Number(b.keys[o.xKey]));
          if (pts.length === 0) return;
          const name = o.dash ? `${s} (${o.dash.label(dv)})` : s;
          const slot = panelSeries.findIndex((q) => q.s === s && q.dv === dv);
          if (singleX) {
            const p = pts[0];
            categories.push(name);
            data.push({
              type: 'scatter', uid: uid(), mode: 'markers', ...axes, x: [name], y: [p.mean], name, legendgroup: name, showlegend: !shownInLegend.has(name),
              marker: { size: 9, color: color(s, si) }, error_y: { type: 'data', symmetric: false, array: [p.hi - p.mean], arrayminus: [p.mean - p.lo], color: color(s, si) },
              customdata: [p.n], hovertemplate: `${name}: %{y:.1f} (n=%{customdata})<extra></extra>`, meta: { role: 'mean', series: s },
            });
            shownInLegend.add(name);
            return;
          }
          const xs = pts.map((p) => Number(p.keys[o.xKey]));
          if (pointsOnly || pts.length <= 2) {
            data.push({
              type: 'scatter', uid: uid(), mode: 'markers', ...axes, x: xs.map((x) => dodge(x, slot)), y: pts.map((p) => p.mean), name, legendgroup: name,
              showlegend: !shownInLegend.has(name), marker: { size: 8, color: color(s, si), symbol: symbol(dv) },
              error_y: { type: 'data', symmetric: false, array: pts.map((p) => p.hi - p.mean), arrayminus: pts.map((p) => p.mean - p.lo), color: color(s, si), thickness: 1.5, width: 4 },
              customdata: pts.map((p) => [p.n, Number(p.keys[o.xKey])]), hovertemplate: `${name}<br>%{customdata[1]}: %{y:.1f} (n=%{customdata[0]})<extra></extra>`,
              meta: { role: 'mean', series: s },
            });
            shownInLegend.add(name);
            return;
          }
          data.push({
            type: 'scatter', uid: uid(), mode: 'lines', ...axes, x: [...xs, ...[...xs].reverse()], y: [...pts.map((p) => p.hi), ...pts.map((p) => p.lo).reverse()],
            fill: 'toself', fillcolor: rgba(color(s, si), 0.18), line: { width: 0, color: color(s, si) }, hoverinfo: 'skip', showlegend: false, legendgroup: name, name: `${name} band`, meta: { role: 'band', series: s },
          });
          data.push({
            type: 'scatter', uid: uid(), mode: 'lines+markers', ...axes, x: xs, y: pts.map((p) => p.mean), name, legendgroup: name,
            showlegend: !shownInLegend.has(name), line: { color: color(s, si), width: 2, dash: o.dash ? o.dash.styles[dv] ?? 'solid' : 'solid' }, marker: { size: 5 },
            customdata: pts.map((p) => p.n), hovertemplate: `${name}<br>%{x}: %{y:.1f} (n=%{customdata})<extra></extra>`, meta: { role: 'mean', series: s },
          });
          shownInLegend.add(name);
        });
      });
      const ref = o.refLines[colVal];
      if (ref) {
        const xs = inPanel.map((p) => Number(p.keys[o.xKey]));
        const [xMin, xMax] = pointsOnly ? [dodge(Math.min(...xs), 0), dodge(Math.max(...xs), panelSeries.length - 1)] : [Math.min(...xs), Math.max(...xs)];
        data.push({
          type: 'scatter', uid: uid(), mode: 'lines', ...axes, x: singleX ? [categories[0], categories[categories.length - 1]] : [xMin, xMax], y: [ref.y, ref.y], name: ref.label, legendgroup: ref.label,
          showlegend: !shownInLegend.has(ref.label), line: { color: o.colors[ref.label] ?? '#444444', width: 1.5, dash: 'dot' }, meta: { role: 'reference', series: ref.label },
        });
        shownInLegend.add(ref.label);
      }
    });
  });
  return { data, layout };
}

/** Legend entries of a figure (names of traces shown in the legend). */
export function legendNames(figure: PlotlyFigure): string[] {
  return uniq(figure.data.filter((t) => t.showlegend !== false && typeof t.name === 'string').map((t) => t.name as string));
}
