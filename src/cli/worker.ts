/**
 * `npm run worker -- --queue redis://HOST:PORT [--concurrency N]`: take figure cells from the BullMQ queue that
 * `npm run sweep -- --figure F --queue URL` fills, compute them with the local sweep's code, and return their rows
 * (docs/scale-out.md). Run any number, on any machine with a clone holding the committed experts.
 *
 * A job whose expert sha256 (or code version) differs from this clone's is handed back untouched and this worker
 * stops with a message saying which file differs. SIGINT / SIGTERM stop at once: a running cell's job is requeued
 * for another worker when its lock expires (--lock-seconds). --idle-exit S stops once the queue has had no
 * open job for S seconds (for batch schedulers such as a Slurm array).
 */
import { parseFlags, runCli, UsageError } from './args';
import { connectQueue, openJobCount, redactUrl, startCellWorker } from '../experiments/queue';

const USAGE = 'usage: npm run worker -- --queue redis://HOST:PORT [--concurrency N] [--name NAME] [--lock-seconds 30] [--stalled-seconds 30] [--idle-exit SECONDS]';

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), { queue: '', concurrency: 1, name: '', 'lock-seconds': 30, 'stalled-seconds': 30, 'idle-exit': 0 }, USAGE);
  if (!f.queue) throw new UsageError('--queue redis://HOST:PORT is required');
  const url = String(f.queue);
  const log = (line: string) => console.error(`worker ${name}: ${line}`);
  const name = String(f.name) || `${require('node:os').hostname()}:${process.pid}`;
  let exitCode = 0;
  const w = await startCellWorker(url, {
    concurrency: Number(f.concurrency), name, lockSeconds: Number(f['lock-seconds']), stalledSeconds: Number(f['stalled-seconds']), log,
    onRefuse: (e) => {
      log(`refusing: ${e.message}; the job goes back to the queue and this worker stops`);
      exitCode = 2;
      void w.close().then(() => process.exit(exitCode));
    },
  });
  log(`waiting for cells on ${redactUrl(url)} (concurrency ${f.concurrency})`);
  const stop = (signal: string) => {
    log(`${signal}: stopping; running cells go back to the queue when their lock expires`);
    void w.close(true).then(() => process.exit(exitCode));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  const idle = Number(f['idle-exit']);
  if (idle > 0) {
    const queue = await connectQueue(url);
    let since = Date.now();
    const timer = setInterval(() => {
      void openJobCount(queue).then((open) => {
        if (open > 0) since = Date.now();
        else if (Date.now() - since >= idle * 1000) {
          clearInterval(timer);
          log(`queue idle for ${idle} s: stopping`);
          void w.close().then(() => process.exit(exitCode));
        }
      }, () => undefined);
    }, 1000);
  }
}

runCli(USAGE, main);
