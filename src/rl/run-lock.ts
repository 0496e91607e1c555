/**
 * One trainer per run folder: trainPPO takes <out>/.lock (holding its PID) for the whole run, so a second trainer
 * on the same --out refuses, naming the holder's PID, instead of interleaving its curve rows with the first's. A
 * lock left by a killed run (its PID gone) is taken over. Not a paper component.
 */
import * as path from 'node:path';
import { acquireLock, type Lock } from '../util/lock';

export function lockRunFolder(outDir: string): Lock {
  return acquireLock(path.join(outDir, '.lock'), `run folder ${outDir}`);
}
