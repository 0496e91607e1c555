/**
 * Small-sample statistics over seeds: Student's t distribution (CDF and quantile, through the regularised
 * incomplete beta function), the mean with its t confidence interval, and the paired t-test. Methods of a figure
 * share seeds, datasets and evaluation starts, so a comparison pairs its two methods seed by seed.
 */

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-13). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) return h;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), 0 <= x <= 1, a, b > 0. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incompleteBeta needs a > 0 and b > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incompleteBeta needs 0 <= x <= 1, got ${x}`);
  if (x === 0 || x === 1) return x;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) above.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

function checkDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`degrees of freedom must be a finite number > 0, got ${df}`);
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) throw new RangeError('t must be a number, got NaN');
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5); // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

/** Two-sided tail probability P(|T| >= |t|). */
export function tTwoSided(t: number, df: number): number {
  checkDf(df);
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The p-quantile of Student's t with `df` degrees of freedom (0 < p < 1), by bisection on tCdf to 1e-12. */
export function tQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean of `xs` with its two-sided t confidence interval at `level`; with n < 2 the interval is null. */
export interface MeanInterval {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); null with n < 2. */
  std: number | null;
  ciLow: number | null;
  ciHigh: number | null;
}

/** Mean of `xs` with its `level` confidence interval (t distribution); the interval is null with fewer than 2 values. */
export function meanInterval(xs: readonly number[], level = 0.95): MeanInterval {
  if (xs.length === 0) throw new RangeError('meanInterval needs at least one value');
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (!xs.every(Number.isFinite)) throw new RangeError(`values must be finite numbers, got ${xs.join(', ')}`);
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, std: null, ciLow: null, ciHigh: null };
  const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(1 - (1 - level) / 2, n - 1) * (std / Math.sqrt(n));
  return { n, mean, std, ciLow: mean - half, ciHigh: mean + half };
}

/** A paired comparison of a against b: the mean difference a - b, its CI, t and the two-sided p (null with n < 2). */
export interface PairedTest extends MeanInterval {
  t: number | null;
  p: number | null;
}

/**
 * Paired two-sided t-test of a against b (a[i] and b[i] measured on the same seed). All differences equal: p is 0
 * when they are not zero (no spread, a certain difference) and 1 when they are.
 */
export function pairedTTest(a: readonly number[], b: readonly number[], level = 0.95): PairedTest {
  if (a.length !== b.length) throw new RangeError(`paired samples must have the same length, got ${a.length} and ${b.length}`);
  const d = a.map((x, i) => x - b[i]);
  const m = meanInterval(d, level);
  if (m.n < 2 || m.std === null) return { ...m, t: null, p: null };
  if (m.std === 0) return { ...m, t: m.mean === 0 ? 0 : Math.sign(m.mean) * Infinity, p: m.mean === 0 ? 1 : 0 };
  const t = m.mean / (m.std / Math.sqrt(m.n));
  return { ...m, t, p: tTwoSided(t, m.n - 1) };
}
