import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { RingBuffer, betaAt, distill, makeTeacher, resolveDistillConfig } from '../src/training/distill';
import { VecEnv } from '../src/envs/vec-env';
import { PegController } from '../src/training/peg-controller';
import type { ManipulatorInsertPeg } from '../src/envs/manipulator';
import { loadCheckpoint } from '../src/policies';

const EXPERT = path.join(__dirname, '..', '..', 'data', 'experts', 'cartpole-swingup', 'expert');

test('RingBuffer keeps the newest rows, overwriting the oldest, and serves them as a SampleSet', () => {
  const buf = new RingBuffer(3, { x: [2] }, { x: 'state' }, 1);
  const rows = (from: number, n: number) => ({
    groups: { x: Float32Array.from({ length: 2 * n }, (_, k) => from + Math.floor(k / 2)) },
    labels: { mean: Float32Array.from({ length: n }, (_, k) => from + k), std: new Float32Array(n).fill(0.5) },
  });
  const a = rows(0, 2);
  buf.append(a.groups, a.labels, 2);
  assert.equal(buf.size, 2);
  assert.deepEqual([...buf.samples().expertMean], [0, 1]);
  const b = rows(10, 2);
  buf.append(b.groups, b.labels, 2);
  // Capacity 3: row 0 was overwritten by row 11.
  assert.equal(buf.size, 3);
  assert.equal(buf.appended, 4);
  const s = buf.samples();
  assert.deepEqual([...s.expertMean], [11, 1, 10]);
  assert.deepEqual([...s.groups.x], [11, 11, 1, 1, 10, 10]);
  assert.throws(() => buf.append({ x: new Float32Array(1) }, a.labels, 2), /group 'x' needs 4 values, got 1/);
});

test('betaAt falls linearly from betaStart to betaEnd and stays there', () => {
  const c = { betaStart: 1, betaEnd: 0.2, betaRounds: 4 };
  assert.deepEqual([0, 1, 2, 4, 9].map((r) => Number(betaAt(c, r).toFixed(6))), [1, 0.8, 0.6, 0.2, 0.2]);
});

test('resolveDistillConfig names bad fields and the accepted values', () => {
  const base = { task: 't', teacher: 'd', studentView: 'v' };
  assert.throws(() => resolveDistillConfig({ ...base, bogus: 1 } as never), /unknown distillation field 'bogus'; accepted: task, teacher, studentView, torso/);
  assert.throws(() => resolveDistillConfig({ ...base, betaEnd: 2 }), /betaEnd must be in \[0, 1\], got 2/);
  assert.throws(() => resolveDistillConfig({ ...base, numEnvs: 0 }), /numEnvs must be a positive integer/);
  assert.throws(() => resolveDistillConfig({ task: 't', teacher: 'd' }), /studentView is required/);
  assert.throws(() => resolveDistillConfig({ ...base, strategy: 'dagger' as never }), /strategy must be one of bc, naive-abc, apc/);
  // A controller teacher's options: its own keys only, and none for a checkpoint teacher.
  const peg = { task: 'manipulator-insert-peg', teacher: 'controller', studentView: 'expert', workers: 0 };
  assert.equal(resolveDistillConfig({ ...peg, teacherOptions: { stickiness: 4 } }).teacherOptions.stickiness, 4);
  assert.throws(() => resolveDistillConfig({ ...peg, teacherOptions: { stickyness: 4 } }), /teacherOptions: unknown option 'stickyness' of the manipulator-insert-peg controller; accepted: .*stickiness/);
  assert.throws(() => resolveDistillConfig({ ...base, teacherOptions: { stickiness: 4 } }), /teacher 'd' is a checkpoint: leave teacherOptions out/);
});

test('distill: cartpole student learns from its teacher, checkpoints, and resumes where it stopped', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-'));
  const config = {
    task: 'cartpole-swingup', teacher: EXPERT, studentView: 'default', torso: [64, 64], numEnvs: 8, workers: 0,
    stepsPerRound: 1024, envSteps: 4 * 1024, betaRounds: 2, updatesPerRound: 100, evalEvery: 2, evalEpisodes: 4,
  };
  const first = await distill(config, out, { maxRounds: 2 });
  assert.deepEqual(first.map((r) => [r.round, r.envSteps, r.beta, r.bufferRows]), [[1, 1024, 1, 1024], [2, 2048, 0.5, 2048]]);
  assert.equal(first[0].teacherShare, 1);
  assert.ok(first[1].teacherShare > 0.3 && first[1].teacherShare < 0.7, `teacher share ${first[1].teacherShare} at beta 0.5`);
  assert.equal(first[0].evalReturn, null);
  assert.ok(first[1].evalReturn !== null && Number.isFinite(first[1].evalReturn));
  assert.ok(fs.existsSync(path.join(out, 'best', 'manifest.json')));
  assert.deepEqual(fs.readdirSync(path.join(out, 'evaluated')), ['000002']);
  // Resumed: rounds 3 and 4, up to the budget; the buffer refilled from acting (its size restarts).
  const second = await distill(config, out, { maxRounds: 10 });
  assert.deepEqual(second.map((r) => [r.round, r.envSteps, r.bufferRows]), [[3, 3072, 1024], [4, 4096, 2048]]);
  const curve = fs.readFileSync(path.join(out, 'curve.csv'), 'utf8').trim().split('\n');
  assert.equal(curve[0], 'round,env_steps,beta,teacher_share,buffer_rows,train_seconds,train_loss,eval_return,eval_metric');
  assert.ok(second.every((r) => Number.isFinite(r.trainLoss)), 'every round reports its mean training loss');
  assert.deepEqual(curve.slice(1).map((l) => Number(l.split(',')[0])), [1, 2, 3, 4]);
  assert.deepEqual(fs.readdirSync(path.join(out, 'evaluated')).sort(), ['000002', '000004']);
  // After 4k labelled steps the student swings the pole up part of the way: far above a random policy (~0-30).
  assert.ok(second[1].evalReturn! > 100, `student return ${second[1].evalReturn}`);
  // Another task or student view on the same folder is refused.
  await assert.rejects(distill({ ...config, torso: [32] }, out), /is a run with torso \[64,64\], not \[32\]; choose another --out/);
});

test('distill from a scripted controller: labels are the controller\'s actions on each env\'s simulator; the student may read privileged groups', async () => {
  const base = { task: 'manipulator-insert-peg', teacher: 'controller', studentView: 'expert', workers: 1, taskOptions: { camera: false, episodeLength: 40 } };
  assert.throws(() => resolveDistillConfig({ ...base, workers: 2 }), /workers must be 0 or 1, got 2/);
  assert.throws(() => resolveDistillConfig({ ...base, strategy: 'apc' }), /a controller reads the simulator, not observations: use bc or naive-abc/);
  assert.throws(() => resolveDistillConfig({ ...base, task: 'cartpole-swingup' }), /task cartpole-swingup has no scripted controller \(tasks with one: manipulator-insert-peg\)/);
  const config = resolveDistillConfig(base);
  const vec = await VecEnv.create({ task: config.task, taskOptions: config.taskOptions, numEnvs: 2, workers: 1, seed: 7 });
  const teacher = await makeTeacher(config, vec.spec.actionDim);
  try {
    let obs = await vec.reset();
    for (let t = 0; t < 3; t++) {
      const labels = teacher.label(obs, 2, vec);
      for (let i = 0; i < 2; i++) {
        const own = new PegController(vec.localTask(i) as ManipulatorInsertPeg);
        assert.deepEqual(Array.from(labels.mean.subarray(5 * i, 5 * i + 5)), Array.from(own.act(), Math.fround), `env ${i} step ${t}`);
        own.dispose();
      }
      assert.deepEqual([...new Set(labels.std)], [Math.fround(0.1)]);
      obs = (await vec.step(labels.mean)).obs;
    }
  } finally {
    teacher.dispose();
    await vec.close();
  }
  // Two rounds: the student reads the privileged target pose; its normaliser comes from round 1's states.
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-peg-'));
  const rows = await distill({ ...base, torso: [32], numEnvs: 2, stepsPerRound: 64, envSteps: 128, betaRounds: 1, updatesPerRound: 20, batchSize: 16, evalEvery: 2, evalEpisodes: 1 }, out);
  assert.deepEqual(rows.map((r) => [r.round, r.teacherShare, r.bufferRows]), [[1, 1, 64], [2, 0, 128]]);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'best', 'manifest.json'), 'utf8'));
  assert.ok(JSON.stringify(manifest).includes('target_pos'), 'the student reads target_pos');
  // With a warm-up, the teacher alone first acts warmupSteps steps into the buffer (counted in the budget), and
  // the student's normaliser is estimated from those rows, whole episodes, not from round 1's first steps.
  assert.throws(() => resolveDistillConfig({ ...base, warmupSteps: -1 }), /warmupSteps must be an integer >= 0, got -1/);
  const warm = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-peg-warm-'));
  const warmRows = await distill({ ...base, torso: [32], numEnvs: 2, warmupSteps: 80, stepsPerRound: 64, envSteps: 144, betaRounds: 1, updatesPerRound: 20, batchSize: 16, evalEvery: 5, evalEpisodes: 1 }, warm);
  assert.deepEqual(warmRows.map((r) => [r.round, r.envSteps, r.bufferRows]), [[1, 144, 144]]);
  const { policy } = await loadCheckpoint(path.join(warm, 'checkpoint', 'policy'));
  const count = policy.normalizer!.getState().count;
  assert.ok(Math.abs(count - 80) < 0.01, `normaliser counted ${count} rows, expected the 80 warm-up rows`);
  policy.dispose();
});

test('npm run distill stops after the round on SIGTERM, saving its checkpoint (in-thread envs never yield otherwise)', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-sig-'));
  const cli = path.join(__dirname, '..', 'src', 'cli', 'distill.js');
  const child = spawn(process.execPath, [cli, '--task', 'cartpole-swingup', '--teacher', EXPERT, '--student-view', 'default', '--out', out,
    '--env-steps', '10000000', '--set', 'numEnvs=4,workers=0,stepsPerRound=256,updatesPerRound=5,evalEvery=1000,torso=[16]'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let signalled = false;
  const onData = (d: Buffer) => {
    text += d.toString();
    if (!signalled && /round 2:/.test(text)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // A run that ignores the signal is killed after a minute and fails the test (rather than hanging it).
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(guard);
  assert.ok(signalled, `never reached round 2:\n${text}`);
  assert.equal(code, 0, text);
  assert.match(text, /SIGTERM: stopping after this round/);
  const state = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint', 'state.json'), 'utf8'));
  // Stopped within a round or two of the signal, far from the budget of 10M steps.
  assert.ok(state.round >= 2 && state.round <= 4, `stopped at round ${state.round}`);
});
