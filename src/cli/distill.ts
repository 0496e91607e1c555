/**
 * Distil a teacher into a student that reads another view of the task, by DAgger with injected noise
 * (src/training/distill.ts). The same command resumes from out/checkpoint/.
 *   npm run distill -- --task humanoid-walls --teacher data/experts/humanoid-walls/expert --student-view student \
 *                      --out data/experts/humanoid-walls/vision-run [--env-steps 2000000] [--set key=value ...]
 * `--teacher controller` distils the task's scripted controller (manipulator-insert-peg's reads the simulator):
 *   npm run distill -- --task manipulator-insert-peg --teacher controller --student-view expert \
 *                      --out data/experts/manipulator-insert-peg/distill-run --set workers=1,taskOptions={"camera":false}
 */
import { DEFAULT_DISTILL, distill, resolveDistillConfig, type DistillConfig } from '../training/distill';
import { checkTaskName, parseFlags, runCli, UsageError } from './args';

const USAGE = 'usage: npm run distill -- --task NAME --teacher DIR|controller --student-view VIEW --out DIR [--env-steps N] [--seed S] ' +
  `[--set key=value[,key=value...]] (keys: ${Object.keys(DEFAULT_DISTILL).join(', ')})`;

/** `key=value,key=value` overrides of the distillation config; values are JSON (numbers, lists) or plain strings. */
function parseSet(text: string): Partial<DistillConfig> {
  const out: Record<string, unknown> = {};
  if (text === '') return out;
  for (const part of text.split(/,(?![^[]*\])/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects key=value pairs separated by commas, got '${part}'`);
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    out[key] = value;
  }
  return out as Partial<DistillConfig>;
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), { task: '', teacher: '', 'student-view': '', out: '', 'env-steps': DEFAULT_DISTILL.envSteps, seed: 0, set: '' }, USAGE);
  if (!f.task || !f.teacher || !f['student-view'] || !f.out) throw new UsageError('--task, --teacher, --student-view and --out are required');
  checkTaskName(f.task);
  const config = resolveDistillConfig({ task: f.task, teacher: f.teacher, studentView: f['student-view'], envSteps: f['env-steps'], seed: f.seed, ...parseSet(f.set) });
  let stop = false;
  const onSignal = (sig: string) => {
    if (stop) process.exit(130);
    stop = true;
    console.error(`distill: ${sig}: stopping after this round (the checkpoint is saved; rerun the same command to resume)`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const t0 = Date.now();
  await distill(config, f.out, {
    shouldStop: () => stop,
    onRound: (r) => {
      const pct = ((100 * r.envSteps) / config.envSteps).toFixed(1);
      const ev = r.evalMetric === null ? '' : `, eval ${r.evalMetric.toFixed(2)} (return ${r.evalReturn!.toFixed(1)})`;
      console.log(`round ${r.round}: ${r.envSteps} env steps (${pct}%), beta ${r.beta.toFixed(2)}, buffer ${r.bufferRows}, train ${r.trainSeconds.toFixed(1)} s (loss ${r.trainLoss.toFixed(3)})${ev}; ${((Date.now() - t0) / 60000).toFixed(1)} min`);
    },
  });
}

runCli(USAGE, main, 'distill');
