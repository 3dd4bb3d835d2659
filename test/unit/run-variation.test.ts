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

  it('has exponential gaps of mean 1 / QPS, never negative', () => {
    const schedule = poissonSchedule(2085463073, limits);
    expect(schedule).toHaveLength(5000);
    expect(schedule[0]).toBe(0);
    const gaps = Array.from(schedule.subarray(1), (time, i) => time - schedule[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0);
    for (const time of schedule) expect(Number.isInteger(time)).toBe(true);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean / 5e6).toBeGreaterThan(0.95); // 5 ms; the standard error of 5000 gaps is 1.4%
    expect(mean / 5e6).toBeLessThan(1.05);
    // Exponential: the standard deviation equals the mean.
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.9);
    expect(sd / mean).toBeLessThan(1.1);
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
