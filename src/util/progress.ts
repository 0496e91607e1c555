/**
 * A small progress bar for long work (training, sweeps, rollouts): label, bar, count, rate and ETA on stderr.
 * On a TTY one line is redrawn in place with '\r'; elsewhere (CI logs, Jupyter streams) a full line is written
 * every `intervalSeconds`, so logs stay short.
 *   const bar = new ProgressBar({ total, label: 'ppo', unit: 'steps' });
 *   bar.update(done, { extra: 'return=123' }); ... bar.done();
 */

/** The part of a stream the bar writes to (process.stderr, or a collecting stub in tests). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressBarOptions {
  /** Units of work expected in all (> 0; Infinity or NaN = unknown: no bar, no ETA). */
  total: number;
  /** Shown first on the line. Default ''. */
  label: string;
  /** Name of one unit of work, for the count and rate. Default 'it'. */
  unit: string;
  /** Where to write. Default process.stderr. */
  stream: ProgressStream;
  /** Redraw in place with '\r'. Default: whether `stream` is a TTY. */
  tty: boolean;
  /** Without a TTY: seconds between printed lines. Default 10. */
  intervalSeconds: number;
  /** With a TTY: least seconds between redraws (so a hot loop can call update freely). Default 0.1. */
  redrawSeconds: number;
  /** Characters of the bar. Default 24. */
  width: number;
  /** Clock in milliseconds (tests inject a fake one). Default Date.now. */
  now: () => number;
}

/** Seconds as a short duration: 42s, 3m05s, 2h07m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A rate with about three significant digits: 0.512, 12.3, 4567. */
function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return '?';
  return rate >= 100 ? rate.toFixed(0) : rate >= 10 ? rate.toFixed(1) : rate.toPrecision(3);
}

export class ProgressBar {
  private readonly o: ProgressBarOptions;
  private readonly t0: number;
  private completed = 0;
  private extra = '';
  private lastWrite = -Infinity;
  private lastLength = 0;
  private finished = false;

  constructor(options: Partial<ProgressBarOptions> & { total: number }) {
    const stream = options.stream ?? process.stderr;
    this.o = {
      label: '', unit: 'it', stream, tty: Boolean(stream.isTTY), intervalSeconds: 10, redrawSeconds: 0.1, width: 24, now: Date.now,
      ...options,
    };
    if (typeof this.o.total !== 'number' || this.o.total <= 0) throw new RangeError(`total must be a positive number (or Infinity when unknown), got ${this.o.total}`);
    if (!(this.o.intervalSeconds >= 0)) throw new RangeError(`intervalSeconds must be >= 0, got ${this.o.intervalSeconds}`);
    this.t0 = this.o.now();
  }

  /** Report `completed` units done so far (absolute, not an increment); `extra` is appended to the line. */
  update(completed: number, info: { extra?: string } = {}): void {
    if (this.finished) return;
    this.completed = completed;
    if (info.extra !== undefined) this.extra = info.extra;
    const t = this.o.now();
    const gap = (t - this.lastWrite) / 1000;
    if (gap >= (this.o.tty ? this.o.redrawSeconds : this.o.intervalSeconds)) this.write(this.line(), t);
  }

  /** Add `n` units (default 1) to the count. */
  tick(n = 1, info: { extra?: string } = {}): void {
    this.update(this.completed + n, info);
  }

  /** Write the final line (total time and mean rate) and end it with a newline; later updates are ignored. */
  done(info: { extra?: string } = {}): void {
    if (this.finished) return;
    if (info.extra !== undefined) this.extra = info.extra;
    const t = this.o.now();
    const elapsed = (t - this.t0) / 1000;
    const rate = elapsed > 0 ? this.completed / elapsed : NaN;
    const text = [this.prefix(), `${this.completed}${Number.isFinite(this.o.total) ? `/${this.o.total}` : ''} ${this.o.unit}`,
      `in ${formatDuration(elapsed)}`, `(${formatRate(rate)} ${this.o.unit}/s)`, this.extra].filter((s) => s !== '').join(' ');
    this.write(text, t);
    if (this.o.tty) this.o.stream.write('\n');
    this.finished = true;
  }

  /** The current line, without writing it. */
  line(): string {
    const elapsed = (this.o.now() - this.t0) / 1000;
    const rate = elapsed > 0 ? this.completed / elapsed : NaN;
    const { total, unit, width } = this.o;
    const known = Number.isFinite(total);
    const parts = [this.prefix()];
    if (known) {
      const frac = Math.max(0, Math.min(1, this.completed / total));
      const filled = Math.round(frac * width);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`, `${this.completed}/${total} ${unit}`, `${(100 * frac).toFixed(0)}%`);
    } else parts.push(`${this.completed} ${unit}`);
    parts.push(`${formatRate(rate)} ${unit}/s`);
    if (known) parts.push(`eta ${rate > 0 ? formatDuration((total - this.completed) / rate) : '?'}`);
    parts.push(this.extra);
    return parts.filter((s) => s !== '').join(' ');
  }

  private prefix(): string {
    return this.o.label === '' ? '' : `${this.o.label}:`;
  }

  private write(text: string, t: number): void {
    this.lastWrite = t;
    if (this.o.tty) {
      // Pad over the previous, possibly longer, line.
      this.o.stream.write(`\r${text}${' '.repeat(Math.max(0, this.lastLength - text.length))}`);
      this.lastLength = text.length;
    } else this.o.stream.write(`${text}\n`);
  }
}
