/** ProgressBar: rate and ETA from a fake clock, in-place redraws on a TTY, throttled lines elsewhere. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar, formatDuration } from '../src/util/progress';

function fake(tty: boolean) {
  const out: string[] = [];
  let ms = 0;
  return { out, stream: { isTTY: tty, write: (s: string) => out.push(s) }, advance: (s: number) => (ms += 1000 * s), now: () => ms };
}

test('rate, percentage and ETA follow the clock', () => {
  const f = fake(false);
  const bar = new ProgressBar({ total: 1000, label: 'ppo', unit: 'steps', stream: f.stream, now: f.now });
  f.advance(10);
  bar.update(250, { extra: 'return=12.5' });
  assert.equal(f.out.length, 1);
  assert.equal(f.out[0], 'ppo: [######..................] 250/1000 steps 25% 25.0 steps/s eta 30s return=12.5\n');
  assert.equal(formatDuration(185), '3m05s');
  assert.equal(formatDuration(7620), '2h07m');
});

test('without a TTY a line is written at most every intervalSeconds, and done() reports the mean rate', () => {
  const f = fake(false);
  const bar = new ProgressBar({ total: 100, unit: 'cells', stream: f.stream, now: f.now, intervalSeconds: 5 });
  for (let i = 1; i <= 100; i++) {
    f.advance(0.5);
    bar.update(i);
  }
  // 50 s of work, one line per 5 s.
  assert.equal(f.out.length, 10);
  assert.ok(f.out.every((l) => l.endsWith('\n') && !l.includes('\r')));
  bar.done();
  assert.equal(f.out.at(-1), '100/100 cells in 50s (2.00 cells/s)\n');
  bar.update(7);
  assert.equal(f.out.length, 11, 'updates after done() are ignored');
});

test('on a TTY the line is redrawn in place and padded over a longer previous line', () => {
  const f = fake(true);
  const bar = new ProgressBar({ total: Infinity, label: 'eval', unit: 'episodes', stream: f.stream, now: f.now });
  f.advance(1);
  bar.update(3, { extra: 'a long extra field' });
  f.advance(1);
  bar.update(4, { extra: '' });
  assert.ok(f.out.every((s) => s.startsWith('\r')));
  assert.equal(f.out[0], '\reval: 3 episodes 3.00 episodes/s a long extra field');
  assert.equal(f.out[1].length, f.out[0].length, 'padded to erase the longer line');
  bar.done();
  assert.equal(f.out.at(-1), '\n');
  assert.throws(() => new ProgressBar({ total: 0 }), /total must be a positive number/);
});
