/**
 * Per-figure plans: the paper's figures 1-6 as config grids for the `quick` and `paper` profiles, with the
 * plot description and the claim each figure makes. Cells are plain JSON (hashed by the result cache); the
 * compute functions live in compute.ts. Where a paper task has no trained expert in data/experts, the plan
 * substitutes the nearest fast task that has one (cheetah-run, then cartpole-swingup) and says so in the title.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from './paths';
import { expertsRoot } from '../util/paths';
import { expertCheckpointDir, expertFields } from '../util/experts';
import type { CellConfig } from './cache';
import type { ProfileName } from './profiles';
import {
  FORM_MARGIN, SELECTION_GRID, SIGMA_SCALES, selectedCloning, selectionGrid, sigmaScaleField, type Selected, type SelectedMethod, type SelectionBase, type SigmaScale,
} from './selection';

import { DAGGER_LABELS, KICKSTART_LABELS, METHOD_ORDER, STRATEGY_LABELS } from '../cloning/labels';

/** The paper figures this suite regenerates. */
export const FIGURE_IDS = ['fig1-toy', 'fig2-offline', 'fig3-compression', 'fig4-privileged', 'fig5-dagger', 'fig6-kickstart'] as const;
/** One of FIGURE_IDS. */
export type FigureId = (typeof FIGURE_IDS)[number];

/** Method keys (as the cloning strategies name them) and their legend labels (the paper's names): src/cloning/labels.ts. */
export const METHOD_LABELS: Record<string, string> = STRATEGY_LABELS;
/** Figures where the methods wrap another algorithm get their own labels. */
const FIGURE_METHOD_LABELS: Partial<Record<string, Record<string, string>>> = {
  'fig5-dagger': { bc: DAGGER_LABELS.bc, apc: DAGGER_LABELS.apc },
  'fig6-kickstart': KICKSTART_LABELS,
};
export { METHOD_ORDER };

/** The legend label of `method` in `figure`; the error names the accepted methods. */
export function methodLabel(figure: string, method: string): string {
  const labels = FIGURE_METHOD_LABELS[figure] ?? METHOD_LABELS;
  const l = labels[method];
  if (l === undefined) throw new RangeError(`method of ${figure} must be one of ${Object.keys(labels).join(', ')}, got '${method}'`);
  return l;
}

/** How a figure is drawn (consumed by src/report's lineGrid). */
export interface PlotPlan {
  xTitle: string;
  yTitle: string;
  xLog: boolean;
  /** Row panels keyed by this result column (null: one row). */
  rowKey: string | null;
  /** Result column whose values are the lines (default 'method'; Figure 3: 'student'). */
  seriesKey?: string;
  /** Append this numeric column to each series label, e.g. the compression ratio: "128x32 (r=0.33)". */
  seriesSuffix?: { key: string; prefix: string };
  /** A result column mapped to line dashes (Figure 5: beta). */
  dash?: { key: string; styles: Record<string, 'solid' | 'dash'>; prefix: string };
  /** Draw each column's expert return (from the rows' `expertReturn`) as a reference line. */
  expertLine: boolean;
  /** Whether a larger y is better (return) or worse (error); orders the methods in the run's description. */
  higherIsBetter: boolean;
}

/** A figure's plan for a profile: its title, the paper's claim, task substitutions, scale, cell grid and how to draw it. */
export interface FigurePlan {
  id: FigureId;
  profile: ProfileName;
  /** Title drawn on the figure: what, which tasks (with substitutions), and the profile's scale. */
  title: string;
  /** What the paper claims with this figure (said in the notebook next to what this run shows). */
  paperClaim: string;
  /** One sentence per substituted task ("humanoid-run -> cheetah-run: ..."); empty when none. */
  substitutions: string[];
  /** The scale written on the figure: seeds, episodes, trajectories, ... */
  scale: Record<string, number | number[] | string>;
  grid: CellConfig[];
  plot: PlotPlan;
}

export { expertsRoot };

/** The checkpoint folder of `task`: <experts root>/<task>/<checkpoint> ('expert' unless named; 'half' for Figure 6). */
export function expertCheckpoint(task: string, checkpoint = 'expert'): string {
  return expertCheckpointDir(task, checkpoint);
}

/** Whether `task` has the expert checkpoint `checkpoint` (default 'expert'). */
export function hasExpert(task: string, checkpoint = 'expert'): boolean {
  return fs.existsSync(expertCheckpoint(task, checkpoint));
}

/** Fast tasks with experts that stand in for paper tasks whose expert is missing, nearest first. */
export const FALLBACK_TASKS = ['cheetah-run', 'cartpole-swingup'];
/** Stand-ins for the privileged-expert figure: a privileged observation group and a camera view. */
export const PRIVILEGED_FALLBACK_TASKS = ['reacher-easy'];
/** Random-shift augmentation of the student's camera in Figure 4 (pad and crop, pixels). */
export const IMAGE_SHIFT = 2;

/** First torso width of `task`'s expert (from its manifest), 256 when unknown. */
export function expertWidth(task: string): number {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(expertCheckpoint(task), 'manifest.json'), 'utf8'));
    const torso = m.config?.torso;
    return Array.isArray(torso) && torso.length > 0 ? Number(torso[0]) : 256;
  } catch {
    return 256;
  }
}

/**
 * The tasks a figure runs on: each paper task if its expert exists, else the first fallback with one
 * (each used once). Throws naming the expert paths looked at when none exists.
 */
export function resolveTasks(figure: string, paperTasks: string[], fallbacks: string[] = FALLBACK_TASKS, checkpoint = 'expert'): { tasks: string[]; substitutions: string[] } {
  const tasks: string[] = [];
  const substitutions: string[] = [];
  for (const t of paperTasks) {
    if (hasExpert(t, checkpoint)) {
      if (!tasks.includes(t)) tasks.push(t);
      continue;
    }
    const sub = fallbacks.find((f) => hasExpert(f, checkpoint));
    if (sub === undefined) continue;
    if (!tasks.includes(sub)) tasks.push(sub);
    substitutions.push(`${t} -> ${sub} (no trained ${t} ${checkpoint === 'expert' ? 'expert' : `'${checkpoint}' expert checkpoint`} in ${path.relative(packageRoot(), expertsRoot()) || expertsRoot()})`);
  }
  if (tasks.length === 0) {
    throw new Error(`${figure} needs a trained expert for one of ${[...paperTasks, ...fallbacks].join(', ')}; looked for ` +
      `${[...paperTasks, ...fallbacks].map((t) => expertCheckpoint(t, checkpoint)).join(', ')}. Train one (npm run train -- --task <task> ...) ` +
      `and save its checkpoint as <experts>/<task>/${checkpoint}.`);
  }
  return { tasks, substitutions };
}

/** The full profile's dataset sizes (paper Figure 2), and Insert Peg's longer range (to 10000 trajectories). */
const FULL_TRAJECTORIES = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const FULL_TRAJECTORIES_PEG = [...FULL_TRAJECTORIES, 2000, 5000, 10000];

/** Profile scales (this reproduction's choices; the paper evaluates with 150 episodes at action noise 0.2). */
interface Scale {
  seeds: number[];
  evalEpisodes: number;
  trajectories: number[];
  /** Gradient steps of each offline cloning run. */
  trainSteps: number;
  /** DAgger / kickstarting: environment steps of the whole run, how many points of the curve, episodes per point. */
  onlineSteps: number;
  curvePoints: number;
  onlineEvalEpisodes: number;
}

const SCALES: Record<ProfileName, Scale> = {
  quick: { seeds: [0], evalEpisodes: 4, trajectories: [1, 2], trainSteps: 200, onlineSteps: 4_000, curvePoints: 2, onlineEvalEpisodes: 4 },
  // Paper scale within this machine's budget (2 cores): 3 seeds, 150 evaluation episodes as the paper, 1 / 2 / 5
  // trajectories, 3000 cloning updates (with early stopping; the paper trains longer on larger datasets); online
  // methods 200k environment steps with 5 curve points of 50 episodes each (Figure 5's scale line says why not 150).
  paper: { seeds: [0, 1, 2], evalEpisodes: 150, trajectories: [1, 2, 5], trainSteps: 3_000, onlineSteps: 200_000, curvePoints: 5, onlineEvalEpisodes: 50 },
  // The paper's own ranges (Figure 2: 1 to 1000 trajectories, Insert Peg to 10000; DAgger and kickstarting to 2M
  // environment steps; the paper's kickstarting runs go to 1e9), 5 seeds, 150 episodes everywhere. Planned and
  // costed (npm run compute-table), not computed on this machine.
  full: { seeds: [0, 1, 2, 3, 4], evalEpisodes: 150, trajectories: FULL_TRAJECTORIES, trainSteps: 20_000, onlineSteps: 2_000_000, curvePoints: 10, onlineEvalEpisodes: 150 },
};

/**
 * The update budget of an offline cell with `trajectories` trajectories at the paper profile, in a figure whose
 * dataset sizes reach BUDGET_GROWS_FROM trajectories (Figures 2 and 3): BUDGET_PER_TRAJECTORY updates per trajectory,
 * at least the profile's trainSteps, and training runs until validation stops improving (patience), past the budget
 * if need be, up to BUDGET_EXTEND x the budget (trainer.ts extendWhileImproving); every dataset size of such a figure,
 * so that no point of it ends at its budget while validation still improves. Other figures (Figure 4 at one dataset
 * size) keep a final budget: cells that stopped there while still improving are counted in the figure's summary,
 * `coverage.endedImproving`. Stored cells that stopped on patience before the rule are migrated, not recomputed
 * (rekey.ts rekeyToUntilConverged).
 */
export const BUDGET_GROWS_FROM = 10;
/** Updates per trajectory of a budget that grows with the dataset (see BUDGET_GROWS_FROM). */
export const BUDGET_PER_TRAJECTORY = 300;
/** The largest multiple of its budget that a cell trains to while validation keeps improving (see BUDGET_GROWS_FROM). */
export const BUDGET_EXTEND = 4;

/** The budget fields of an offline cell (see BUDGET_GROWS_FROM): trainSteps, and extendWhileImproving where it applies. */
export function offlineBudget(profile: ProfileName, trajectories: number, trainSteps: number, untilConverged = true): { trainSteps: number; extendWhileImproving?: number } {
  if (profile !== 'paper' || !untilConverged) return { trainSteps };
  return { trainSteps: Math.max(trainSteps, BUDGET_PER_TRAJECTORY * trajectories), extendWhileImproving: BUDGET_EXTEND };
}

/**
 * Cloning settings shared by the figures (paper section 5: dataset and evaluation action noise 0.2). sigma_s and M
 * are defaults here; at the paper profile each task uses the pair chosen on its validation data (selection.ts).
 */
const CLONING = { datasetNoise: 0.2, evalNoise: 0.2, numAugmented: 16, sigmaS: 0.1, batchSize: 256 };

/** The selection cells of `task` at `profile` for `method` and a sigma_s form (same datasets, updates and batch as the offline figures). */
export function selectionPlan(task: string, profile: ProfileName, method: SelectedMethod = 'apc', scale: SigmaScale = 'raw'): CellConfig[] {
  const s = SCALES[profile];
  if (!s) throw new RangeError(`profile must be one of ${Object.keys(SCALES).join(', ')}, got '${profile}'`);
  return selectionGrid(task, selectionBase(s), method, scale);
}

function selectionBase(s: Scale): SelectionBase {
  return { datasetNoise: CLONING.datasetNoise, evalNoise: CLONING.evalNoise, batchSize: CLONING.batchSize, trainSteps: s.trainSteps };
}

/** Cloning settings of a cell: CLONING with a selected sigma_s and M, and the form of sigma_s when not the raw one. */
type Cloning = typeof CLONING & { sigmaScale?: SigmaScale };

/**
 * CLONING with `task`'s sigma_s and M for `method` (defaults where no complete selection is stored): APC's own choice
 * for 'apc' (and 'bc', which ignores them); Naive ABC's own for 'naive-abc', APC's until one is stored. `forms`: the
 * sigma_s forms allowed to compete (the online figures keep the paper's raw form).
 */
function cloningFor(task: string, profile: ProfileName, method: string = 'apc', forms: readonly SigmaScale[] = SIGMA_SCALES): { cloning: Cloning; selected: Selected } {
  // The quick profile (npm test's smoke runs) never reads a selection and takes the smallest M of the selection
  // grid: with M 16 a quick Naive ABC cell on humanoid-run took 153 s against BC's 20 s (17x the rows; beside two sweeps).
  const defaults = profile === 'quick' ? { ...CLONING, numAugmented: Math.min(...SELECTION_GRID.numAugmented) } : CLONING;
  const base = selectionBase(SCALES[profile]);
  let selected = selectedCloning(task, base, profile, defaults, undefined, 'apc', forms);
  if (method === 'naive-abc') {
    const own = selectedCloning(task, base, profile, defaults, undefined, 'naive-abc', forms);
    if (own.source === 'validation') selected = own;
  }
  return { cloning: { ...defaults, sigmaS: selected.sigmaS, numAugmented: selected.numAugmented, ...sigmaScaleField(selected.sigmaScale) }, selected };
}

/** The scale entry naming each task's sigma_s and M per method and where they came from. */
function selectionText(tasks: string[], profile: ProfileName, methods: string[] = ['apc'], forms: readonly SigmaScale[] = SIGMA_SCALES): string {
  const one = (sel: Selected) => `sigma_s ${sel.sigmaS}${sel.sigmaScale === 'raw' ? '' : ' x expert std'} M ${sel.numAugmented}`;
  // Which form won: 'raw form won', or a tie within FORM_MARGIN that keeps raw ('raw form kept, expert-std within 10%').
  const form = (sel: Selected) => (sel.forms && sel.forms.length > 1
    ? (sel.tie ? `, raw form kept (${sel.tie.form} within ${Math.round(FORM_MARGIN * 100)}%)` : `, ${sel.sigmaScale} form won`) : '');
  return tasks.map((t) => {
    const apc = cloningFor(t, profile, 'apc', forms).selected;
    const parts = [`${t} ${one(apc)} (${apc.source === 'validation' ? `chosen on validation${form(apc)}` : 'defaults'})`];
    if (methods.includes('naive-abc')) {
      const naive = cloningFor(t, profile, 'naive-abc', forms).selected;
      parts.push(naive.selectedBy === 'naive-abc' ? `Naive ABC ${one(naive)} (its own validation${form(naive)})` :
        "Naive ABC APC's (no Naive ABC selection stored)");
    }
    return parts.join(', ');
  }).join('; ');
}

/** grid() once per task, with that task's cloning settings and its expert's checkpoint and sha256. */
function perTaskGrid(tasks: string[], profile: ProfileName, axes: (task: string, cloning: Cloning) => Record<string, unknown[]>, checkpoint = 'expert', forms: readonly SigmaScale[] = SIGMA_SCALES): CellConfig[] {
  return tasks.flatMap((t) => grid({ ...axes(t, cloningFor(t, profile, 'apc', forms).cloning), ...oneOf(expertFields(t, checkpoint)) }) as unknown as CellConfig[]);
}

/** The online figures (DAgger, kickstarting) keep the paper's raw sigma_s. */
const ONLINE_FORMS: readonly SigmaScale[] = ['raw'];

function grid<T extends Record<string, unknown>>(axes: { [K in keyof T]: T[K][] }): T[] {
  let cells: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(axes) as [string, unknown[]][]) {
    cells = cells.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  }
  return cells as T[];
}

function scaleText(s: Record<string, number | number[] | string>): string {
  // Long lists as their range and count: "trajectories 1-100 (7 values)".
  return Object.entries(s).map(([k, v]) => `${k} ${Array.isArray(v) ? (v.length > 4 ? `${v[0]}-${v[v.length - 1]} (${v.length} values)` : v.join(',')) : v}`).join(', ');
}

/** Greedy line wrap of `parts` (joined by `sep`) at `width` characters, lines joined by <br>. */
function wrap(parts: string[], sep: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const p of parts) {
    const next = line === '' ? p : `${line}${sep}${p}`;
    if (line !== '' && next.length > width) {
      lines.push(line + sep.trimEnd());
      line = p;
    } else line = next;
  }
  if (line !== '') lines.push(line);
  return lines.join('<br>');
}

/** Figure title: what and where, the substitutions, then the profile's scale in small type, wrapped to fit a panel. */
function title(what: string, tasks: string[], substitutions: string[], profile: ProfileName, scale: Record<string, number | number[] | string>): string {
  const head = wrap(`${what}: ${tasks.join(', ')}`.split(' '), ' ', 60);
  const sub = substitutions.length > 0 ? `<br>${wrap(`[SUBSTITUTED: ${substitutions.map((s) => s.split(' (')[0]).join('; ')}]`.split(' '), ' ', 60)}` : '';
  return `${head}${sub}<br><sup>${wrap(`profile ${profile}: ${scaleText(scale)}`.split(', '), ', ', 80)}</sup>`;
}

/** The plan of figure `id` under `profile`. */
export function figurePlan(id: FigureId, profile: ProfileName): FigurePlan {
  if (!(FIGURE_IDS as readonly string[]).includes(id)) throw new RangeError(`figure id must be one of ${FIGURE_IDS.join(', ')}, got '${id}'`);
  const s = SCALES[profile];
  if (!s) throw new RangeError(`profile must be one of ${Object.keys(SCALES).join(', ')}, got '${profile}'`);
  const methods = CLONING_METHODS;
  switch (id) {
    case 'fig1-toy': {
      // The quick profile also trains each toy student for 1000 updates instead of the toy's 3000 (npm test's
      // smoke run of notebook 00: 12 cells took ~3 min of CPU at 3000).
      const quick = profile === 'quick';
      const scale = { seeds: quick ? [0, 1] : [0, 1, 2, 3, 4], datasetSizes: quick ? [2, 8] : [1, 2, 4, 8, 16, 32], ...(quick ? { updates: 1000 } : {}) };
      return {
        id, profile, substitutions: [], scale,
        title: `Toy problem: student error vs dataset size<br><sup>profile ${profile}: ${scaleText(scale)}</sup>`,
        paperClaim: 'Querying the expert at perturbed states (APC) gives the student the expert\'s local feedback, so it ' +
          'matches the expert from far fewer recorded states than BC; perturbing states but keeping the recorded ' +
          'action (Naive ABC) teaches the wrong local behaviour (paper Figure 1 and section 4).',
        grid: grid({ figure: ['fig1-toy'], method: methods, datasetSize: scale.datasetSizes, seed: scale.seeds, ...(quick ? { numUpdates: [1000] } : {}) }),
        plot: { xTitle: 'recorded states (dataset size)', yTitle: 'student error', xLog: true, rowKey: null, expertLine: false, higherIsBetter: false },
      };
    }
    case 'fig2-offline':
      return offlinePlan(id, profile, {
        what: 'Offline policy cloning', paperTasks: ['humanoid-run', 'manipulator-insert-peg', 'humanoid-walls'],
        paperClaim: 'With few expert trajectories APC reaches expert-level return while BC and Naive ABC need many more ' +
          'trajectories (paper Figure 2).',
        // To 100 trajectories and 5 seeds (the paper: to 1000, the full profile's range). The figure draws the cells
        // stored so far and says how many of the planned ones that is.
        ...(profile === 'paper' ? { seeds: [0, 1, 2, 3, 4], trajectories: [1, 2, 5, 10, 20, 50, 100] } : {}),
      });
    case 'fig3-compression': {
      // The paper's students (Figure 3): [256], [256, 64], [256, 256] against the expert's [256, 256, 256]. A
      // substituted task's expert may be narrower: widths then scale by its width / 256 (cheetah-run's [128, 128]
      // expert gets [128], [128, 32], [128, 128], [128, 128, 128]), so the students still span r < 1 to r > 1.
      // The full profile has the paper's three columns (Run, Walls, Insert Peg); the paper profile Run only.
      const fig3Tasks = profile === 'full' ? ['humanoid-run', 'humanoid-walls', 'manipulator-insert-peg'] : ['humanoid-run'];
      const { tasks } = resolveTasks(id, fig3Tasks);
      const width = expertWidth(tasks[0]);
      const paperStudents = [[256], [256, 64], [256, 256], [256, 256, 256]];
      const students = profile === 'quick' ? [[64, 64]] : paperStudents.map((t) => t.map((n) => Math.max(1, Math.round((n * width) / 256))));
      const expertTorso = expertTorsoOf(tasks[0]);
      return offlinePlan(id, profile, {
        // As the paper's Figure 3: rows are methods, lines are students, each labelled with the paper's compression
        // ratio r = product of the expert's torso widths / product of the student's (256^3 / widths: [256] 65536,
        // [256, 64] 1024, [256, 256] 256, [256, 256, 256] 1). The rows also carry compressionRatio, the ratio of
        // parameter counts (student / expert), which the scale names as such.
        what: 'Expert compression (smaller students)', paperTasks: fig3Tasks, rowKey: 'method',
        series: { key: 'student', suffix: { key: 'r', prefix: 'r=' } },
        paperClaim: 'APC transfers the expert into students with far fewer parameters; the gap to BC grows as data shrinks ' +
          '(paper Figure 3).',
        axes: { studentTorso: students },
        scale: {
          students: students.map((t) => `${t.join('x')} (r=${compressionR(expertTorso, t)})`).join(' / '),
          r: `product of the expert's torso widths (${expertTorso.join('x')}) / product of the student's; parameter-count ratios are the rows' compressionRatio`,
        },
        // 4 students x 3 methods: fewer seeds and dataset sizes than Figure 2, and M at most 4, fit this machine's budget.
        ...(profile === 'paper' ? { seeds: [0, 1, 2], trajectories: [1, 5, 20, 50], maxAugmented: 4 } : profile === 'full' ? { seeds: [0, 1, 2], trajectories: [1, 5, 20, 50] } : {}),
      });
    }
    case 'fig4-privileged':
      // The student must see less than the expert; only tasks with a privileged observation group qualify.
      return offlinePlan(id, profile, {
        what: 'Cloning a privileged expert into a camera-reading student', paperTasks: ['manipulator-insert-peg', 'humanoid-walls'],
        // The stand-in must have a privileged group and a camera: reacher-easy's expert sees to_target, its student a
        // top-down depth image.
        fallbacks: PRIVILEGED_FALLBACK_TASKS,
        paperClaim: 'APC also helps when the expert reads privileged state the student cannot see: perturbations apply to ' +
          'the state-derived observations both share, and random-shift image augmentation of the student\'s camera adds to ' +
          'it (paper Figure 4).',
        axes: { studentView: ['student'], imageShift: [0, IMAGE_SHIFT] },
        scale: { imageShift: `0 / ${IMAGE_SHIFT} px` },
        // A camera student's update costs ~0.5 ms per row here (conv encoder on wasm), ~20x a state row: one dataset
        // size (2 trajectories), batch 32, M at most 4 and 1500 updates keep the 18 paper cells within ~45 min.
        ...(profile === 'paper'
          ? { trajectories: [2], trainSteps: 1_500, cloning: { batchSize: 32 }, maxAugmented: 4 }
          : profile === 'full'
            ? { seeds: [0, 1, 2], trajectories: [1, 2, 5, 10, 20, 50] }
            : { trajectories: [1], cloning: { batchSize: 16, numAugmented: 2 } }),
      });
    case 'fig5-dagger': {
      const { tasks, substitutions } = resolveTasks(id, profile === 'full' ? ['humanoid-run', 'humanoid-walls'] : ['humanoid-run']);
      // The paper evaluates every point over 150 episodes. These 12 cells took 4.0 core-hours (npm run compute-table)
      // and are not yet recomputed at 150: the figure says so.
      const episodes = profile === 'paper' ? `${s.onlineEvalEpisodes} per point (the paper: 150; not yet recomputed at 150, 4.0 core-hours)` : s.onlineEvalEpisodes;
      const scale = { seeds: s.seeds, evalEpisodes: episodes, envSteps: s.onlineSteps, beta: [0, 0.3], cloning: selectionText(tasks, profile, ['apc'], ONLINE_FORMS) };
      return {
        id, profile, substitutions, scale,
        title: title('DAgger with and without APC (beta 0 solid, 0.3 dashed)', tasks, substitutions, profile, scale),
        paperClaim: 'Inside DAgger, APC reaches the expert with far fewer environment steps than plain DAgger, for both ' +
          'beta = 0 and beta = 0.3 (expert share of acting) (paper Figure 5).',
        grid: perTaskGrid(tasks, profile, (task, cloning) => ({ figure: [id], kind: ['dagger'], task: [task], method: ['bc', 'apc'], beta: [0, 0.3], seed: s.seeds, envSteps: [s.onlineSteps], curvePoints: [s.curvePoints], evalEpisodes: [s.onlineEvalEpisodes], ...oneOf(cloning) }), 'expert', ONLINE_FORMS),
        plot: { xTitle: 'environment steps', yTitle: 'return (noise 0.2)', xLog: false, rowKey: null, expertLine: true, higherIsBetter: true, dash: { key: 'beta', styles: { '0': 'solid', '0.3': 'dash' }, prefix: 'beta' } },
      };
    }
    case 'fig6-kickstart': {
      // The paper kickstarts from an expert at about half of optimal: each task's `half/` checkpoint teaches. Every arm
      // trains on the true task (dm_control's random initial pose, 1000 steps, no curriculum, no early termination,
      // no shaping) and is evaluated on it with the students' protocol, and the teacher's line is measured with
      // exactly that protocol (the rows' expertReturn).
      const { tasks, substitutions } = resolveTasks(id, profile === 'full' ? ['humanoid-run', 'humanoid-walls'] : ['humanoid-run'], FALLBACK_TASKS, KICKSTART_TEACHER);
      const k = KICKSTART[profile];
      const scale = {
        seeds: s.seeds, evalEpisodes: k.evalEpisodes, evalNoise: CLONING.evalNoise, envSteps: s.onlineSteps, curvePoints: k.curvePoints,
        teacher: `${KICKSTART_TEACHER}/ checkpoint (about half of the expert's return)`, lambda: `${KICKSTART_ARMS[1].lambda} (control arm 2x)`,
        training: 'true task for every arm, RL only included (random initial pose, 1000 steps, no early termination, no shaping)',
        evaluation: `true task, action noise ${CLONING.evalNoise}, the teacher likewise; the untrained policy is not evaluated`,
        cloning: selectionText(tasks, profile, ['apc'], ONLINE_FORMS),
      };
      return {
        id, profile, substitutions, scale,
        title: title('Kickstarting RL from the half expert (lambda x cross-entropy)', tasks, substitutions, profile, scale),
        paperClaim: 'Kickstarting with the APC cross-entropy on perturbed visited states learns faster than kickstarting ' +
          'on visited states only, and both beat RL from scratch (paper Figure 6).',
        grid: tasks.flatMap((task) => {
          const cloning = cloningFor(task, profile, 'apc', ONLINE_FORMS).cloning;
          return KICKSTART_ARMS.flatMap((arm) => s.seeds.map((seed) => ({
            figure: id, kind: 'kickstart', task, method: arm.method, lambda: arm.lambda, seed, envSteps: s.onlineSteps, curvePoints: k.curvePoints,
            evalEpisodes: k.evalEpisodes, evalNoise: CLONING.evalNoise, evalMode: 'noise', evalTaskOptions: {}, trainTaskOptions: {}, earlyTermination: false,
            numAugmented: cloning.numAugmented, sigmaS: cloning.sigmaS, ...expertFields(task, KICKSTART_TEACHER),
          })));
        }),
        plot: { xTitle: 'environment steps', yTitle: `return (true task, noise ${CLONING.evalNoise})`, xLog: false, rowKey: null, expertLine: true, higherIsBetter: true },
      };
    }
  }
}

/** Figure 6's teacher checkpoint. */
export const KICKSTART_TEACHER = 'half';
/** Figure 6's arms: RL only, kickstarting (lambda), the control arm kickstarting (2 lambda), kickstarting + APC. */
export const KICKSTART_ARMS = [
  { method: 'rl', lambda: 0 }, { method: 'bc', lambda: 1 }, { method: 'bc', lambda: 2 }, { method: 'apc', lambda: 1 },
] as const;
/**
 * Figure 6's evaluations: the paper's 150 episodes at noise 0.2 at every curve point. A 150-episode true-task
 * evaluation of a humanoid policy took 50 s here, so the paper profile evaluates 4 points (50k, 100k, 150k, 200k
 * steps) rather than fewer episodes, keeping a cell within ~12 min on one core.
 */
const KICKSTART: Record<ProfileName, { evalEpisodes: number; curvePoints: number }> = {
  quick: { evalEpisodes: 4, curvePoints: 2 },
  paper: { evalEpisodes: 150, curvePoints: 4 },
  full: { evalEpisodes: 150, curvePoints: 10 },
};

/** The torso of `task`'s expert (its manifest), [256, 256, 256] when unknown. */
export function expertTorsoOf(task: string): number[] {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(expertCheckpoint(task), 'manifest.json'), 'utf8'));
    const torso = m.config?.torso;
    return Array.isArray(torso) && torso.length > 0 ? torso.map(Number) : [256, 256, 256];
  } catch {
    return [256, 256, 256];
  }
}

/** The paper's compression ratio r (Figure 3): product of the expert's torso widths / product of the student's. */
export function compressionR(expertTorso: number[], studentTorso: number[]): number {
  const prod = (t: number[]) => t.reduce((a, b) => a * b, 1);
  if (studentTorso.length === 0 || studentTorso.some((w) => !(Number.isInteger(w) && w > 0))) throw new RangeError(`student torso must be positive integer widths, got ${JSON.stringify(studentTorso)}`);
  return prod(expertTorso) / prod(studentTorso);
}

const CLONING_METHODS = ['bc', 'naive-abc', 'apc'];

/** Offline cloning figures (2, 3, 4): methods x dataset sizes x seeds per task, plus figure-specific axes. */
function offlinePlan(
  id: FigureId,
  profile: ProfileName,
  o: {
    what: string; paperTasks: string[]; fallbacks?: string[]; paperClaim: string; rowKey?: string; axes?: Record<string, unknown[]>; scale?: Record<string, string>;
    series?: { key: string; suffix?: { key: string; prefix: string } };
    /** Per-figure overrides of the profile's seeds, dataset sizes, updates and cloning settings; a cap on M. */
    seeds?: number[]; trajectories?: number[]; trainSteps?: number; cloning?: Partial<typeof CLONING>; maxAugmented?: number;
  },
): FigurePlan {
  const base = SCALES[profile];
  const s = { ...base, seeds: o.seeds ?? base.seeds, trajectories: o.trajectories ?? base.trajectories, trainSteps: o.trainSteps ?? base.trainSteps };
  const cap = (c: Cloning) => (o.maxAugmented !== undefined ? { ...c, numAugmented: Math.min(c.numAugmented, o.maxAugmented) } : c);
  const { tasks, substitutions } = resolveTasks(id, o.paperTasks, o.fallbacks);
  const grows = profile === 'paper' && s.trajectories.some((n) => n >= BUDGET_GROWS_FROM);
  const scale = {
    seeds: s.seeds, evalEpisodes: s.evalEpisodes, trajectories: s.trajectories,
    trainSteps: grows ? `until validation stops improving, budget max(${s.trainSteps}, ${BUDGET_PER_TRAJECTORY} x trajectories) extended up to ${BUDGET_EXTEND}x` : s.trainSteps,
    ...o.scale, cloning: selectionText(tasks, profile, CLONING_METHODS),
    ...(o.maxAugmented !== undefined ? { 'M at most': o.maxAugmented } : {}),
  };
  return {
    id, profile, substitutions, scale, paperClaim: o.paperClaim,
    title: title(o.what, tasks, substitutions, profile, scale),
    // Per method: APC carries its sigma_s and M, Naive ABC its own (selection.ts); BC none, since it perturbs nothing
    // (its cells keep their keys whatever the selection chooses).
    grid: tasks.flatMap((task) => CLONING_METHODS.flatMap((method) =>
      (profile === 'full' && o.trajectories === undefined && task === 'manipulator-insert-peg' ? FULL_TRAJECTORIES_PEG : s.trajectories).flatMap((n) => grid({
        figure: [id], kind: ['offline'], task: [task], method: [method], ...o.axes,
        trajectories: [n], seed: s.seeds,
        ...oneOf(offlineBudget(profile, n, s.trainSteps, grows)), evalEpisodes: [s.evalEpisodes], ...oneOf(withoutPerturbation(method, cap({ ...cloningFor(task, profile, method).cloning, ...o.cloning }))),
        ...oneOf(expertFields(task)),
      }) as unknown as CellConfig[]))),
    plot: {
      xTitle: 'expert trajectories in the dataset', yTitle: 'return (noise 0.2)', xLog: true, rowKey: o.rowKey ?? null, expertLine: true, higherIsBetter: true,
      ...(o.series ? { seriesKey: o.series.key, seriesSuffix: o.series.suffix } : {}),
    },
  };
}

/** The cell fields BC ignores (it perturbs nothing): sigma_s, M and the form of sigma_s. */
export const BC_IGNORED_FIELDS = ['sigmaS', 'numAugmented', 'sigmaScale'] as const;

/** `cloning` without BC_IGNORED_FIELDS for 'bc', as it is for the perturbing methods. */
function withoutPerturbation(method: string, cloning: Cloning): Partial<Cloning> {
  if (method !== 'bc') return cloning;
  const out: Partial<Cloning> = { ...cloning };
  for (const k of BC_IGNORED_FIELDS) delete out[k];
  return out;
}

function oneOf<T extends Record<string, unknown>>(o: T): { [K in keyof T]: T[K][] } {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [v]])) as { [K in keyof T]: T[K][] };
}

/** Result columns that identify one curve point of the plan (the rest, e.g. seed, are averaged over). */
export function groupKeys(plan: FigurePlan): string[] {
  const keys = ['task', 'method', 'x', plan.plot.rowKey, plan.plot.seriesKey, plan.plot.dash?.key].filter((k): k is string => typeof k === 'string');
  return [...new Set(keys)];
}
