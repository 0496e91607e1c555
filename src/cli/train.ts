/**
 * Train (or resume) a PPO expert:
 *   npm run train -- --task cartpole-swingup --out data/experts/cartpole-swingup/run [--steps N] [--profile full|quick|smoke]
 *                    [--set key=value ...]
 * Re-running the same command resumes from the newest checkpoint in <out>/checkpoints/. SIGINT/SIGTERM checkpoint,
 * then exit. `--set` overrides one PPOConfig field (JSON value), e.g. --set numEnvs=64 --set policyTorso=[128,128].
 */
import '../envs';
import { trainPPO } from '../rl/ppo';
import { ppoPreset, TRAINING_BUDGETS, type TrainingBudget } from '../rl/presets';
import type { PPOConfig } from '../rl/config';
import { runCli, UsageError } from './args';

const USAGE = `usage: npm run train -- --task NAME --out DIR [--steps N] [--profile ${TRAINING_BUDGETS.join('|')}] [--set key=value ...]`;

const KNOWN = ['task', 'out', 'steps', 'profile', 'set'];

function parseArgs(argv: string[]): { task: string; out: string; steps?: number; profile: TrainingBudget; set: Record<string, unknown> } {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const args: Record<string, string> = {};
  const set: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const key = a.slice(2);
    if (!KNOWN.includes(key)) throw new UsageError(`unknown option --${key}; accepted: ${KNOWN.map((k) => `--${k}`).join(', ')}`);
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${key} needs a value`);
    if (key === 'set') {
      const eq = value.indexOf('=');
      if (eq < 0) throw new UsageError(`--set expects key=value, got '${value}'`);
      const raw = value.slice(eq + 1);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = raw;
      }
      set[value.slice(0, eq)] = parsed;
    } else {
      args[key] = value;
    }
  }
  if (!args.task) throw new UsageError('--task is required');
  if (!args.out) throw new UsageError('--out is required');
  const profile = (args.profile ?? 'full') as TrainingBudget;
  if (!TRAINING_BUDGETS.includes(profile)) throw new UsageError(`--profile must be one of ${TRAINING_BUDGETS.join(', ')}, got '${profile}'`);
  const steps = args.steps !== undefined ? Number(args.steps) : undefined;
  if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) throw new UsageError(`--steps must be a positive integer, got '${args.steps}'`);
  return { task: args.task, out: args.out, steps, profile, set };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const config: Partial<PPOConfig> & { task: string } = { ...ppoPreset(a.task, a.profile), ...a.set, ...(a.steps !== undefined ? { totalSteps: a.steps } : {}) };
  const log = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);
  let lastLine = 0;
  let first: { steps: number; t: number } | null = null;
  const result = await trainPPO(config, a.out, {
    handleSignals: true,
    log,
    onIteration: (row, resolved) => {
      const steps = row['time/env_steps'] ?? 0;
      const now = Date.now();
      if (first === null) first = { steps, t: now };
      if (now - lastLine < 30_000 && steps < resolved.totalSteps) return;
      lastLine = now;
      // Until a second iteration has finished, the first iteration's own rate stands in.
      const rate = steps > first.steps ? (steps - first.steps) / Math.max(1e-3, (now - first.t) / 1000) : Number(row['time/fps'] ?? 0);
      const eta = rate > 0 ? (resolved.totalSteps - steps) / rate : NaN;
      const f = (k: string) => (row[k] == null ? '-' : Number(row[k]).toFixed(3));
      log(`${steps}/${resolved.totalSteps} steps, ${rate.toFixed(0)} steps/s, ETA ${(eta / 60).toFixed(1)} min | train/episode_return ${f('train/episode_return')} ` +
        `loss/policy ${f('loss/policy')} loss/value ${f('loss/value')} train/std ${f('train/std')} kl ${f('loss/approx_kl')}`);
    },
  });
  log(`${result.status} at ${result.envSteps} env steps (iteration ${result.iteration}); best eval return ${result.bestEvalReturn?.toFixed(1)}`);
  // Non-zero when stopped by a signal, so a supervisor can tell "interrupted" from "finished".
  process.exit(result.status === 'done' ? 0 : 130);
}

runCli(USAGE, main);
