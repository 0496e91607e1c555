/**
 * Plotly figure builders for the paper's figures: a grid of panels (rows x columns, e.g. methods x tasks),
 * each with mean curves and shaded bands across seeds, optional solid/dashed line styles (Figure 5: DAgger
 * beta 0 solid, beta 0.3 dashed) and horizontal reference lines (the expert's return).
 * A figure is plain JSON ({ data, layout }) so that it can be stored, exported and checked.
 */
import type { AggregatePoint } from './frame';

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** Plotly's line dash names used here. */
export type Dash = 'solid' | 'dash' | 'dot' | 'dashdot';

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
  dash?: { key: string; styles: Record<string, Dash>; label: (value: string) => string };
  xTitle: string;
  yTitle: string;
  xLog: boolean;
  /** Legend order and colours of series values; unknown values get the next palette colour. */
  seriesOrder: string[];
  /** Order of the row panels (values not listed follow in order of appearance). Default none. */
  rowOrder?: string[];
  colors: Record<string, string>;
  /** Horizontal reference lines per panel column value (e.g. the expert's mean return). */
  refLines: Record<string, { y: number; label: string }>;
  /** Pixel size of the exported figure. Defaults: 380 per column + 80, 300 per row + 120. */
  width?: number;
  height?: number;
}

/** Colours of the three methods, kept across figures (other series cycle through PALETTE). */
export const METHOD_COLORS: Record<string, string> = { BC: '#1f77b4', 'Naive ABC': '#ff7f0e', APC: '#2ca02c', Expert: '#444444' };
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function rgba(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
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
  const cols = uniq(points.map((p) => String(p.keys[o.colKey])));
  const rowsSeen = o.rowKey ? uniq(points.map((p) => String(p.keys[o.rowKey!]))) : [''];
  const rows = [...(o.rowOrder ?? []).filter((r) => rowsSeen.includes(r)), ...rowsSeen.filter((r) => !(o.rowOrder ?? []).includes(r))];
  const seriesSeen = uniq(points.map((p) => String(p.keys[o.seriesKey])));
  const series = [...o.seriesOrder.filter((s) => seriesSeen.includes(s)), ...seriesSeen.filter((s) => !o.seriesOrder.includes(s))];
  const dashValues = o.dash ? uniq(points.map((p) => String(p.keys[o.dash!.key]))) : [''];
  const color = (s: string, i: number) => o.colors[s] ?? PALETTE[i % PALETTE.length];

  const data: Record<string, unknown>[] = [];
  // Titles wrap with <br> (~18 px a line): the top margin grows with them, the title hangs from the top edge.
  const titleLines = (o.title.match(/<br>/g) ?? []).length + 1;
  const height = o.height ?? 300 * rows.length + 150 + 18 * titleLines;
  const layout: Record<string, unknown> = {
    title: { text: o.title, font: { size: 14 }, yref: 'container', y: 1 - 14 / height, yanchor: 'top' },
    width: o.width ?? 380 * cols.length + 80,
    height,
    plot_bgcolor: 'white',
    legend: { orientation: 'h', y: -0.3 / rows.length, yanchor: 'top' },
    // Room for every title line (titles wrap with <br>).
    margin: { t: 40 + 18 * titleLines, l: 70, r: 20, b: 120 },
    annotations: [] as Record<string, unknown>[],
  };
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
      const xTitle = singleX ? `${o.xTitle}: ${xValues[0]}` : o.xTitle;
      layout[xa] = { domain: [x0, x0 + cw], anchor: `y${k}`, type: singleX ? 'category' : o.xLog ? 'log' : 'linear', ...(singleX ? { showticklabels: false } : {}), title: { text: r === rows.length - 1 ? xTitle : '' }, showgrid: true, gridcolor: '#eee', linecolor: '#888' };
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
          if (singleX) {
            const p = pts[0];
            categories.push(name);
            data.push({
              type: 'scatter', mode: 'markers', ...axes, x: [name], y: [p.mean], name, legendgroup: name, showlegend: !shownInLegend.has(name),
              marker: { size: 9, color: color(s, si) }, error_y: { type: 'data', symmetric: false, array: [p.hi - p.mean], arrayminus: [p.mean - p.lo], color: color(s, si) },
              customdata: [p.n], hovertemplate: `${name}: %{y:.1f} (n=%{customdata})<extra></extra>`, meta: { role: 'mean', series: s },
            });
            shownInLegend.add(name);
            return;
          }
          const xs = pts.map((p) => Number(p.keys[o.xKey]));
          data.push({
            type: 'scatter', mode: 'lines', ...axes, x: [...xs, ...[...xs].reverse()], y: [...pts.map((p) => p.hi), ...pts.map((p) => p.lo).reverse()],
            fill: 'toself', fillcolor: rgba(color(s, si), 0.18), line: { width: 0, color: color(s, si) }, hoverinfo: 'skip', showlegend: false, legendgroup: name, name: `${name} band`, meta: { role: 'band', series: s },
          });
          data.push({
            type: 'scatter', mode: pts.length === 1 ? 'markers' : 'lines+markers', ...axes, x: xs, y: pts.map((p) => p.mean), name, legendgroup: name,
            showlegend: !shownInLegend.has(name), line: { color: color(s, si), width: 2, dash: o.dash ? o.dash.styles[dv] ?? 'solid' : 'solid' }, marker: { size: 5 },
            customdata: pts.map((p) => p.n), hovertemplate: `${name}<br>%{x}: %{y:.1f} (n=%{customdata})<extra></extra>`, meta: { role: 'mean', series: s },
          });
          shownInLegend.add(name);
        });
      });
      const ref = o.refLines[colVal];
      if (ref) {
        const xs = inPanel.map((p) => Number(p.keys[o.xKey]));
        data.push({
          type: 'scatter', mode: 'lines', ...axes, x: singleX ? [categories[0], categories[categories.length - 1]] : [Math.min(...xs), Math.max(...xs)], y: [ref.y, ref.y], name: ref.label, legendgroup: ref.label,
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
