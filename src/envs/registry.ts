/**
 * Tagged registry of tasks (dm_control suite style). Domain files call `registerTask` at import time;
 * `src/envs/index.ts` imports every domain, so importing the envs package fills the registry.
 *
 * Training variants (src/training/variants/) register beside the faithful tasks with `registerVariant`: a
 * variant names the faithful task it varies and the options only it reads (start-state curricula, shaping).
 * `makeTask` builds the variant when any of those options is set and the faithful task otherwise, so a training
 * config keeps its task name and option keys. This module never imports a variant; whoever trains imports them.
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

/** A training variant of a faithful task: the same task with training-only starts, shaping or termination. */
export interface TaskVariant {
  /** The faithful task it varies (its registry name, also the name configs use). */
  task: string;
  /** The variant's own name, for listings: `<task>/training`. */
  name: string;
  /** Whether its reward may leave the faithful [0, 1] (shaping terms, bonuses, penalties). */
  shaped: boolean;
  description: string;
  /** The options only the variant reads; a task built with any of them set is the variant. */
  options: TaskOptionTypes;
  /** Build the variant from every option (the faithful ones included). */
  create(mj: Mujoco, options: TaskOptions): Task;
  /** Path of the module that registers it: VecEnv worker threads load it so that they register the same variants. */
  module: string;
}

const entries = new Map<string, TaskEntry>();
const variants = new Map<string, TaskVariant>();

export function registerTask(entry: TaskEntry): void {
  if (entries.has(entry.name)) throw new Error(`task '${entry.name}' is registered twice`);
  entries.set(entry.name, entry);
}

/** Register a training variant beside its faithful task (registered first; no option key of both). */
export function registerVariant(variant: TaskVariant): void {
  const entry = taskEntry(variant.task);
  if (variants.has(variant.task)) throw new Error(`task '${variant.task}' has a training variant registered twice`);
  const shared = Object.keys(variant.options).filter((k) => Object.prototype.hasOwnProperty.call(entry.options, k));
  if (shared.length > 0) throw new Error(`training variant ${variant.name} redeclares faithful options of ${variant.task}: ${shared.join(', ')}`);
  variants.set(variant.task, variant);
}

/** Registered tasks, optionally only those carrying every tag in `tags`. */
export function listTasks(tags: string[] = []): TaskEntry[] {
  return [...entries.values()].filter((e) => tags.every((t) => e.tags.includes(t)));
}

/** Registered training variants (one per task at most). */
export function listVariants(): TaskVariant[] {
  return [...variants.values()];
}

/** The training variant of task `name`, if one is registered. */
export function variantOf(name: string): TaskVariant | undefined {
  return variants.get(name);
}

/** Modules that registered training variants (for worker threads, which must register the same ones). */
export function variantModules(): string[] {
  return [...new Set([...variants.values()].map((v) => v.module))];
}

export function taskEntry(name: string): TaskEntry {
  const e = entries.get(name);
  if (!e) {
    throw new Error(`unknown task '${name}'; known tasks: ${[...entries.keys()].sort().join(', ')}`);
  }
  return e;
}

/** Every option task `name` accepts: its training variant's (when registered) and the faithful task's. */
export function taskOptionTypes(name: string): TaskOptionTypes {
  const v = variants.get(name);
  return { ...(v?.options ?? {}), ...taskEntry(name).options };
}

/** Refuse options `name` does not take (unknown keys, naming the accepted ones and their types; wrong types). */
export function checkOptionsOf(name: string, options: unknown): void {
  checkTaskOptions(name, taskOptionTypes(name), options);
}

/** Whether `options` set any option of task `name`'s training variant (so that `makeTask` builds the variant). */
export function usesVariant(name: string, options: TaskOptions): boolean {
  const v = variants.get(name);
  return !!v && Object.entries(options).some(([k, x]) => x !== undefined && Object.prototype.hasOwnProperty.call(v.options, k));
}

/**
 * Build a task by name (loads the MuJoCo module on first use); unknown or mistyped options are refused. Options
 * of the task's training variant build the variant; without them it is the faithful task.
 */
export async function makeTask(name: string, options: TaskOptions = {}): Promise<Task> {
  const entry = taskEntry(name);
  checkTaskOptions(name, taskOptionTypes(name), options);
  const mj = await loadMujoco();
  return usesVariant(name, options) ? variants.get(name)!.create(mj, options) : entry.create(mj, options);
}
