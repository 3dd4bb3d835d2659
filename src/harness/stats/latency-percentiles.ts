// Latency statistics computed the way MLPerf LoadGen computes them (loadgen/results.cc,
// PerformanceSummary::ProcessLatencies), so our numbers line up with MLPerf submissions:
//   - latencies are sorted ascending;
//   - the percentile p (a fraction, LoadGen's 0.9 for "90th") is sorted[size_t(count * p)]: the product is
//     a double and the conversion to an index truncates, i.e. index = floor(count * p), with no
//     interpolation (nearest rank, rounding the rank down);
//   - the mean is the integer sum divided by the count with integer division (truncated).
// LoadGen asserts p < 1; we accept p = 1 and clamp the index to the last sample, which yields the maximum.

export interface LatencySummary {
  count: number;
  minNs: number;
  maxNs: number;
  /** Truncated to a whole nanosecond, as LoadGen does. */
  meanNs: number;
  // LoadGen's default latency_percentiles list.
  p50Ns: number;
  p90Ns: number;
  p95Ns: number;
  p97Ns: number;
  p99Ns: number;
  p999Ns: number;
}

/** Nearest-rank percentile of ascending `sorted` latencies; `fraction` is in [0, 1] (0.9 = 90th). */
export function percentileOfSorted(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) throw new RangeError('percentileOfSorted needs at least one value');
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`percentile fraction ${fraction} is outside [0, 1]`);
  const index = Math.min(Math.floor(sorted.length * fraction), sorted.length - 1);
  return sorted[index] as number;
}

/** Summary of integer nanosecond latencies; the input is not modified. */
export function summarizeLatencies(latenciesNs: ArrayLike<number>): LatencySummary {
  const count = latenciesNs.length;
  if (count === 0) throw new RangeError('summarizeLatencies needs at least one latency');
  // A typed array sorts numerically, and fast.
  const sorted = Float64Array.from(latenciesNs).sort();
  let sum = 0;
  for (const latency of sorted) sum += latency;
  return {
    count,
    minNs: sorted[0] as number,
    maxNs: sorted[count - 1] as number,
    meanNs: Math.floor(sum / count),
    p50Ns: percentileOfSorted(sorted, 0.5),
    p90Ns: percentileOfSorted(sorted, 0.9),
    p95Ns: percentileOfSorted(sorted, 0.95),
    p97Ns: percentileOfSorted(sorted, 0.97),
    p99Ns: percentileOfSorted(sorted, 0.99),
    p999Ns: percentileOfSorted(sorted, 0.999),
  };
}
