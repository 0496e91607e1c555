/**
 * The PPO presets are data: every task x profile resolves to exactly the options (key order included, which the
 * resume checks and config-history compare as JSON) that test/golden/ppo-presets.json pins. The golden was captured
 * from the presets as they stood before they were rewritten as typed stage changes; a change to a preset must
 * update it deliberately.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ppoPreset, presetTasks, TRAINING_BUDGETS as PROFILES } from '../src/rl/presets';
import { stageAt } from '../src/rl/config';

const GOLDEN = path.join(__dirname, '..', '..', 'test', 'golden', 'ppo-presets.json');
const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, Record<string, unknown>>;

test('every preset at every profile resolves exactly to the golden options, stage by stage', () => {
  assert.deepEqual(presetTasks(), Object.keys(golden));
  for (const task of presetTasks()) {
    for (const profile of PROFILES) {
      const now = ppoPreset(task, profile);
      // Exact JSON (key order included), then every curriculum stage on its own for a readable failure.
      const want = golden[task][profile] as { curriculum?: unknown[] };
      for (const [i, st] of ((now.curriculum ?? []) as unknown[]).entries()) {
        assert.equal(JSON.stringify(st), JSON.stringify(want.curriculum?.[i]), `${task} (${profile}) curriculum stage ${i + 1}`);
      }
      assert.equal(JSON.stringify(now), JSON.stringify(want), `${task} (${profile})`);
    }
  }
});

test('the settings in force at each stage boundary are those of the golden curriculum', () => {
  for (const task of presetTasks()) {
    const now = ppoPreset(task, 'full');
    const want = golden[task].full as Parameters<typeof stageAt>[0];
    const cfg = (c: typeof want) => ({ taskOptions: c.taskOptions ?? {}, evalTaskOptions: c.evalTaskOptions ?? {}, curriculum: c.curriculum ?? [], boundsLossCoef: c.boundsLossCoef, entCoef: c.entCoef });
    for (const st of [{ fromSteps: 0 }, ...(want.curriculum ?? [])]) {
      assert.equal(JSON.stringify(stageAt(cfg(now as typeof want), st.fromSteps)), JSON.stringify(stageAt(cfg(want), st.fromSteps)), `${task} at ${st.fromSteps} env steps`);
    }
  }
});

test('an unknown task or profile is refused with the accepted values', () => {
  assert.throws(() => ppoPreset('nope'), /no PPO preset for task 'nope'; presets exist for: cartpole-swingup/);
  assert.throws(() => ppoPreset('cartpole-swingup', 'huge' as never), /profile must be one of smoke, quick, full/);
});
