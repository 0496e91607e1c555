/**
 * How far a humanoid-run policy gets up from the reverse curriculum's blended start poses (training stage 4):
 * for each blend share alpha, the number of starts whose head is above 0.9 m after 300 control steps of the
 * policy's mean action. alpha 0 is the upright keyframe facing a random heading, 1 the random pose on the floor.
 *   npm run training:getup-probe -- --policy data/experts/humanoid-run/run/checkpoints/000006535/policy
 *                                    [--poses 20] [--seed 900] [--steps 300]
 */
import '../variants'; // the faithful tasks and their training variants
import { makeTask } from '../../envs/registry';
import { initializeBlendedPose, type HumanoidTaskTraining } from '../variants/humanoid';
import { loadCheckpoint, initBackend } from '../../policies';
import { Rng } from '../../util/rng';
import { parseFlags } from '../../cli/args';

const USAGE = 'usage: npm run training:getup-probe -- --policy DIR [--poses 20] [--seed 900] [--steps 300]';
const ALPHAS = [0, 0.25, 0.5, 0.75, 1];
const RISEN_HEIGHT = 0.9;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { policy: '', poses: 20, seed: 900, steps: 300 }, USAGE);
  if (!flags.policy) throw new RangeError(`--policy is required\n${USAGE}`);
  for (const k of ['poses', 'steps'] as const) {
    if (!Number.isInteger(flags[k]) || flags[k] <= 0) throw new RangeError(`--${k} must be a positive integer, got ${flags[k]}`);
  }
  await initBackend();
  const { policy } = await loadCheckpoint(flags.policy);
  const task = (await makeTask('humanoid-run', { initialPose: 'upright' })) as HumanoidTaskTraining;
  const cells: string[] = [];
  for (const alpha of ALPHAS) {
    let risen = 0;
    for (let p = 0; p < flags.poses; p++) {
      task.reset(new Rng(1));
      initializeBlendedPose(task.humanoid, new Rng(flags.seed + p), alpha);
      for (let k = 0; k < flags.steps; k++) {
        const o = task.observe();
        const groups: Record<string, Float32Array> = {};
        for (const g of policy.view) groups[g] = o[g] as Float32Array;
        task.step(Array.from(policy.distribution({ batch: 1, groups }).mean));
      }
      if (task.humanoid.headHeight() > RISEN_HEIGHT) risen++;
    }
    cells.push(`alpha ${alpha}: ${risen}/${flags.poses}`);
  }
  task.close();
  console.log(`head above ${RISEN_HEIGHT} m after ${flags.steps} steps (mean action): ${cells.join(', ')}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
