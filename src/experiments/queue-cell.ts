/**
 * Child process of a queue worker (queue.ts): computes one cell with the local sweep's computeCell and sends its
 * rows, or its error, back. A process of its own, not the worker's event loop, so BullMQ keeps renewing the job
 * lock; and not a worker thread, because the native BLAS addon (nblas) loads once per process: in a thread the
 * learner would fall back to tfjs-wasm and round differently from a local sweep of the same cell.
 */
import type { CellConfig } from './cache';
import { computeCell } from './compute';

// The worker that forked this process died (e.g. SIGKILL): nobody waits for the rows, so stop.
process.on('disconnect', () => process.exit(1));
process.once('message', (m: { config: CellConfig }) => {
  computeCell(m.config).then(
    (rows) => process.send!({ rows }, () => process.exit(0)),
    (e: unknown) => process.send!({ error: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined }, () => process.exit(0)),
  );
});
