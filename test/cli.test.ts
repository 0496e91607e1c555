/**
 * The command lines: every CLI answers a bad task name, an unknown flag or a bad value with the message and its
 * usage, never a stack trace; switches stand alone (`sweep --force`); `evaluate` without --out never writes over a
 * committed evaluation; `npm run <cli> -- --help` answers without a rebuild (scripts/cli.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.join(__dirname, '..', '..');
const CLI = (name: string) => path.join(__dirname, '..', 'src', 'cli', `${name}.js`);
const run = (name: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [CLI(name), ...args], { encoding: 'utf8', env: { ...process.env, APC_DEBUG: '', ...env } });
/** A stack frame as node prints one: "    at fn (file:line:col)" or "    at file:line:col". */
const STACK_FRAME = /^\s+at .*:\d+:\d+\)?$/m;

function refused(name: string, args: string[], message: RegExp): void {
  const r = run(name, args);
  assert.equal(r.status, 1, `${name} ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, message, `${name} ${args.join(' ')}`);
  assert.match(r.stderr, /\nusage: /, `${name} ${args.join(' ')} prints its usage:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, STACK_FRAME, `${name} ${args.join(' ')} printed a stack trace:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /    at /, `${name} ${args.join(' ')} printed a stack frame`);
}

const UNKNOWN_TASK = /--task: unknown task 'nope'; known tasks: cartpole-swingup, /;

test('a bad task name: message and usage, no stack frame, in every CLI that takes a task', () => {
  refused('evaluate', ['--task', 'nope', '--policy', 'x'], UNKNOWN_TASK);
  refused('demo', ['--task', 'nope'], UNKNOWN_TASK);
  refused('distill', ['--task', 'nope', '--teacher', 'x', '--student-view', 'student', '--out', path.join(os.tmpdir(), 'never')], UNKNOWN_TASK);
  refused('export-expert', ['--task', 'nope', '--run', 'x'], UNKNOWN_TASK);
  refused('sweep', ['--figure', 'select-cloning', '--task', 'nope'], UNKNOWN_TASK);
  // train reads the task's preset: the error names the tasks that have one.
  refused('train', ['--task', 'nope', '--out', path.join(os.tmpdir(), 'never')], /no PPO preset for task 'nope'; presets exist for: cartpole-swingup/);
});

test('unknown presets, --set errors and bad values: message and usage, no stack', () => {
  const out = path.join(os.tmpdir(), 'never');
  refused('train', ['--task', 'cartpole-swingup', '--out', out, '--profile', 'huge'], /--profile must be one of smoke, quick, full, got 'huge'/);
  refused('train', ['--task', 'cartpole-swingup', '--out', out, '--set', 'bogus=1'], /unknown PPO config field\(s\): bogus; accepted: task, /);
  refused('train', ['--task', 'cartpole-swingup', '--out', out, '--set', 'numEnvs'], /--set expects key=value, got 'numEnvs'/);
  refused('train', ['--task', 'cartpole-swingup', '--out', out, '--set', 'taskOptions={"episodeLenght": 5}'], /unknown task option 'episodeLenght' for task cartpole-swingup/);
  refused('distill', ['--task', 'cartpole-swingup', '--teacher', 'x', '--student-view', 'student', '--out', out, '--set', 'nokey'], /--set expects key=value pairs/);
  refused('sweep', ['--figure', 'nope'], /--figure must be one of fig1-toy, /);
  refused('sweep', ['--figure', 'fig1-toy', '--profile', 'huge'], /profile must be one of quick, paper, full, got 'huge'/);
  refused('demo', ['--policy', 'clever'], /--policy must be one of random, zero, expert, got 'clever'/);
  refused('worker', [], /--queue redis:\/\/HOST:PORT is required/);
  refused('bench-env', ['--envs', '0'], /--envs needs a positive integer, got 0/);
  refused('evaluate', ['--task', 'cartpole-swingup', '--policy', 'x', '--episodes', 'many'], /--episodes must be a number, got 'many'/);
});

test('an unknown flag is named as unknown, also as the last argument (not "needs a value")', () => {
  refused('train', ['--task', 'cartpole-swingup', '--bogus'], /unknown option --bogus; accepted: --task, --out, --steps, --profile, --set/);
  for (const name of ['evaluate', 'demo', 'distill', 'export-expert', 'sweep', 'worker', 'bench-env', 'bench-learner', 'bench-pipeline']) {
    refused(name, ['--bogus'], /unknown flag --bogus; accepted: --/);
  }
  refused('evaluate', ['--task', 'cartpole-swingup', '--policy'], /--policy needs a value/);
});

test('switches stand alone as the README writes them: sweep --force', () => {
  // --force is read as a switch: the next problem reported is the figure's, not the flag's.
  refused('sweep', ['--force', '--figure', 'nope'], /--figure must be one of/);
  refused('sweep', ['--figure', 'nope', '--force'], /--figure must be one of/);
  refused('sweep', ['--figure', 'nope', '--force', 'true'], /--figure must be one of/);
  refused('sweep', ['--figure', 'fig1-toy', '--force', 'maybe'], /--force is a switch \(--force, or --force true\|false\), got 'maybe'/);
});

test('evaluate without --out writes under the evaluations folder, never over a committed evaluation', () => {
  const committed = path.join(ROOT, 'data', 'experts', 'cartpole-swingup', 'evaluation.json');
  const before = fs.readFileSync(committed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evaluations-'));
  const expert = path.join(ROOT, 'data', 'experts', 'cartpole-swingup', 'expert');
  const r = run('evaluate', ['--task', 'cartpole-swingup', '--policy', expert, '--episodes', '2', '--workers', '0'], { APC_EVALUATIONS_DIR: dir });
  assert.equal(r.status, 0, r.stderr);
  const written = path.join(dir, 'cartpole-swingup', 'expert.json');
  assert.match(r.stdout, new RegExp(`wrote ${written.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.deepEqual(JSON.parse(fs.readFileSync(written, 'utf8')).evaluations.map((e: { episodes: number }) => e.episodes), [2, 2]);
  assert.ok(fs.readFileSync(committed).equals(before), 'the committed evaluation.json is untouched');
});

test('npm run <cli> -- --help answers without a rebuild; any other command builds first (scripts/cli.sh)', () => {
  // A copy of scripts/cli.sh beside a built stand-in CLI and a "tsc" that records that it ran.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-sh-'));
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts', 'cli.sh'), path.join(root, 'scripts', 'cli.sh'));
  fs.mkdirSync(path.join(root, 'dist', 'src', 'cli'), { recursive: true });
  fs.writeFileSync(path.join(root, 'dist', 'src', 'cli', 'x.js'), "console.log('x ran with', JSON.stringify(process.argv.slice(2)));\n");
  fs.mkdirSync(path.join(root, 'node_modules', 'typescript', 'bin'), { recursive: true });
  const marker = path.join(root, 'built');
  fs.writeFileSync(path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes');\n`);
  const sh = (args: string[]) => spawnSync('sh', [path.join(root, 'scripts', 'cli.sh'), 'x', ...args], { encoding: 'utf8' });
  const help = sh(['--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /x ran with \["--help"\]/);
  assert.equal(fs.existsSync(marker), false, '--help did not build');
  const other = sh(['--task', 'a b']);
  assert.equal(other.status, 0, other.stderr);
  assert.match(other.stdout, /x ran with \["--task","a b"\]/);
  assert.equal(fs.existsSync(marker), true, 'a real command builds first');
});
