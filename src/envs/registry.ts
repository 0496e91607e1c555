/**
 * Tagged registry of tasks (dm_control suite style). Domain files call `registerTask` at import time;
 * `src/envs/index.ts` imports every domain, so importing the envs package fills the registry.
 */
import { loadMujoco, type Mujoco } from '../physics/mujoco';
import type { Task, TaskOptions } from './types';

export interface TaskEntry {
  name: string;
  tags: string[];
  /** One-line description for listings and errors. */
  description: string;
  create(mj: Mujoco, options: TaskOptions): Task;
}

const entries = new Map<string, TaskEntry>();

export function registerTask(entry: TaskEntry): void {
  if (entries.has(entry.name)) throw new Error(`task '${entry.name}' is registered twice`);
  entries.set(entry.name, entry);
}

/** Registered tasks, optionally only those carrying every tag in `tags`. */
export function listTasks(tags: string[] = []): TaskEntry[] {
  return [...entries.values()].filter((e) => tags.every((t) => e.tags.includes(t)));
}

export function taskEntry(name: string): TaskEntry {
  const e = entries.get(name);
  if (!e) {
    throw new Error(`unknown task '${name}'; known tasks: ${[...entries.keys()].sort().join(', ')}`);
  }
  return e;
}

/** Build a task by name (loads the MuJoCo module on first use). */
export async function makeTask(name: string, options: TaskOptions = {}): Promise<Task> {
  const entry = taskEntry(name);
  const mj = await loadMujoco();
  return entry.create(mj, options);
}
