// MLPerf LoadGen's early-stopping criterion (loadgen/early_stopping.cc, results.cc EarlyStopping), with
// LoadGen's constants: confidence 0.99, tolerance 0.
//
// If the true rate of queries slower than the p-th percentile latency is 1 - p, the chance of seeing at
// most t of them among h + t queries is the binomial CDF, which equals the regularized incomplete beta
// I_p(h, t + 1). With h + t queries of which at most t exceed some latency L, we may claim with
// confidence c that L bounds the p-th percentile once that chance is below 1 - c. So for a run of n
// queries the estimate is the largest t with h(t) + t <= n, and the latency of the t-th slowest query:
// the t - 1 highest latencies are discarded.

const CONFIDENCE = 0.99;
const TOLERANCE = 0;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
function logGamma(x: number): number {
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = coefficients[0] as number;
  for (let i = 1; i < coefficients.length; i++) sum += (coefficients[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a + 1) / (a + b + 2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let result = d;
  for (let m = 1; m <= 1_000_000; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + even * d;
    c = 1 + even / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    result *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + odd * d;
    c = 1 + odd / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    const delta = d * c;
    result *= delta;
    if (Math.abs(delta - 1) < 1e-15) return result;
  }
  throw new Error(`incomplete beta did not converge for x=${x} a=${a} b=${b}`);
}

/** Regularized incomplete beta I_x(a, b) for 0 < x < 1 and a, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - (logGamma(a) + logGamma(b) - logGamma(a + b));
  // The fraction converges fast only on one side of the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** LoadGen's odds(h, t, p, d): the chance of at most t overlatency queries among h + t. */
function overLatencyOdds(h: number, t: number, percentile: number): number {
  return regularizedIncompleteBeta(percentile - TOLERANCE, h, t + 1);
}

/** The least h such that h + t queries with at most t over a latency bound the `percentile` (a fraction,
 *  0.9 for p90) at confidence 0.99 (LoadGen's find_min_passing). The odds fall as h grows, so a doubling
 *  search followed by bisection finds it. */
export function minPassingQueries(overLatencyCount: number, percentile: number): number {
  const passes = (h: number) => overLatencyOdds(h, overLatencyCount, percentile) < 1 - CONFIDENCE;
  let high = 1;
  while (!passes(high)) high *= 2;
  if (high === 1) return 1;
  let low = high / 2 + 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (passes(mid)) high = mid;
    else low = mid + 1;
  }
  return high;
}

/** The fewest queries that give any early-stopping estimate of the `percentile` (a fraction): LoadGen's
 *  h_min + 1 with one overlatency query; 64 for p90, 662 for p99. A run with fewer is INVALID. */
export function earlyStoppingMinQueries(percentile: number): number {
  return minPassingQueries(1, percentile) + 1;
}

export interface PercentileEarlyStopping {
  /** Enough queries for any estimate (LoadGen's h_min + 1: 64 for p90, 662 for p99). */
  satisfied: boolean;
  minQueries: number;
  /** The latency that bounds the percentile with 99% confidence; null when not satisfied. */
  estimateNs: number | null;
  /** How many of the highest latencies the estimate discards (t - 1); null when not satisfied. */
  discardedQueries: number | null;
}

/** SingleStream / MultiStream early stopping over ascending latencies (one per query). */
export function percentileEarlyStopping(sortedLatencies: ArrayLike<number>, percentile: number): PercentileEarlyStopping {
  const n = sortedLatencies.length;
  const minQueries = earlyStoppingMinQueries(percentile);
  if (n < minQueries) return { satisfied: false, minQueries, estimateNs: null, discardedQueries: null };
  // h(t) + t grows with t: bisect for the largest t with h(t) + t <= n (LoadGen scans t = 2, 3, ...).
  let low = 1;
  let high = n;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (minPassingQueries(mid, percentile) + mid <= n) low = mid;
    else high = mid - 1;
  }
  return { satisfied: true, minQueries, estimateNs: sortedLatencies[n - low] as number, discardedQueries: low - 1 };
}

export interface ServerEarlyStopping {
  satisfied: boolean;
  /** Queries the run needed, given its overlatency count, to show the percentile meets the bound. */
  minQueries: number;
}

/** Server early stopping: with t queries over the latency bound, at least h(t) + t queries are needed. */
export function serverEarlyStopping(queryCount: number, overLatencyCount: number, percentile: number): ServerEarlyStopping {
  const minQueries = minPassingQueries(overLatencyCount, percentile) + overLatencyCount;
  return { satisfied: queryCount >= minQueries, minQueries };
}
