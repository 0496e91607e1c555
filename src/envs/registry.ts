/**
 * Tagged registry of tasks (dm_control suite style). Domain files call `registerTask` at import time;
 * `src/envs/index.ts` imports every domain, so importing the envs package fills the registry.
 */
import { loadMujoco, type Mujoco } from '../physics/mujoco';
import type { Task, TaskOptions } from './types';
import { checkTaskOptions, type TaskOptionTypes } from './options';

export interface TaskEntry {
  name: string;
  tags: string[];
  /** One-line description for listings and errors. */
  description: string;
  /** Every option `create` reads, with its type (options.ts); any other key is refused. */
  options: TaskOptionTypes;
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

/** Refuse options `name` does not take (unknown keys, naming the accepted ones and their types; wrong types). */
export function checkOptionsOf(name: string, options: unknown): void {
  checkTaskOptions(name, taskEntry(name).options, options);
}

/** Build a task by name (loads the MuJoCo module on first use); unknown or mistyped options are refused. */
export async function makeTask(name: string, options: TaskOptions = {}): Promise<Task> {
  const entry = taskEntry(name);
  checkTaskOptions(name, entry.options, options);
  const mj = await loadMujoco();
  return entry.create(mj, options);
}
