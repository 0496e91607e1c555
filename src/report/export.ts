/**
 * Figure export: interactive HTML (plotly.js referenced from node_modules by a relative path, or inlined) with
 * the figure's JSON embedded, and static PNG + SVG rendered by headless Debian Chromium running Plotly.toImage.
 * Chromium is found as $APC_CHROMIUM or `chromium` on PATH; without it export fails with a message naming it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { figuresDir, packageRoot, writeFileAtomic } from '../experiments/paths';
import type { PlotlyFigure } from './figure';

/** plotly.js-dist's bundle (resolved from this package). */
export function plotlyBundlePath(): string {
  return require.resolve('plotly.js-dist/plotly.js', { paths: [packageRoot()] });
}

/** JSON safe to place inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Options of `figureHtml` and `publishFigure`. */
export interface HtmlOptions {
  /** 'local': <script src> with a relative path to node_modules/plotly.js-dist (small files; needs the
   *  checkout's node_modules); 'inline': the 10 MB bundle inside the file (self-contained). Default 'local'. */
  plotly: 'local' | 'inline';
  /** Text shown under the plot (profile, seeds, provenance). Default ''. */
  caption: string;
  /** Extra JSON stored in the page next to the figure (e.g. the profile and the result keys). Default {}. */
  meta: Record<string, unknown>;
}

/** The figure's HTML page. `file` is where it will be written (for the relative plotly path). */
export function figureHtml(figure: PlotlyFigure, file: string, options: Partial<HtmlOptions> = {}): string {
  const o: HtmlOptions = { plotly: 'local', caption: '', meta: {}, ...options };
  if (o.plotly !== 'local' && o.plotly !== 'inline') throw new RangeError(`plotly must be 'local' or 'inline', got '${o.plotly}'`);
  const bundle = plotlyBundlePath();
  const plotlyTag =
    o.plotly === 'inline'
      ? `<script>${fs.readFileSync(bundle, 'utf8').replace(/<\/script/gi, '<\\/script')}</script>`
      : `<script src="${path.relative(path.dirname(path.resolve(file)), bundle).split(path.sep).join('/')}"></script>`;
  const title = String((figure.layout.title as { text?: string } | undefined)?.text ?? path.basename(file));
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title.replace(/<[^>]+>/g, ' '))}</title>
${plotlyTag}
</head><body style="font-family: sans-serif">
<div id="figure"></div>
<script type="application/json" id="figure-data">${scriptJson(figure)}</script>
<script type="application/json" id="figure-meta">${scriptJson(o.meta)}</script>
<script>
const fig = JSON.parse(document.getElementById('figure-data').textContent);
Plotly.newPlot('figure', fig.data, fig.layout, { responsive: true });
</script>
<p style="max-width: 60em; font-size: 13px">${escapeHtml(o.caption)}</p>
</body></html>
`;
}

/** The figure stored in an HTML page written by figureHtml. */
export function readFigureHtml(html: string): { figure: PlotlyFigure; meta: Record<string, unknown> } {
  const grab = (id: string) => {
    const m = html.match(new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`));
    if (!m) throw new Error(`no <script id="${id}"> in the page (not written by figureHtml?)`);
    return JSON.parse(m[1]);
  };
  return { figure: grab('figure-data'), meta: grab('figure-meta') };
}

/** Path of the Chromium binary; throws naming the Debian package when there is none. */
export function chromiumPath(): string {
  const candidates = [process.env.APC_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((c): c is string => !!c);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`headless Chromium not found (looked at ${candidates.join(', ')}); install the Debian package 'chromium' (apt-get install -y chromium) or set APC_CHROMIUM`);
}

/**
 * Load `url` in headless Chromium, let its scripts run for up to `budgetMs` of virtual time, and return the
 * serialised DOM. A fresh temporary profile each call; no network features.
 */
export function renderedDom(url: string, budgetMs = 20000): string {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-chromium-'));
  try {
    return execFileSync(
      chromiumPath(),
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--allow-file-access-from-files',
        `--user-data-dir=${profile}`, `--virtual-time-budget=${budgetMs}`, '--dump-dom', url,
      ],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** The fixed id that replaces Plotly's random per-plot id in exported SVGs. */
export const STABLE_PLOT_ID = 'apcfig';

/**
 * The SVG with Plotly's random per-plot id (6 hex digits, e.g. in id="defs-fcf578" and clip-path ids) replaced by
 * STABLE_PLOT_ID, so that the same figure exports to the same bytes (trace ids come from each trace's `uid`).
 */
export function stableSvgIds(svg: string): string {
  const m = /id="defs-([0-9a-f]{6})"/.exec(svg);
  if (!m) return svg;
  // Only where the id is glued to a name (clip…, defs-…, legend…), never inside numbers.
  return svg.replace(new RegExp(`(?<=[A-Za-z-])${m[1]}(?![0-9a-f])`, 'g'), STABLE_PLOT_ID);
}

/** Render the figure with Plotly.toImage in headless Chromium; returns PNG bytes and SVG text. */
export function renderStatic(figure: PlotlyFigure, scale = 2): { png: Buffer; svg: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apc-export-'));
  try {
    const page = path.join(dir, 'export.html');
    const width = Number(figure.layout.width ?? 800);
    const height = Number(figure.layout.height ?? 500);
    fs.writeFileSync(
      page,
      `<!doctype html><html><head><meta charset="utf-8"><script src="${pathToFileURL(plotlyBundlePath()).href}"></script></head><body>
<div id="figure"></div><pre id="export">pending</pre><pre id="error"></pre>
<script type="application/json" id="figure-data">${scriptJson(figure)}</script>
<script>
const fig = JSON.parse(document.getElementById('figure-data').textContent);
const opts = { width: ${width}, height: ${height} };
Plotly.newPlot('figure', fig.data, fig.layout, { staticPlot: true })
  .then((gd) => Promise.all([Plotly.toImage(gd, { ...opts, format: 'png', scale: ${scale} }), Plotly.toImage(gd, { ...opts, format: 'svg' })]))
  .then(([png, svg]) => { document.getElementById('export').textContent = encodeURIComponent(JSON.stringify({ png, svg })); })
  .catch((e) => { document.getElementById('error').textContent = encodeURIComponent(String(e && e.stack || e)); });
</script></body></html>`,
    );
    const dom = renderedDom(pathToFileURL(page).href);
    const err = dom.match(/<pre id="error">([^<]+)<\/pre>/);
    if (err) throw new Error(`Plotly failed in Chromium: ${decodeURIComponent(err[1])}`);
    const m = dom.match(/<pre id="export">([^<]*)<\/pre>/);
    if (!m || m[1] === 'pending') throw new Error('Chromium returned before Plotly.toImage finished (raise the virtual time budget?)');
    const { png, svg } = JSON.parse(decodeURIComponent(m[1])) as { png: string; svg: string };
    const pngPrefix = 'data:image/png;base64,';
    const svgPrefix = 'data:image/svg+xml,';
    if (!png.startsWith(pngPrefix) || !svg.startsWith(svgPrefix)) throw new Error('unexpected image data URLs from Plotly.toImage');
    return { png: Buffer.from(png.slice(pngPrefix.length), 'base64'), svg: stableSvgIds(decodeURIComponent(svg.slice(svgPrefix.length))) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The files written by `publishFigure`. */
export interface PublishedFigure {
  html: string;
  png: string;
  svg: string;
  /** SVG text, for inline display in a notebook. */
  svgText: string;
}

/** Write <dir>/<name>.html, .png and .svg (dir default: figuresDir(profile)). */
export function publishFigure(figure: PlotlyFigure, name: string, options: Partial<HtmlOptions> & { profile: string; dir?: string }): PublishedFigure {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new RangeError(`name must be a file-safe name (letters, digits, . _ -), got '${name}'`);
  const dir = options.dir ?? figuresDir(options.profile);
  const base = path.join(dir, name);
  const { png, svg } = renderStatic(figure);
  writeFileAtomic(`${base}.html`, figureHtml(figure, `${base}.html`, { ...options, meta: { profile: options.profile, ...options.meta } }));
  writeFileAtomic(`${base}.png`, png);
  writeFileAtomic(`${base}.svg`, svg);
  return { html: `${base}.html`, png: `${base}.png`, svg: `${base}.svg`, svgText: svg };
}

/**
 * tslab's writer of one display_data message (its `display` writes one MIME type per output); null outside a tslab
 * kernel. tslab 1.0.22 keeps it as `lastWriteDisplayData` of its jupyter module, the module of the running kernel.
 */
function tslabBundleWriter(): ((data: { data: Record<string, string>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void) | null {
  try {
    const file = require.resolve('tslab/dist/jupyter', { paths: [process.cwd(), packageRoot()] });
    const w = (require.cache[file]?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    return typeof w === 'function' ? (w as ReturnType<typeof tslabBundleWriter>) : null;
  } catch {
    return null;
  }
}

/**
 * Show a published figure inline in a notebook: one output holding the SVG (text/html, with the path of the
 * interactive page) and the PNG (image/png), so that it renders also where HTML is stripped. Through tslab's
 * `display` (passed in: the library does not load tslab); outside a kernel that accepts a bundle, two outputs.
 */
export function showFigure(published: PublishedFigure, display: { html(s: string): void; png?(b: Uint8Array): void }): void {
  const html = `<div>${published.svgText}</div><p style="font-size:12px">Interactive: ${escapeHtml(path.relative(packageRoot(), published.html))}</p>`;
  const png = fs.readFileSync(published.png);
  const write = tslabBundleWriter();
  if (write) {
    write({ data: { 'text/html': html, 'image/png': png.toString('base64') }, metadata: {}, transient: {} }, false);
    return;
  }
  display.html(html);
  display.png?.(png);
}
