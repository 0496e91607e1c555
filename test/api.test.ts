/**
 * The public API (src/api.ts through src/index.ts, issue 28): the README's "Use it as a library" example runs as
 * written and prints sensible numbers; index.ts exports exactly the documented surface plus the `experiments` and
 * `report` namespaces; `npm run docs` (TypeDoc with every warning an error, undocumented exports included) builds
 * the reference; and the batch builder's strategies differ only where the paper says they do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import * as apc from '../src/index';
import { packageRoot } from '../src/util/paths';

const ROOT = packageRoot();

/** The ```ts block of README.md's "Use it as a library" section. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('## Use it as a library');
  assert.ok(at >= 0, 'README.md has a "Use it as a library" section');
  const section = readme.slice(at, readme.indexOf('\n## ', at + 5));
  const m = section.match(/```ts\n([\s\S]*?)```/);
  assert.ok(m, 'the section holds a ```ts code block');
  return m![1];
}

test('the README example is about 15 lines and uses the API by package name', () => {
  const code = readmeExample();
  const lines = code.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length >= 10 && lines.length <= 20, `example has ${lines.length} non-empty lines`);
  assert.match(code, /from 'apc-repro'/);
  for (const call of ['loadExpert', 'collectDataset', 'makeStudent', 'trainStudent', 'evaluate']) assert.match(code, new RegExp(`apc\\.${call}\\(`));
  assert.match(code, /strategy: 'apc'/);
});

test('the README example runs as written and prints a finite NLL and a return in [0, 1000]', { timeout: 300_000 }, () => {
  // Compiled as the user would (TypeScript -> CommonJS), run from a folder inside the package so that
  // 'apc-repro' resolves to this checkout through node_modules/apc-repro (scripts/link-self.js).
  const out = ts.transpileModule(readmeExample(), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  const dir = path.join(ROOT, '.build');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `readme-example-${process.pid}.js`);
  fs.writeFileSync(file, out.outputText);
  try {
    const run = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 280_000, env: { ...process.env } });
    assert.equal(run.status, 0, `example failed:\n${run.stdout}\n${run.stderr}`);
    const m = run.stdout.match(/APC student: validation NLL (\S+) at update (\d+), return (\S+) ± (\S+) over (\d+) episodes/);
    assert.ok(m, `unexpected output: ${run.stdout}`);
    const [nll, update, ret, std, episodes] = [Number(m![1]), Number(m![2]), Number(m![3]), Number(m![4]), Number(m![5])];
    assert.ok(Number.isFinite(nll) && nll < 5, `validation NLL ${nll} finite and below the untrained student's scale`);
    assert.ok(update >= 0 && update <= 300, `best update ${update} within the 300 run`);
    assert.ok(ret >= 0 && ret <= 1000, `return ${ret} within cartpole's [0, 1000]`);
    assert.ok(Number.isFinite(std) && std >= 0);
    assert.equal(episodes, 5);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('index.ts exports the documented surface and the figure machinery only as namespaces', () => {
  const names = Object.keys(apc).sort();
  assert.deepEqual(names, [
    'BetaMixture', 'DEFAULT_CLONING', 'GaussianMLP', 'GrowingRelabelBuffer', 'LOSSES', 'Rng', 'RunningNormalizer', 'STRATEGIES',
    'buildCloningBatch', 'collectDataset', 'evaluate', 'experiments', 'kickstartAuxLoss', 'loadExpert', 'makeStudent', 'makeTask',
    'mixtureActions', 'queryExpert', 'renderPng', 'report', 'resolveCloningConfig', 'rollout', 'runDagger', 'runKickstart', 'taskNames',
    'trainStudent', 'validationNll',
  ]);
  // What the section notebooks call.
  for (const f of ['profileFromEnv', 'ResultCache', 'resultsRoot', 'figurePlan', 'runSweep', 'computeCell', 'loadStoredRows']) assert.equal(typeof (apc.experiments as Record<string, unknown>)[f], 'function', `experiments.${f}`);
  for (const f of ['planMarkdown', 'publishPlan', 'showFigure', 'statsMarkdown']) assert.equal(typeof (apc.report as Record<string, unknown>)[f], 'function', `report.${f}`);
});

test('npm run docs builds the API reference with no warning (every export documented)', { timeout: 120_000 }, () => {
  const out = path.join(ROOT, '.build', `docs-${process.pid}`);
  try {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--treatWarningsAsErrors', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });
    assert.equal(run.status, 0, `typedoc failed:\n${run.stdout}\n${run.stderr}`);
    assert.doesNotMatch(run.stdout + run.stderr, /\[warning\]/);
    const index = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    for (const name of ['loadExpert', 'buildCloningBatch', 'trainStudent', 'runDagger', 'kickstartAuxLoss', 'experiments']) assert.ok(index.includes(name), `reference lists ${name}`);
    // The script the README names runs the same command.
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.match(pkg.scripts.docs, /typedoc.*--treatWarningsAsErrors/);
    const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, 'typedoc.json'), 'utf8'));
    assert.deepEqual(cfg.entryPoints, ['src/index.ts']);
    assert.equal(cfg.validation.notDocumented, true);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('buildCloningBatch: with one seed Naive ABC and APC perturb alike; APC relabels by the expert, Naive ABC keeps the recorded action', async () => {
  const expert = await apc.loadExpert('cartpole-swingup');
  const s = (x: number[]) => Float32Array.from(x);
  const states = { position: s([0, -1, 0, 0.1, 0.9, 0.4]), velocity: s([0, 0, 0.5, -1]) };
  const e = apc.queryExpert(expert, states, 2);
  const data = {
    size: 2, groups: states, groupShapes: { position: [3], velocity: [2] }, groupKinds: { position: 'state' as const, velocity: 'state' as const },
    expertMean: e.mean, expertStd: e.std, actionDim: 1,
  };
  const build = (strategy: apc.Strategy) => apc.buildCloningBatch({ data, rows: [0, 1], expert, config: { strategy, numAugmented: 3, sigmaS: 0.1 }, seed: 7 });
  const bc = build('bc');
  const naive = build('naive-abc');
  const apcBatch = build('apc');
  assert.deepEqual([bc.rows, naive.rows, apcBatch.rows], [2, 8, 8]);
  assert.deepEqual([bc.expertQueries, naive.expertQueries, apcBatch.expertQueries], [0, 0, 6]);
  assert.deepEqual(naive.groups.position, apcBatch.groups.position);
  assert.deepEqual(naive.groups.velocity, apcBatch.groups.velocity);
  assert.deepEqual([...naive.targetMean.subarray(2)], [e.mean[0], e.mean[1], e.mean[0], e.mean[1], e.mean[0], e.mean[1]]);
  const requeried = apc.queryExpert(expert, { position: apcBatch.groups.position.subarray(6), velocity: apcBatch.groups.velocity.subarray(4) }, 6).mean;
  assert.deepEqual(apcBatch.targetMean.subarray(2), requeried);
  assert.ok(requeried.some((m, i) => Math.abs(m - naive.targetMean[2 + i]) > 1e-4), 'APC labels differ from the recorded ones');
  assert.deepEqual([...apcBatch.weights], [1, 1, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  assert.throws(() => apc.queryExpert(expert, { position: [0, 1, 0] }), /states lacks group 'velocity'/);
  expert.dispose();
});

test('rollout: the same seed gives the same episode, and poses hold every body on the x-z plane', async () => {
  const expert = await apc.loadExpert('cartpole-swingup');
  const a = await apc.rollout(expert, { task: 'cartpole-swingup', seed: 3, steps: 50, poses: true });
  const b = await apc.rollout(expert, { task: 'cartpole-swingup', seed: 3, steps: 50 });
  assert.equal(a.steps, 50);
  assert.deepEqual(a.rewards, b.rewards);
  assert.equal(a.poses!.length, 51);
  assert.deepEqual(a.poses![0].bodies.map((p) => p.name), ['cart', 'pole_1']);
  assert.ok(a.poses!.every((p) => p.geoms.every((g) => Number.isFinite(g.x) && Number.isFinite(g.z))));
  await assert.rejects(apc.rollout(expert, { task: 'cartpole-swingup', mode: 'greedy' as never }), /mode must be 'mean' or 'noise'/);
  expert.dispose();
});
