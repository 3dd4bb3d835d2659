// The compliance verdicts from recorded figures (compliance-format.ts), checked against numbers worked
// out here: the sign test's threshold from the binomial distribution, and hand-built cases on each side
// of every rule. The zoo test (runner-compliance-zoo.test.ts) checks the same rules on real runners.
import { describe, expect, it } from 'vitest';
import { recomputeSummaryFromRawSamples, resolveSuiteSpec, summarizeCompliance, type RawSamples } from '../../src/harness/index.js';
import { signTestWinsNeeded, type ComplianceRaw } from '../../src/harness/compliance/compliance-format.js';

function binomialTail(n: number, k: number): number {
  let total = 0;
  for (let j = k; j <= n; j++) {
    let c = 1;
    for (let i = 0; i < j; i++) c = (c * (n - i)) / (i + 1);
    total += c;
  }
  return total / 2 ** n;
}

const base: ComplianceRaw = {
  protocolVersion: 2,
  outputsVerified: true,
  deterministicOutputs: true,
  accuracyPass: { samples: 4, digestMismatchSamples: [], droppedSamples: [], reference: null },
  queryOutputs: { answers: 10, compared: 'digest', comparedAnswers: 10, mismatches: 0, dropped: 0, firstMismatchSample: null },
  caching: null,
  timing: null,
  costNs: 1_000_000,
};

describe('compliance verdicts', () => {
  it('the sign test needs the least win count whose binomial tail is below 0.001', () => {
    for (const n of [8, 16, 32, 64]) {
      const k = signTestWinsNeeded(n, 0.001);
      expect(binomialTail(n, k)).toBeLessThan(0.001);
      expect(binomialTail(n, k - 1)).toBeGreaterThanOrEqual(0.001);
    }
  });

  it('caching: a replay that wins every pair by half is caching; one that wins half the pairs by as much is noise', () => {
    const fresh = Array.from({ length: 32 }, () => 4_000_000);
    const cached = summarizeCompliance({ ...base, caching: { distinctNs: fresh, replayNs: fresh.map((ns) => ns / 2) } }, 1e9);
    expect(cached.invalidReasons).toEqual(['compliance.caching_detected']);
    const noisy = summarizeCompliance({ ...base, caching: { distinctNs: fresh, replayNs: fresh.map((ns, i) => (i % 2 === 0 ? ns / 2 : ns * 1.5)) } }, 1e9);
    expect(noisy.invalidReasons).toEqual([]);
    // Wins every pair, but by 50 µs of 300 µs: under the noise floor.
    const small = summarizeCompliance({ ...base, caching: { distinctNs: fresh.map(() => 300_000), replayNs: fresh.map(() => 250_000) } }, 1e9);
    expect(small.invalidReasons).toEqual([]);
  });

  it('caching: pairs with a dropped answer are left out, so a runner that drops every eighth query is not caching', () => {
    // What a loaded CI host recorded for the drop-queries runner: every 8th timed query dropped fell on the
    // replays (an instant return), and the rest of the replays ran a little faster than fresh samples.
    const fresh = Array.from({ length: 32 }, () => 4_000_000);
    const droppedPairs = [7, 15, 23, 31];
    let kept = 0;
    const replayNs = fresh.map((_, i) => (droppedPairs.includes(i) ? 50_000 : kept++ < 22 ? 3_500_000 : 4_500_000));
    // Counted with the drops: 26 wins of 32 (the sign test's bound) and a median gain of 0.5 ms, above 10 % of 4 ms.
    expect(binomialTail(32, 26)).toBeLessThan(0.001);
    expect(summarizeCompliance({ ...base, caching: { distinctNs: fresh, replayNs } }, 1e9).invalidReasons).toEqual(['compliance.caching_detected']);
    // Without them: 22 wins of 28, which a fair coin reaches more often than once in a thousand.
    expect(binomialTail(28, 22)).toBeGreaterThanOrEqual(0.001);
    const summary = summarizeCompliance({ ...base, caching: { distinctNs: fresh, replayNs, droppedPairs } }, 1e9);
    expect(summary.invalidReasons).toEqual([]);
    expect(summary.checks.find((c) => c.check === 'caching')).toMatchObject({ outcome: 'passed', detail: expect.stringContaining('4 pairs with a dropped answer left out') });
    // Every pair dropped: nothing to judge; a dropped pair that is not a pair: refused.
    expect(summarizeCompliance({ ...base, caching: { distinctNs: fresh, replayNs, droppedPairs: fresh.map((_, i) => i) } }, 1e9).checks.find((c) => c.check === 'caching')?.outcome).toBe('not-run');
    expect(summarizeCompliance({ ...base, caching: { distinctNs: fresh, replayNs, droppedPairs: [32] } }, 1e9).invalidReasons).toEqual(['compliance.caching_detected']);
  });

  it('timing: a device time above the host time, or covering a twentieth of it, is implausible; a protocol gap is not', () => {
    const host = [5_000_000, 5_000_000, 5_000_000];
    const verdictOf = (deviceNs: number[]) => summarizeCompliance({ ...base, timing: { hostNs: host, deviceNs } }, 1e9).invalidReasons;
    expect(verdictOf([4_800_000, 4_800_000, 4_800_000])).toEqual([]);
    expect(verdictOf([4_800_000, 5_200_000, 4_800_000])).toEqual(['compliance.device_time_implausible']);
    expect(verdictOf([250_000, 250_000, 250_000])).toEqual(['compliance.device_time_implausible']);
    // A tiny model: 40 µs of device time in 230 µs of host time is protocol overhead, under 2 ms.
    expect(summarizeCompliance({ ...base, timing: { hostNs: [230_000], deviceNs: [40_000] } }, 1e9).invalidReasons).toEqual([]);
  });

  it('a failed check makes the recomputed summary INVALID, and the cost is a share of the measured duration', () => {
    const spec = resolveSuiteSpec({ minQueryCount: 200, minDurationMs: 0 });
    const raw = (compliance: ComplianceRaw): RawSamples => ({
      format: 'npubench.raw-samples/v2',
      clock: 'process.hrtime.bigint (CLOCK_MONOTONIC)',
      unit: 'ns',
      scenario: 'single-stream',
      // 200 back-to-back queries of 1 ms: 200 ms measured.
      runs: [{ queries: Array.from({ length: 200 }, (_, i): [number, number] => [i * 1_000_000, (i + 1) * 1_000_000]) }],
      compliance,
    });
    const honest = recomputeSummaryFromRawSamples(raw(base), spec);
    expect(honest.result).toBe('VALID');
    expect(honest.compliance?.costPct).toBeCloseTo(0.5, 9); // 1 ms of 200 ms
    const cheat = recomputeSummaryFromRawSamples(raw({ ...base, queryOutputs: { ...base.queryOutputs!, mismatches: 3, firstMismatchSample: 2 } }), spec);
    expect(cheat.result).toBe('INVALID');
    expect(cheat.compliance?.invalidReasons).toEqual(['compliance.output_mismatch']);
    expect(cheat.minQueriesSatisfied && cheat.earlyStoppingSatisfied).toBe(true);
  });
});
