/**
 * Every registered task (dm_control suite style: the loop runs over `listTasks()`, so a new domain is covered by
 * registering it): spec conformance, finite observations matching the spec, reward in [0, 1], determinism,
 * action validation and clipping, and the registry's unknown-name error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listTasks, makeTask } from '../src/envs/registry';
import { viewSize, type ObservationGroups, type Task } from '../src/envs/types';
import { Rng } from '../src/util/rng';
import '../src/envs';

/** Short episodes keep the whole file at a few seconds. */
const EPISODE = 12;
const tasks = listTasks();

/** A reproducible action sequence, deliberately including values outside [-1, 1]. */
function actions(actionDim: number, n: number, seed: number): Float64Array[] {
  const rng = new Rng(`actions/${seed}`);
  return Array.from({ length: n }, () => Float64Array.from({ length: actionDim }, () => rng.range(-1.3, 1.3)));
}

function copyObs(obs: ObservationGroups): Record<string, number[]> {
  return Object.fromEntries(Object.entries(obs).map(([k, v]) => [k, Array.from(v)]));
}

/** Reset with `seed`, run `acts`; returns the states, observations and rewards along the way. */
function rollout(task: Task, seed: number, acts: Float64Array[]) {
  task.reset(new Rng(seed));
  const states = [Array.from(task.getState())];
  const obs = [copyObs(task.observe())];
  const rewards: number[] = [];
  for (const a of acts) {
    rewards.push(task.step(a).reward);
    states.push(Array.from(task.getState()));
    obs.push(copyObs(task.observe()));
  }
  return { states, obs, rewards };
}

test('the registry holds the paper tasks and the fast test tasks', () => {
  const names = tasks.map((e) => e.name);
  for (const n of ['cartpole-swingup', 'cheetah-run', 'manipulator-insert-peg', 'humanoid-run']) assert.ok(names.includes(n), `${n} not registered (have ${names.join(', ')})`);
  assert.ok(listTasks(['paper']).some((e) => e.name === 'manipulator-insert-peg'));
  assert.deepEqual(listTasks(['fast', 'test']).map((e) => e.name).sort(), ['cartpole-swingup', 'cheetah-run']);
});

test('an unknown task name is refused with the list of known tasks', async () => {
  await assert.rejects(makeTask('cartpole-balance-upside-down'), (e: Error) => {
    assert.match(e.message, /unknown task 'cartpole-balance-upside-down'/);
    for (const entry of tasks) assert.ok(e.message.includes(entry.name), `error does not list ${entry.name}: ${e.message}`);
    return true;
  });
});

for (const entry of tasks) {
  test(`${entry.name}: spec conformance and observations match the spec`, async () => {
    const task = await makeTask(entry.name, { episodeLength: EPISODE });
    try {
      const { spec } = task;
      assert.equal(spec.name, entry.name);
      assert.deepEqual([...spec.tags].sort(), [...entry.tags].sort());
      assert.ok(Number.isInteger(spec.actionDim) && spec.actionDim > 0, `actionDim ${spec.actionDim}`);
      assert.ok(spec.controlTimestep > 0);
      assert.equal(spec.episodeLength, EPISODE, 'episodeLength option not honoured');
      const names = spec.observationGroups.map((g) => g.name);
      assert.equal(new Set(names).size, names.length, `duplicate group names ${names}`);
      for (const g of spec.observationGroups) {
        assert.ok(g.kind === 'state' || g.kind === 'image', `${g.name}: kind ${g.kind}`);
        assert.equal(typeof g.privileged, 'boolean');
        assert.equal(g.shape.length, g.kind === 'image' ? 3 : 1, `${g.name}: shape ${g.shape}`);
        for (const d of g.shape) assert.ok(Number.isInteger(d) && d > 0, `${g.name}: shape ${g.shape}`);
        if (g.kind === 'image') assert.equal(g.privileged, false, 'images are what a deployable student sees');
      }
      // `default` = every non-image group, in spec order; every view names existing groups.
      assert.deepEqual(spec.views.default, spec.observationGroups.filter((g) => g.kind !== 'image').map((g) => g.name));
      for (const [view, groups] of Object.entries(spec.views)) {
        assert.ok(viewSize(spec, groups) > 0, view);
        if (view === 'student' || view === 'proprio' || view === 'common') {
          const leaked = groups.filter((n) => spec.observationGroups.find((g) => g.name === n)!.privileged);
          assert.deepEqual(leaked, [], `view '${view}' contains privileged groups`);
        }
      }

      task.reset(new Rng(0));
      assert.equal(task.stepCount, 0);
      const check = (obs: ObservationGroups, when: string) => {
        assert.deepEqual(Object.keys(obs).sort(), [...names].sort(), `${when}: observed groups`);
        for (const g of spec.observationGroups) {
          const v = obs[g.name];
          assert.ok(v instanceof Float32Array, `${when}: ${g.name} is not a Float32Array`);
          assert.equal(v.length, g.shape.reduce((a, b) => a * b, 1), `${when}: ${g.name} length`);
          for (let i = 0; i < v.length; i++) {
            assert.ok(Number.isFinite(v[i]), `${when}: ${g.name}[${i}] = ${v[i]}`);
            if (g.kind === 'image') assert.ok(v[i] >= 0 && v[i] <= 1, `${when}: ${g.name}[${i}] = ${v[i]} outside [0, 1]`);
          }
        }
      };
      check(task.observe(), 'after reset');
      const acts = actions(spec.actionDim, EPISODE, 1);
      for (let t = 0; t < EPISODE; t++) {
        const r = task.step(acts[t]);
        assert.equal(task.stepCount, t + 1);
        assert.ok(r.reward >= 0 && r.reward <= 1, `step ${t}: reward ${r.reward} outside [0, 1]`);
        assert.equal(r.reward, task.reward(), 'step reward differs from reward() of the new state');
        assert.equal(r.timeLimit, t + 1 === EPISODE, `step ${t}: timeLimit ${r.timeLimit}`);
        assert.equal(typeof task.failed(), 'boolean');
        check(task.observe(), `step ${t}`);
      }
      task.reset(new Rng(1));
      assert.equal(task.stepCount, 0, 'reset does not clear stepCount');
    } finally {
      task.close();
    }
  });

  test(`${entry.name}: determinism (same seed and actions => identical states and observations)`, async () => {
    const a = await makeTask(entry.name, { episodeLength: EPISODE });
    const b = await makeTask(entry.name, { episodeLength: EPISODE });
    try {
      const acts = actions(a.spec.actionDim, 8, 2);
      const ra = rollout(a, 7, acts);
      const rb = rollout(b, 7, acts);
      assert.deepEqual(ra.states, rb.states);
      assert.deepEqual(ra.obs, rb.obs);
      assert.deepEqual(ra.rewards, rb.rewards);
      // The same instance replays an episode exactly after other episodes (nothing leaks across resets).
      rollout(a, 8, actions(a.spec.actionDim, 5, 3));
      const again = rollout(a, 7, acts);
      assert.deepEqual(again.states, ra.states);
      assert.deepEqual(again.obs, ra.obs);
      // A different seed gives a different initial state.
      const other = rollout(b, 9, []);
      assert.notDeepEqual(other.states[0], ra.states[0]);
    } finally {
      a.close();
      b.close();
    }
  });

  test(`${entry.name}: actions are clipped to [-1, 1]; bad actions are refused without touching the state`, async () => {
    const a = await makeTask(entry.name, { episodeLength: EPISODE });
    const b = await makeTask(entry.name, { episodeLength: EPISODE });
    try {
      const n = a.spec.actionDim;
      a.reset(new Rng(3));
      b.reset(new Rng(3));
      const big = Float64Array.from({ length: n }, (_, i) => (i % 2 ? -7 : 4));
      const clipped = Float64Array.from(big, (x) => Math.max(-1, Math.min(1, x)));
      a.step(big);
      b.step(clipped);
      assert.deepEqual(Array.from(a.getState()), Array.from(b.getState()));

      const before = Array.from(a.getState());
      const beforeObs = copyObs(a.observe());
      const withNaN = new Float64Array(n);
      withNaN[n - 1] = NaN;
      const withInf = new Float64Array(n);
      withInf[0] = Infinity;
      const bad: [string, unknown, RegExp][] = [
        ['too short', new Float64Array(n - 1), new RegExp(`length ${n - 1}.*expects ${n}`)],
        ['too long', new Array(n + 1).fill(0), new RegExp(`length ${n + 1}.*expects ${n}`)],
        ['NaN entry', withNaN, new RegExp(`action\\[${n - 1}\\] is NaN`)],
        ['infinite entry', withInf, /action\[0\] is Infinity/],
        ['not an array', null, /action must be an array/],
      ];
      for (const [what, action, message] of bad) {
        assert.throws(() => a.step(action as ArrayLike<number>), (e: unknown) => e instanceof RangeError && message.test(e.message), what);
        assert.deepEqual(Array.from(a.getState()), before, `${what}: state changed`);
        assert.equal(a.stepCount, 1, `${what}: stepCount changed`);
      }
      assert.deepEqual(copyObs(a.observe()), beforeObs);
    } finally {
      a.close();
      b.close();
    }
  });
}
