/**
 * Worker thread of a VecEnv: owns one EnvBlock over shared buffers and serves commands posted through a shared
 * Int32 control array (Atomics.wait / notify), so a step costs no message serialisation.
 */
import { workerData } from 'node:worker_threads';
import './index'; // registers every task
import { EnvBlock, type StepBuffers } from './env-block';
import { CMD, CTRL, spinWhile, type WorkerInit } from './vec-env';

/** Spin window while idle between commands (longer waits, e.g. a PPO update, sleep in Atomics.wait). */
const WORKER_SPIN_NS = 100_000n;

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const ctrl = new Int32Array(init.control);
  const base = init.slot * CTRL.STRIDE;
  const errBytes = new Uint8Array(init.errors, init.slot * CTRL.ERROR_BYTES, CTRL.ERROR_BYTES);
  const fail = (e: unknown) => {
    const msg = Buffer.from(String((e as Error)?.message ?? e)).subarray(0, CTRL.ERROR_BYTES - 1);
    errBytes.fill(0);
    errBytes.set(msg);
    Atomics.store(ctrl, base + CTRL.STATUS, CTRL.ERROR);
  };
  let block: EnvBlock;
  try {
    // The parent's training variants (src/training/variants), registered here too: the same tasks in every thread.
    for (const m of init.variantModules) require(m);
    const b = init.buffers;
    const buf: StepBuffers = {
      actions: new Float32Array(b.actions), reward: new Float32Array(b.reward), done: new Uint8Array(b.done),
      failed: new Uint8Array(b.failed), timeLimit: new Uint8Array(b.timeLimit), episodeReturn: new Float64Array(b.episodeReturn), episodeMetric: new Float64Array(b.episodeMetric),
      obs: Object.fromEntries(Object.entries(b.obs).map(([g, s]) => [g, new Float32Array(s)])),
    };
    block = await EnvBlock.create(init.task, init.taskOptions, init.start, init.end, init.seed, buf, init.restore);
  } catch (e) {
    fail(e);
    Atomics.add(ctrl, base + CTRL.DONE_SEQ, 1);
    Atomics.notify(ctrl, base + CTRL.DONE_SEQ);
    return;
  }
  Atomics.add(ctrl, base + CTRL.DONE_SEQ, 1);
  Atomics.notify(ctrl, base + CTRL.DONE_SEQ);
  let seen = 0;
  for (;;) {
    // Spin briefly first: the next command usually follows within the spin window (the caller steps its own block
    // or computes the next actions), and a futex sleep and wake-up would cost more than the window.
    if (!spinWhile(ctrl, base + CTRL.CMD_SEQ, seen, WORKER_SPIN_NS)) Atomics.wait(ctrl, base + CTRL.CMD_SEQ, seen);
    seen = Atomics.load(ctrl, base + CTRL.CMD_SEQ);
    const cmd = Atomics.load(ctrl, base + CTRL.CMD);
    try {
      Atomics.store(ctrl, base + CTRL.STATUS, CTRL.OK);
      if (cmd === CMD.STEP) block.step(Atomics.load(ctrl, base + CTRL.ARG) === 1);
      else if (cmd === CMD.RESET) block.resetAll();
      else if (cmd === CMD.REWIND) block.rewind();
      else if (cmd === CMD.CLOSE) {
        block.close();
        Atomics.add(ctrl, base + CTRL.DONE_SEQ, 1);
        Atomics.notify(ctrl, base + CTRL.DONE_SEQ);
        return;
      }
    } catch (e) {
      fail(e);
    }
    Atomics.add(ctrl, base + CTRL.DONE_SEQ, 1);
    Atomics.notify(ctrl, base + CTRL.DONE_SEQ);
  }
}

void main();
