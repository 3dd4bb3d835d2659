// Percentiles recomputed in the tests, independently of src/harness: MLPerf LoadGen's definition
// (loadgen/results.cc): sort ascending and take sorted[floor(count * p)], clamped to the last sample.
export function loadgenPercentile(latencies: number[], percent: number): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(Math.floor((sorted.length * percent) / 100), sorted.length - 1)]!;
}

export const latenciesOf = (queries: [number, number][]) => queries.map(([start, end]) => end - start);
