/**
 * The README's results table, generated from the committed figure summaries (figures/*.summary.json): per figure,
 * task (and student / beta) and headline comparison, the paired mean difference with its p-value at each x, and n.
 * It sits between RESULTS_BEGIN and RESULTS_END in README.md; `npm run results-table` rewrites that block only,
 * `npm run results-table -- --check` exits 1 when the README disagrees with the summaries.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIGURE_IDS } from '../experiments/figures';
import { figuresDir, packageRoot, writeFileAtomic } from '../experiments/paths';
import { ALPHA, comparisonGroups, fmtP, fmtX, fmtSigned, readSummary, type FigureSummary } from './summary';

/** The block's markers (the table between them is generated from figures/*.summary.json: do not edit it by hand). */
export const RESULTS_BEGIN = '<!-- results:begin -->';
/** The line that ends the block. */
export const RESULTS_END = '<!-- results:end -->';

/** The summaries of the paper profile's figures found in `dir`, in figure order. */
export function loadSummaries(dir: string = figuresDir('paper')): FigureSummary[] {
  return FIGURE_IDS.map((id) => path.join(dir, `${id}.summary.json`)).filter((f) => fs.existsSync(f)).map(readSummary);
}

/** The table's markdown (without the markers). */
export function resultsTable(summaries: FigureSummary[]): string {
  const lines = [
    `| figure | panel | a − b | mean difference a − b at each x (paired p; **bold**: p < ${ALPHA}) | n seeds |`,
    '|---|---|---|---|---|',
  ];
  for (const s of summaries) {
    for (const g of comparisonGroups(s.comparisons).filter((q) => q.headline)) {
      const cells = g.items.map((c) => {
        const text = `${fmtX(c.x)}: ${fmtSigned(c.meanDiff)} (p ${fmtP(c.p)})`;
        return c.p !== null && c.p < ALPHA ? `**${text}**` : text;
      });
      const ns = [...new Set(g.items.map((c) => c.n))];
      lines.push(`| ${s.figure} | ${g.panel} | ${g.a} − ${g.b} | ${s.xUnit}: ${cells.join(' · ')} | ${ns.join('/')} |`);
    }
  }
  return lines.join('\n');
}

/** The whole generated block, markers included. */
export function resultsBlock(summaries: FigureSummary[]): string {
  return `${RESULTS_BEGIN}\n${resultsTable(summaries)}\n${RESULTS_END}`;
}

/** The generated block of `readme` between `begin` and `end` (markers included); the error names the markers. */
export function markedBlock(readme: string, begin: string, end: string, what: string): string {
  const i = readme.indexOf(begin);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md has no ${what} block (a line '${begin}' followed by '${end}')`);
  return readme.slice(i, j + end.length);
}

/** The results block README.md holds now (markers included). */
export function readmeBlock(readme: string): string {
  return markedBlock(readme, RESULTS_BEGIN, RESULTS_END, 'results');
}

/** README text with its results block replaced by `block`. */
export function withResultsBlock(readme: string, block: string): string {
  return readme.replace(readmeBlock(readme), () => block);
}

/**
 * The command behind a generated README block: rewrite the block between `begin` and `end` with `block()` (only
 * that block), or with `--check` exit 1 when the README disagrees, naming `source` and the command that mends it.
 */
export function readmeBlockCommand(name: string, what: string, source: string, begin: string, end: string, block: () => string, argv: string[]): number {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`${name}: unknown argument ${unknown[0]}\nusage: npm run ${name} [-- --check]`);
    return 2;
  }
  const file = path.join(packageRoot(), 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  let current: string;
  try {
    current = markedBlock(readme, begin, end, what);
  } catch (err) {
    console.error(`${name}: ${(err as Error).message}`);
    return 1;
  }
  const next = block();
  if (check) {
    if (current === next) return 0;
    console.error(`${name}: README.md's ${what} table differs from ${source}; run npm run ${name}`);
    return 1;
  }
  if (current !== next) writeFileAtomic(file, readme.replace(current, () => next));
  console.log(`${name}: README.md ${current === next ? 'already up to date' : 'updated'}`);
  return 0;
}

if (require.main === module) process.exitCode = readmeBlockCommand('results-table', 'results', 'figures/*.summary.json', RESULTS_BEGIN, RESULTS_END, () => resultsBlock(loadSummaries()), process.argv.slice(2));
