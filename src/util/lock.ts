/**
 * Lock files holding the owner's PID: a run folder (one trainer per --out) and a sweep cell in progress (one sweep
 * computes it) are claimed by creating `<file>` exclusively. A lock whose process is gone (killed run) is stale and
 * taken over; a live holder is named by PID and host. Not a paper component.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  what: string;
}

export interface Lock {
  readonly file: string;
  release(): void;
}

/** Whether process `pid` is alive on this host (EPERM: alive, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder recorded in `file`, or null when the file is missing or unreadable (a lock cut short while written). */
export function readLockHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
    return typeof h?.pid === 'number' ? h : null;
  } catch {
    return null;
  }
}

/** Whether `holder` still holds its lock: its process is alive (a lock of another host is assumed live). */
export function holderAlive(holder: LockHolder | null): boolean {
  if (holder === null) return false;
  if (holder.host !== os.hostname()) return true;
  return processAlive(holder.pid);
}

/** Locks this process holds (a second claim from this process is refused too, as from any other). */
const held = new Set<string>();

/**
 * Take the lock `file` for `what`, or return its live holder. A stale lock (dead PID on this host, or a damaged
 * lock file) is taken over.
 */
export function tryLock(file: string, what: string): { lock: Lock; holder: null } | { lock: null; holder: LockHolder } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), what };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify(me));
      fs.closeSync(fd);
      const abs = path.resolve(file);
      held.add(abs);
      let released = false;
      return {
        holder: null,
        lock: {
          file,
          release() {
            if (released) return;
            released = true;
            held.delete(abs);
            const h = readLockHolder(file);
            if (h && h.pid === me.pid && h.host === me.host && h.since === me.since) fs.rmSync(file, { force: true });
          },
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLockHolder(file);
      const mine = holder !== null && holder.pid === process.pid && holder.host === os.hostname();
      if (holder !== null && (mine ? held.has(path.resolve(file)) : holderAlive(holder))) return { lock: null, holder };
      // Stale (its process is gone) or unreadable: remove it and try again.
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file} (it keeps reappearing)`);
}

/** A lock is held by another live process. */
export class LockHeldError extends Error {
  constructor(readonly file: string, readonly holder: LockHolder, message: string) {
    super(message);
    this.name = 'LockHeldError';
  }
}

/** Take the lock or throw a LockHeldError naming the holder's PID. */
export function acquireLock(file: string, what: string): Lock {
  const r = tryLock(file, what);
  if (r.lock) return r.lock;
  const h = r.holder;
  throw new LockHeldError(file, h, `${what} is in use by PID ${h.pid} on ${h.host} (${h.what}, since ${h.since}); ` +
    `wait for it to finish or stop it, or delete ${file} if that process is gone`);
}
