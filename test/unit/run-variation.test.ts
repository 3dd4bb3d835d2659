import { describe, expect, it } from 'vitest';
import { poissonSchedule } from '../../src/harness/scenarios/server.js';
import { coefficientOfVariationPct, thermalDrift } from '../../src/harness/stats/run-variation.js';

describe('coefficientOfVariationPct', () => {
  it('uses the sample standard deviation', () => {
    // mean 100, sample variance (100 + 0 + 100) / 2 = 100
    expect(coefficientOfVariationPct([90, 100, 110])).toBeCloseTo(10, 12);
    expect(coefficientOfVariationPct([5, 5, 5])).toBe(0);
    expect(coefficientOfVariationPct([42])).toBeNull();
  });
});

describe('thermalDrift', () => {
  it('compares the p50 of the first and last tenth', () => {
    const steady = Array.from({ length: 100 }, (_, i) => 1000 + (i % 7));
    expect(thermalDrift(steady).slowdownPct).toBeLessThan(1);
    // A device that throttles: the last 20% of queries take 30% longer.
    const throttled = steady.map((latency, i) => (i >= 80 ? latency * 1.3 : latency));
    const drift = thermalDrift(throttled);
    expect(drift.firstTenthP50Ns).toBe(steady.slice(0, 10).sort((a, b) => a - b)[5]);
    expect(drift.slowdownPct).toBeGreaterThan(25);
    expect(thermalDrift([100, 200]).slowdownPct).toBe(100); // a tenth is at least one query
  });
});

describe('poissonSchedule', () => {
  const limits = { targetQps: 200, minQueryCount: 5000, minDurationNs: 0, maxDurationNs: 1e12 };

  it('is deterministic for a seed and changes with it', () => {
    expect(poissonSchedule(7, limits)).toEqual(poissonSchedule(7, limits));
    expect(poissonSchedule(8, limits)).not.toEqual(poissonSchedule(7, limits));
  });

  it('has whole-ns times, the first at 0, and no negative gaps', () => {
    const schedule = poissonSchedule(2085463073, limits);
    expect(schedule).toHaveLength(5000);
    expect(schedule[0]).toBe(0);
    for (let i = 1; i < schedule.length; i++) expect(schedule[i]! >= schedule[i - 1]!).toBe(true);
    for (const time of schedule) expect(Number.isInteger(time)).toBe(true);
  });

  // The bounds come from the statistics of N = 10^6 exponential gaps of mean m = 5 ms:
  // - the sample mean has standard error m / sqrt(N) = 0.1%, so the ±1% bound is 10 standard errors;
  //   Chernoff's bound for a mean of exponentials, P(|mean/m - 1| > d) <= 2 exp(-N d^2 / 2 (1 - O(d))),
  //   is below 1e-21 at d = 1%, for any seed. A schedule 3% too fast (mean 0.97 m) sits 20 errors past it.
  // - the sample SD of exponentials has standard error sqrt(2 / N) = 0.14% of m: the ±2% bound is 14 errors.
  // - the share of gaps longer than m is e^-1 = 0.3679 with binomial error sqrt(p (1 - p) / N) = 0.048%:
  //   the ±0.3% bound is 6.2 errors (P < 1e-9); mean 0.97 m gives exp(-1 / 0.97) = 0.3566, 17 errors past it.
  it.each([
    ['the fixed seed', 2085463073],
    ['a seed drawn for this run', Math.floor(Math.random() * 2 ** 32)],
  ])('has exponential gaps of mean 1 / QPS for %s (%i)', (_label, seed) => {
    const n = 1_000_000;
    const meanGapNs = 5e6; // 200 QPS
    const schedule = poissonSchedule(seed, { targetQps: 200, minQueryCount: n + 1, minDurationNs: 0, maxDurationNs: 1e15 });
    expect(schedule).toHaveLength(n + 1);
    let sum = 0;
    let sumSquares = 0;
    let longer = 0;
    for (let i = 1; i <= n; i++) {
      const gap = schedule[i]! - schedule[i - 1]!;
      sum += gap;
      sumSquares += gap * gap;
      if (gap > meanGapNs) longer++;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sumSquares / n - mean * mean);
    expect(Math.abs(mean / meanGapNs - 1)).toBeLessThan(0.01);
    expect(Math.abs(sd / meanGapNs - 1)).toBeLessThan(0.02); // exponential: the SD equals the mean
    expect(Math.abs(longer / n - Math.exp(-1))).toBeLessThan(0.003);
  });

  it('runs until both minimums hold, and not past maxDuration', () => {
    const byDuration = poissonSchedule(1, { targetQps: 100, minQueryCount: 10, minDurationNs: 2e9, maxDurationNs: 1e12 });
    expect(byDuration.at(-1)).toBeGreaterThanOrEqual(2e9);
    expect(byDuration.at(-2)).toBeLessThan(2e9);
    const capped = poissonSchedule(1, { targetQps: 100, minQueryCount: 10_000, minDurationNs: 0, maxDurationNs: 1e9 });
    expect(capped.at(-1)).toBeLessThanOrEqual(1e9);
    expect(capped.length).toBeLessThan(10_000);
  });
});
