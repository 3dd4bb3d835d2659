import { describe, expect, it } from 'vitest';
import { percentileOfSorted, summarizeLatencies } from '../../src/harness/stats/latency-percentiles.js';

/** The nearest-rank definition LoadGen's sorted[floor(n * p)] implements, checked by brute force
 *  over the unsorted data: the value v with #(x < v) <= n*p < #(x <= v); p = 1 means the maximum. */
function bruteForcePercentile(values: number[], fraction: number): number {
  const rank = values.length * fraction;
  if (rank >= values.length) return Math.max(...values);
  const hit = values.find((v) => values.filter((x) => x < v).length <= rank && rank < values.filter((x) => x <= v).length);
  if (hit === undefined) throw new Error('no value satisfies the definition');
  return hit;
}

function shuffled(values: number[], seed: number): number[] {
  const out = [...values];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const FRACTIONS = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.97, 0.99, 0.999, 1];

describe('percentileOfSorted', () => {
  it('matches the brute-force nearest-rank definition on shuffled data with duplicates', () => {
    for (const n of [1, 2, 3, 7, 10, 99, 100, 101, 1000, 1023]) {
      const values = shuffled(
        Array.from({ length: n }, (_, i) => 1000 + ((i * 37) % Math.max(1, Math.floor(n / 2)))),
        n,
      );
      const sorted = Float64Array.from(values).sort();
      for (const fraction of FRACTIONS) {
        expect(percentileOfSorted(sorted, fraction), `n=${n} p=${fraction}`).toBe(bruteForcePercentile(values, fraction));
      }
    }
  });

  it('follows LoadGen on hand-checked cases', () => {
    expect(percentileOfSorted([42], 0.5)).toBe(42);
    expect(percentileOfSorted([42], 1)).toBe(42);
    expect(percentileOfSorted([10, 20], 0.49)).toBe(10); // floor(0.98) = 0
    expect(percentileOfSorted([10, 20], 0.5)).toBe(20); // floor(1) = 1
    expect(percentileOfSorted([10, 20], 1)).toBe(20); // clamped to the last index
    const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileOfSorted(oneToHundred, 0.9)).toBe(91); // sorted[90]
    expect(percentileOfSorted(oneToHundred, 0.99)).toBe(100);
    expect(percentileOfSorted(oneToHundred, 0.5)).toBe(51);
  });

  it('rejects empty input and fractions outside [0, 1]', () => {
    expect(() => percentileOfSorted([], 0.5)).toThrow(RangeError);
    expect(() => percentileOfSorted([1], 1.01)).toThrow(RangeError);
    expect(() => percentileOfSorted([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summarizeLatencies', () => {
  it('gives min, max, truncated mean and the LoadGen percentiles', () => {
    const values = shuffled(Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000), 7);
    const summary = summarizeLatencies(values);
    expect(summary).toEqual({
      count: 1000,
      minNs: 1000,
      maxNs: 1_000_000,
      meanNs: 500_500,
      p50Ns: bruteForcePercentile(values, 0.5),
      p90Ns: bruteForcePercentile(values, 0.9),
      p95Ns: bruteForcePercentile(values, 0.95),
      p97Ns: bruteForcePercentile(values, 0.97),
      p99Ns: bruteForcePercentile(values, 0.99),
      p999Ns: bruteForcePercentile(values, 0.999),
    });
    expect(summary.p90Ns).toBe(901_000);
  });

  it('truncates the mean like integer division and leaves the input untouched', () => {
    const values = [3, 1, 2, 2];
    expect(summarizeLatencies(values).meanNs).toBe(2);
    expect(summarizeLatencies([1, 2]).meanNs).toBe(1);
    expect(values).toEqual([3, 1, 2, 2]);
  });

  it('handles a single sample', () => {
    const summary = summarizeLatencies([123]);
    expect(new Set(Object.values(summary))).toEqual(new Set([1, 123]));
  });

  it('rejects an empty list', () => {
    expect(() => summarizeLatencies([])).toThrow(RangeError);
  });
});
