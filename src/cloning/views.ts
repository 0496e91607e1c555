/**
 * Which observation groups the student reads when it clones a privileged expert (paper section 5.3, Figure 4): the
 * expert reads its own view (with privileged groups such as the slot pose), the student another named view of the
 * same task (the shared state groups plus a camera image). APC perturbs only the state groups both read.
 */
import type { TaskSpec } from '../envs/types';
import { perturbedGroups } from './strategies';

/** The groups of the student's view, split by their role in cloning (section 5.3). */
export interface StudentViewPlan {
  /** The view name and its groups, in the task's order. */
  name: string;
  view: string[];
  /** State groups both read: perturbed by Naive ABC / APC. */
  shared: string[];
  /** Image groups of the student: never perturbed, random-shifted when imageShift > 0. */
  images: string[];
  /** Groups only the expert reads: given to the expert exactly as recorded when it is re-queried. */
  expertOnly: string[];
}

/**
 * Resolve the task view `name` as a student view for an expert reading `expertView`. Refuses, naming the accepted
 * values: a view the task lacks, an expert group the task lacks, a student view that reads a privileged group, and
 * one that shares no state group with the expert (nothing to perturb).
 */
export function resolveStudentView(spec: TaskSpec, name: string, expertView: string[]): StudentViewPlan {
  const views = Object.keys(spec.views);
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(spec.views, name)) {
    throw new RangeError(`studentView '${String(name)}' is not a view of task ${spec.name}; its views: ${views.join(', ')}`);
  }
  const byName = new Map(spec.observationGroups.map((g) => [g.name, g]));
  const missing = expertView.filter((g) => !byName.has(g));
  if (missing.length > 0) {
    throw new RangeError(`the expert reads ${missing.join(', ')}, which task ${spec.name} does not serve (its groups: ${[...byName.keys()].join(', ')})`);
  }
  const view = [...spec.views[name]];
  const privileged = view.filter((g) => byName.get(g)!.privileged);
  if (privileged.length > 0) {
    throw new RangeError(`studentView '${name}' reads the privileged group(s) ${privileged.join(', ')}; a student of a privileged expert must not ` +
      `(views of ${spec.name} without privileged groups: ${views.filter((v) => spec.views[v].every((g) => !byName.get(g)?.privileged)).join(', ')})`);
  }
  const kinds = Object.fromEntries(spec.observationGroups.map((g) => [g.name, g.kind]));
  const shared = perturbedGroups(kinds, view, expertView);
  if (shared.length === 0) {
    throw new RangeError(`studentView '${name}' (${view.join(', ')}) shares no state group with the expert's view (${expertView.join(', ')}); ` +
      'APC perturbs only the state groups both read, so there would be nothing to perturb');
  }
  return { name, view, shared, images: view.filter((g) => kinds[g] === 'image'), expertOnly: expertView.filter((g) => !view.includes(g)) };
}
