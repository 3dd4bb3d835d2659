import { describe, expect, it } from 'vitest';
import { minPassingQueries, percentileEarlyStopping, regularizedIncompleteBeta, serverEarlyStopping } from '../../src/harness/stats/early-stopping.js';

// Independent of the incomplete-beta code path: the binomial CDF summed term by term in log space.
// P(at most t of h + t queries exceed the percentile) when each exceeds it with probability 1 - p.
function binomialOdds(h: number, t: number, p: number): number {
  const n = h + t;
  let logTerm = n * Math.log(p); // x = 0
  let total = Math.exp(logTerm);
  for (let x = 0; x < t; x++) {
    logTerm += Math.log((n - x) / (x + 1)) + Math.log((1 - p) / p);
    total += Math.exp(logTerm);
  }
  return total;
}

/** LoadGen's definition by linear search: the least h with odds below 1 - 0.99. */
function bruteMinPassing(t: number, p: number): number {
  let h = 1;
  while (binomialOdds(h, t, p) >= 0.01) h++;
  return h;
}

/** LoadGen's SingleStream loop (results.cc EarlyStopping): scan t = 2, 3, ... until h(t) + t > n. */
function bruteEstimate(sorted: number[], p: number): { estimate: number; discarded: number } | null {
  const n = sorted.length;
  if (n < bruteMinPassing(1, p) + 1) return null;
  let t = 1;
  for (let i = 2; i <= n; i++) {
    if (n < bruteMinPassing(i, p) + i) {
      t = i - 1;
      break;
    }
  }
  return { estimate: sorted[n - t]!, discarded: t - 1 };
}

describe('early stopping', () => {
  it('agrees with the binomial sum on the incomplete beta', () => {
    for (const [h, t, p] of [[63, 1, 0.9], [661, 1, 0.99], [459, 0, 0.99], [900, 77, 0.9], [2000, 12, 0.99]] as const) {
      expect(regularizedIncompleteBeta(p, h, t + 1)).toBeCloseTo(binomialOdds(h, t, p), 12);
    }
  });

  it('needs 64 queries for p90 and 662 for p99, as LoadGen says', () => {
    expect(minPassingQueries(1, 0.9) + 1).toBe(64);
    expect(minPassingQueries(1, 0.99) + 1).toBe(662);
    for (const p of [0.5, 0.9, 0.95, 0.99]) {
      for (const t of [0, 1, 2, 5, 17, 40]) expect(minPassingQueries(t, p), `t=${t} p=${p}`).toBe(bruteMinPassing(t, p));
    }
  });

  it('matches the brute-force estimate and discard count', () => {
    for (const [n, p] of [[64, 0.9], [100, 0.9], [1000, 0.9], [662, 0.99], [1500, 0.99]] as const) {
      const sorted = Array.from({ length: n }, (_, i) => (i + 1) * 1000);
      const expected = bruteEstimate(sorted, p)!;
      expect(percentileEarlyStopping(Float64Array.from(sorted), p)).toEqual({
        satisfied: true,
        minQueries: p === 0.9 ? 64 : 662,
        estimateNs: expected.estimate,
        discardedQueries: expected.discarded,
      });
    }
    // Worked example: 1000 queries of 1..1000 us; p90 is 901 us, the 99%-confidence bound 923 us.
    expect(percentileEarlyStopping(Float64Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000), 0.9)).toMatchObject({ estimateNs: 923_000, discardedQueries: 77 });
  });

  it('is not satisfied below the minimum', () => {
    expect(percentileEarlyStopping(Float64Array.from({ length: 63 }, (_, i) => i + 1), 0.9)).toEqual({ satisfied: false, minQueries: 64, estimateNs: null, discardedQueries: null });
  });

  it('checks Server runs against their overlatency count', () => {
    expect(serverEarlyStopping(458, 0, 0.99)).toEqual({ satisfied: false, minQueries: 459 });
    expect(serverEarlyStopping(459, 0, 0.99).satisfied).toBe(true);
    expect(serverEarlyStopping(1000, 5, 0.99)).toEqual({ satisfied: bruteMinPassing(5, 0.99) + 5 <= 1000, minQueries: bruteMinPassing(5, 0.99) + 5 });
  });
});
