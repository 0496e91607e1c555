/**
 * Worker thread of a queue worker (queue.ts): computes one cell with the local sweep's computeCell and posts its
 * rows, or its error, back. A thread, not the worker's own event loop, so BullMQ keeps renewing the job lock.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CellConfig } from './cache';
import { computeCell } from './compute';

const { config } = workerData as { config: CellConfig };
computeCell(config).then(
  (rows) => parentPort!.postMessage({ rows }),
  (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined }),
);
