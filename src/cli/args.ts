/**
 * Command-line plumbing shared by every CLI: `--key value` flags with typed defaults (unknown flags refused with the
 * accepted list; a boolean flag may stand alone, `--force`, or take true / false), a task-name check, and `runCli`,
 * which prints an error as its message (and the usage, for a bad command line), never as a stack trace.
 */
import { taskEntry } from '../envs/registry';

export type FlagValue = string | number | boolean;

/** A bad command line: printed as its message and the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseFlags<T extends Record<string, FlagValue>>(argv: string[], defaults: T, usage: string): T {
  const out: Record<string, FlagValue> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const key = a.slice(2);
    if (!(key in defaults)) throw new UsageError(`unknown flag --${key}; accepted: ${Object.keys(defaults).map((k) => `--${k}`).join(', ')}`);
    const d = defaults[key];
    if (typeof d === 'boolean') {
      // `--force` alone is true; `--force true|false` also reads.
      const next = argv[i + 1];
      if (next === 'true' || next === 'false') out[key] = argv[++i] === 'true';
      else if (next === undefined || next.startsWith('--')) out[key] = true;
      else throw new UsageError(`--${key} is a switch (--${key}, or --${key} true|false), got '${next}'`);
      continue;
    }
    const raw = argv[++i];
    if (raw === undefined || raw.startsWith('--')) throw new UsageError(`--${key} needs a value`);
    if (typeof d === 'number') {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${key} must be a number, got '${raw}'`);
      out[key] = v;
    } else out[key] = raw;
  }
  return out as T;
}

/** Refuse a task name the registry does not know, naming the known ones (a UsageError: printed with the usage). */
export function checkTaskName(name: string, flag = '--task'): void {
  require('../envs'); // registers every task (loaded here, not at start-up, so --help stays fast)
  try {
    taskEntry(name);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

/**
 * The text a CLI prints for an error: the message, and the usage after a bad command line (a UsageError, or a
 * RangeError: a bad value named at a public boundary, such as an unknown preset or a --set field). The stack only
 * with APC_DEBUG=1.
 */
export function cliErrorText(e: unknown, usage: string, name = ''): string {
  const prefix = name ? `${name}: ` : '';
  if (!(e instanceof Error)) return `${prefix}${String(e)}`;
  const withUsage = e instanceof UsageError || e.name === 'RangeError';
  const debug = process.env.APC_DEBUG === '1' && e.stack ? `\n${e.stack}` : '';
  return `${prefix}${e.message}${withUsage ? `\n${usage}` : ''}${debug}`;
}

/** Run a CLI's main: an error is printed by cliErrorText and exits 1. */
export function runCli(usage: string, main: () => Promise<void>, name = ''): void {
  main().catch((e) => {
    console.error(cliErrorText(e, usage, name));
    process.exit(1);
  });
}
