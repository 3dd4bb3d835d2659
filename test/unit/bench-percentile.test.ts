// The benchmarks' median and percentile (bench/bench-utils.ts): a true median for even counts (the mean
// of the two middle values) and numpy's linear interpolation between ranks for other fractions.
import { describe, expect, it } from 'vitest';
import { median, percentile } from '../../bench/bench-utils.js';

/** The k-th smallest value (0-based), found by counting rather than sorting. */
function orderStatistic(values: readonly number[], k: number): number {
  for (const v of values) {
    const less = values.filter((x) => x < v).length;
    const atMost = values.filter((x) => x <= v).length;
    if (less <= k && k < atMost) return v;
  }
  throw new Error(`no order statistic ${k}`);
}

function medianByCounting(values: readonly number[]): number {
  const n = values.length;
  return n % 2 === 1 ? orderStatistic(values, (n - 1) / 2) : (orderStatistic(values, n / 2 - 1) + orderStatistic(values, n / 2)) / 2;
}

// Fixed inputs (no randomness): odd and even counts, ties, negatives, unsorted.
const SETS: number[][] = [
  [42],
  [0.44, 0.48],
  [3, 1, 4, 1, 5, 9, 2, 6],
  [10, -2, 7, 7, 7, 3, 0.5],
  [19_235, 13_157, 20_881, 14_125],
  [5, 4, 3, 2, 1, 0],
];

describe('bench median', () => {
  it('of two rounds is their mean, not the larger', () => {
    expect(median([0.44, 0.48])).toBeCloseTo(0.46, 12);
    expect(median([0.48, 0.44])).toBeCloseTo(0.46, 12);
  });

  it('matches the median found by counting, for odd and even counts', () => {
    for (const values of SETS) expect(median(values)).toBeCloseTo(medianByCounting(values), 12);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2, 0];
    median(values);
    expect(values).toEqual([3, 1, 2, 0]);
  });
});

describe('bench percentile', () => {
  // Expected values computed with numpy 2.4 (np.percentile, default method 'linear').
  it.each([
    [[15, 20, 35, 40, 50], 0.4, 29],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1],
    [[3, 1, 4, 1, 5, 9, 2, 6], 0.25, 1.75],
    [[3, 1, 4, 1, 5, 9, 2, 6], 0.99, 8.79],
    [[3, 1, 4, 1, 5, 9, 2, 6], 0, 1],
    [[3, 1, 4, 1, 5, 9, 2, 6], 1, 9],
    [[7.5, 2.25], 0.5, 4.875],
  ])('of %j at %d is numpy’s %d', (values, fraction, expected) => {
    expect(percentile(values, fraction)).toBeCloseTo(expected, 9);
  });

  it('refuses an empty set and a fraction outside [0, 1]', () => {
    expect(() => percentile([], 0.5)).toThrow(RangeError);
    expect(() => percentile([1, 2], 1.5)).toThrow(RangeError);
    expect(() => percentile([1, 2], Number.NaN)).toThrow(RangeError);
  });
});
