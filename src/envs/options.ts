/**
 * Typed task options (STYLE habit 14: an unknown key is an error, never ignored). Each registered task declares the
 * options its constructor reads and their types, in a small type language:
 *   'number' | 'integer' | 'boolean' | 'string' | "'literal'" | '[number, number]' | '{ weight: number, scale: number }'
 * and unions of these joined by ' | '. `checkTaskOptions` refuses an unknown key (naming every accepted key and its
 * type) and a value of the wrong type, before any physics is built; ranges stay the constructors' own checks.
 */

/** Option name -> its type, in the type language above. */
export type TaskOptionTypes = Record<string, string>;

function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === sep && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/** Whether `value` has type `type` (one alternative or a union). */
export function matchesType(value: unknown, type: string): boolean {
  const alts = splitTop(type, '|');
  if (alts.length > 1) return alts.some((a) => matchesType(value, a));
  const t = type.trim();
  if (t === 'number') return typeof value === 'number' && !Number.isNaN(value);
  if (t === 'integer') return typeof value === 'number' && Number.isInteger(value);
  if (t === 'boolean') return typeof value === 'boolean';
  if (t === 'string') return typeof value === 'string';
  if (/^'.*'$/.test(t)) return value === t.slice(1, -1);
  if (t.startsWith('[') && t.endsWith(']')) {
    const items = splitTop(t.slice(1, -1), ',');
    return Array.isArray(value) && value.length === items.length && items.every((it, i) => matchesType(value[i], it));
  }
  if (t.startsWith('{') && t.endsWith('}')) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
    const fields = Object.fromEntries(splitTop(t.slice(1, -1), ',').map((f) => {
      const c = f.indexOf(':');
      return [f.slice(0, c).trim(), f.slice(c + 1).trim()];
    }));
    const v = value as Record<string, unknown>;
    return Object.keys(v).every((k) => k in fields) && Object.entries(fields).every(([k, ft]) => matchesType(v[k], ft));
  }
  throw new Error(`unknown option type '${t}'`);
}

/** Every accepted option with its type, for error messages. */
export function describeOptions(types: TaskOptionTypes): string {
  const keys = Object.keys(types);
  return keys.length === 0 ? '(none)' : keys.map((k) => `${k} (${types[k]})`).join(', ');
}

/**
 * Refuse `options` unless every key is one of `types` and every value (other than undefined) has its type. `task`
 * names the task in the message.
 */
export function checkTaskOptions(task: string, types: TaskOptionTypes, options: unknown): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new RangeError(`task options of ${task} must be an object, got ${JSON.stringify(options)}; accepted keys: ${describeOptions(types)}`);
  }
  const entries = Object.entries(options as Record<string, unknown>);
  const unknown = entries.map(([k]) => k).filter((k) => !Object.prototype.hasOwnProperty.call(types, k));
  if (unknown.length > 0) {
    throw new RangeError(`unknown task option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} for task ${task}; accepted: ${describeOptions(types)}`);
  }
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    if (!matchesType(v, types[k])) throw new RangeError(`task option '${k}' of ${task} must be ${types[k]}, got ${JSON.stringify(v)}`);
  }
}
