/** `--key value` flag parsing with typed defaults; unknown flags are refused with the accepted list. */
export type FlagValue = string | number | boolean;

export function parseFlags<T extends Record<string, FlagValue>>(argv: string[], defaults: T, usage: string): T {
  const out: Record<string, FlagValue> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new RangeError(`unexpected argument '${a}'\n${usage}`);
    const key = a.slice(2);
    if (!(key in defaults)) throw new RangeError(`unknown flag --${key}; accepted: ${Object.keys(defaults).map((k) => `--${k}`).join(', ')}`);
    const raw = argv[++i];
    if (raw === undefined) throw new RangeError(`--${key} needs a value`);
    const d = defaults[key];
    if (typeof d === 'number') {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new RangeError(`--${key} must be a number, got '${raw}'`);
      out[key] = v;
    } else if (typeof d === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new RangeError(`--${key} must be true or false, got '${raw}'`);
      out[key] = raw === 'true';
    } else out[key] = raw;
  }
  return out as T;
}
