// Stability figures MLPerf does not give but NPU buyers ask for: run-to-run variation across repeats,
// and thermal drift (a device that throttles as it heats gets slower towards the end of a run).
import { percentileOfSorted } from './latency-percentiles.js';

const p50 = (latencies: ArrayLike<number>) => percentileOfSorted(Float64Array.from(latencies).sort(), 0.5);

/** Sample coefficient of variation (n - 1 denominator) in percent; null for fewer than two values. */
export function coefficientOfVariationPct(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  return (Math.sqrt(variance) / mean) * 100;
}

export interface ThermalDrift {
  firstTenthP50Ns: number;
  lastTenthP50Ns: number;
  /** (last - first) / first in percent; negative when the run got faster. */
  slowdownPct: number;
}

/** Compares the p50 of the first and the last tenth of a run's latencies, in issue order. A tenth is at
 *  least one query, so short runs compare single queries (noisy, but still defined). */
export function thermalDrift(latenciesInIssueOrder: ArrayLike<number>): ThermalDrift {
  const n = latenciesInIssueOrder.length;
  if (n === 0) throw new RangeError('thermalDrift needs at least one latency');
  const tenth = Math.max(1, Math.floor(n / 10));
  const all = Float64Array.from(latenciesInIssueOrder);
  const firstTenthP50Ns = p50(all.subarray(0, tenth));
  const lastTenthP50Ns = p50(all.subarray(n - tenth));
  return { firstTenthP50Ns, lastTenthP50Ns, slowdownPct: ((lastTenthP50Ns - firstTenthP50Ns) / firstTenthP50Ns) * 100 };
}
