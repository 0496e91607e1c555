/** VecEnv: same seed and actions give the same trajectories whatever the worker count; auto-reset; clear errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VecEnv } from '../src/envs/vec-env';
import { Rng } from '../src/util/rng';

async function rollout(task: string, workers: number, steps: number, numEnvs = 5, episodeLength = 12) {
  const env = await VecEnv.create({ task, numEnvs, workers, seed: 7, taskOptions: { episodeLength } });
  const rng = new Rng('actions');
  const A = env.spec.actionDim;
  const trace: number[] = [];
  const dones: number[] = [];
  try {
    const first = await env.reset();
    for (const g of Object.keys(first).sort()) trace.push(...first[g]);
    for (let t = 0; t < steps; t++) {
      const a = rng.fillNormal(new Float32Array(numEnvs * A), 0, 0.7) as Float32Array;
      const s = await env.step(a);
      for (const g of Object.keys(s.obs).sort()) trace.push(...s.obs[g]);
      trace.push(...s.reward);
      dones.push(...s.done);
    }
  } finally {
    await env.close();
  }
  return { trace: Float64Array.from(trace), dones };
}

test('same seed and actions give bit-identical trajectories with 1, 2 and 3 stepping threads', async () => {
  for (const [task, steps] of [['cartpole-swingup', 40], ['humanoid-run', 15]] as const) {
    const r0 = await rollout(task, 0, steps);
    for (const w of [2, 3]) {
      const r = await rollout(task, w, steps);
      assert.deepEqual(r.trace, r0.trace, `${task} with ${w} workers`);
    }
  }
});

test('episodes auto-reset at the time limit and report their return', async () => {
  const env = await VecEnv.create({ task: 'cartpole-swingup', numEnvs: 3, workers: 2, seed: 1, taskOptions: { episodeLength: 5 } });
  try {
    await env.reset();
    let sum = new Float64Array(3);
    for (let t = 1; t <= 10; t++) {
      const s = await env.step(new Float32Array(3));
      for (let i = 0; i < 3; i++) sum[i] += s.reward[i];
      const expectDone = t % 5 === 0;
      assert.deepEqual(Array.from(s.done), [expectDone, expectDone, expectDone].map(Number), `step ${t}`);
      if (expectDone) {
        for (let i = 0; i < 3; i++) assert.ok(Math.abs(s.episodeReturn[i] - sum[i]) < 1e-4, 'episode return');
        sum = new Float64Array(3);
      }
    }
  } finally {
    await env.close();
  }
});

test('resetOnFailure ends a fallen humanoid episode early (training only)', async () => {
  const env = await VecEnv.create({ task: 'humanoid-run', numEnvs: 2, workers: 1, seed: 2 });
  try {
    await env.reset();
    let ended = false;
    for (let t = 0; t < 200 && !ended; t++) {
      const s = await env.step(new Float32Array(2 * env.spec.actionDim), { resetOnFailure: true });
      if (s.done.some(Boolean)) {
        ended = true;
        assert.ok(s.failed.some(Boolean) && !s.timeLimit.some(Boolean), 'ended by failure, not the time limit');
      }
    }
    assert.ok(ended, 'a passive humanoid falls and its episode ends within 200 steps');
  } finally {
    await env.close();
  }
});

test('bad actions are refused with a clear error, not a hang', async () => {
  const env = await VecEnv.create({ task: 'cartpole-swingup', numEnvs: 2, workers: 2, seed: 3 });
  try {
    await env.reset();
    await assert.rejects(env.step(new Float32Array(3)), /actions has length 3, expected numEnvs \* actionDim = 2 \* 1 = 2/);
    await assert.rejects(env.step(Float32Array.from([0, NaN])), /actions of env 1: action\[0\] is NaN.*no env was stepped/);
    await env.step(new Float32Array(2));
  } finally {
    await env.close();
  }
  await assert.rejects(VecEnv.create({ task: 'no-such-task', numEnvs: 1, workers: 0, seed: 0 }), /unknown task 'no-such-task'; known tasks: .*cartpole-swingup/);
});

test('a worker that dies makes the next step reject instead of hanging', async () => {
  // Three stepping threads: the calling thread and worker threads 0 and 1.
  const env = await VecEnv.create({ task: 'cartpole-swingup', numEnvs: 3, workers: 3, seed: 4 });
  try {
    await env.reset();
    // Reach into the private pool to simulate a crashed worker thread.
    await (env as unknown as { workers: { terminate(): Promise<number> }[] }).workers[1].terminate();
    await assert.rejects(env.step(new Float32Array(3)), /worker 1 exited with code/);
  } finally {
    await env.close();
  }
});
