/**
 * The one table of method labels: the paper's legend names of the cloning strategies (BC, Naive ABC, APC), of the
 * algorithms that wrap them (DAgger, kickstarting; paper sections 4.2-4.3) and of image augmentation (Figure 4).
 * Result rows store these labels, so they key the committed results: change one and its cells no longer match.
 */
import type { Strategy } from './config';

/** Offline cloning (Figures 1-4). */
export const STRATEGY_LABELS: Record<Strategy, string> = { bc: 'BC', 'naive-abc': 'Naive ABC', apc: 'APC' };

/** DAgger with each strategy on the relabelled states (Figure 5). */
export const DAGGER_LABELS: Record<Strategy, string> = { bc: 'DAgger', apc: 'DAgger + APC', 'naive-abc': 'DAgger + Naive ABC' };

/** Kickstarting arms at the standard lambda (Figure 6); `kickstartLabel` names other multiples of lambda. */
export const KICKSTART_LABELS: Record<'rl' | 'bc' | 'apc', string> = { rl: 'RL only', bc: 'Kickstarting', apc: 'Kickstarting + APC' };

/**
 * The label of a strategy with or without image augmentation (Figure 4's rows): 'BC', 'Naive ABC', 'APC'; with
 * imageShift > 0 'Image shift only' (BC on the recorded states plus shifted images), 'Naive ABC + image shift' and
 * 'APC + image shift'.
 */
export function methodName(method: Strategy, imageShift = 0): string {
  const name = STRATEGY_LABELS[method];
  if (name === undefined) throw new RangeError(`method must be one of ${Object.keys(STRATEGY_LABELS).join(', ')}, got '${String(method)}'`);
  if (!(imageShift > 0)) return name;
  return method === 'bc' ? 'Image shift only' : `${name} + image shift`;
}

/** The label of a kickstarting arm whose lambda is `multiple` x the standard one: 'Kickstarting (2 lambda)'. */
export function kickstartLabel(method: string, multiple: number): string {
  if (!(method === 'rl' || method === 'bc' || method === 'apc')) throw new RangeError(`method must be one of rl, bc, apc, got '${method}'`);
  const times = multiple === 1 ? '' : ` (${Number.isInteger(multiple) ? multiple : multiple.toPrecision(3)} lambda)`;
  return method === 'rl' ? KICKSTART_LABELS.rl : `${KICKSTART_LABELS[method]}${times}`;
}

/** Legend order across figures. */
export const METHOD_ORDER = [
  'RL only', 'BC', 'Naive ABC', 'APC', 'Image shift only', 'Naive ABC + image shift', 'APC + image shift', 'DAgger', 'DAgger + APC',
  'Kickstarting', 'Kickstarting (2 lambda)', 'Kickstarting + APC',
];
