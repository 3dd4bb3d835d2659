import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { SUITE_DEFAULTS, resolveSuiteSpec } from '../../src/harness/suite-spec.js';

describe('resolveSuiteSpec', () => {
  it('fills every default', () => {
    expect(resolveSuiteSpec({})).toEqual({
      scenario: 'single-stream',
      warmupQueries: 10,
      minQueryCount: 100,
      minDurationMs: 1000,
      maxDurationMs: 600_000,
      targetPercentile: 90,
      samplesPerQuery: 1,
      targetQps: 100,
      targetLatencyMs: 10,
      maxOutstandingQueries: 64,
      offlineSampleCount: 1024,
      repeatCount: 1,
      cooldownMs: 0,
      driftThresholdPct: 10,
      seed: 2085463073,
      dynamicDims: {},
    });
    expect(resolveSuiteSpec(undefined)).toEqual(resolveSuiteSpec({}));
  });

  it('applies presets', () => {
    // smoke's own 32 queries are raised to the 64 a p90 early-stopping estimate needs (below).
    expect(resolveSuiteSpec({ preset: 'smoke' })).toMatchObject({ preset: 'smoke', warmupQueries: 5, minQueryCount: 64, minDurationMs: 200 });
    expect(resolveSuiteSpec({ preset: 'quick' })).toMatchObject({ warmupQueries: 10, minQueryCount: 128, minDurationMs: 10_000 });
    expect(resolveSuiteSpec({ preset: 'standard' })).toMatchObject({ minQueryCount: 1024, minDurationMs: 60_000, maxDurationMs: 600_000 });
  });

  it('applies per-scenario defaults under the preset', () => {
    expect(resolveSuiteSpec({ scenario: 'multi-stream' })).toMatchObject({ targetPercentile: 99, samplesPerQuery: 8, minQueryCount: 662 });
    expect(resolveSuiteSpec({ scenario: 'server' })).toMatchObject({ targetPercentile: 99, minQueryCount: 662, targetQps: 100, targetLatencyMs: 10 });
    expect(resolveSuiteSpec({ scenario: 'offline' })).toMatchObject({ targetPercentile: 99, offlineSampleCount: 1024 });
    expect(resolveSuiteSpec({ scenario: 'multi-stream', preset: 'submission' })).toMatchObject({ minQueryCount: 662, minDurationMs: 600_000, maxDurationMs: 3_600_000 });
    expect(resolveSuiteSpec({ scenario: 'offline', preset: 'submission' })).toMatchObject({ offlineSampleCount: 24_576 });
    expect(resolveSuiteSpec({ scenario: 'multi-stream', preset: 'quick' })).toMatchObject({ preset: 'quick', minQueryCount: 662, samplesPerQuery: 8 });
    expect(resolveSuiteSpec({ scenario: 'multi-stream', targetPercentile: 95, samplesPerQuery: 4 })).toMatchObject({ targetPercentile: 95, samplesPerQuery: 4 });
  });

  it('lets explicit fields override the preset, and then says the run followed no preset', () => {
    const spec = resolveSuiteSpec({ preset: 'standard', minQueryCount: 10, dynamicDims: { batch: 4 } });
    expect(spec).toMatchObject({ minQueryCount: 10, minDurationMs: 60_000, dynamicDims: { batch: 4 } });
    // standard is minQueryCount 1024 and minDurationMs 60 000; dynamicDims is not one of its values.
    expect(spec).toMatchObject({ preset: 'custom', basedOn: 'standard', overriddenFields: ['minQueryCount'] });
    expect(resolveSuiteSpec(spec)).toEqual(spec);
  });

  it('keeps the preset name when the explicit fields only repeat its values', () => {
    // smoke's own numbers, written out by a client (as the test helpers do).
    const spec = resolveSuiteSpec({ preset: 'smoke', warmupQueries: 5, minQueryCount: 64, minDurationMs: 200, seed: 7 });
    expect(spec.preset).toBe('smoke');
    expect(spec).not.toHaveProperty('basedOn');
    expect(spec).not.toHaveProperty('overriddenFields');
  });

  it('lists every overridden preset field, in field order', () => {
    const spec = resolveSuiteSpec({ preset: 'smoke', offlineSampleCount: 8, minDurationMs: 0, warmupQueries: 5 });
    expect(spec).toMatchObject({ preset: 'custom', basedOn: 'smoke', overriddenFields: ['minDurationMs', 'offlineSampleCount'], minDurationMs: 0, offlineSampleCount: 8, minQueryCount: 64 });
    expect(resolveSuiteSpec(spec)).toEqual(spec);
  });

  it('refuses to label a run "submission" that changes what the submission preset fixes (LoadGen refuses overrides in submission mode)', () => {
    const refused = (input: Record<string, unknown>) => {
      try {
        resolveSuiteSpec(input);
      } catch (err) {
        expect(err).toBeInstanceOf(ZodError);
        return (err as ZodError).issues.map((i) => i.path.join('.'));
      }
      throw new Error(`${JSON.stringify(input)} resolved`);
    };
    expect(refused({ preset: 'submission', minDurationMs: 1 })).toEqual(['minDurationMs']);
    expect(refused({ preset: 'submission', scenario: 'offline', offlineSampleCount: 10, maxDurationMs: 700_000 })).toEqual(['maxDurationMs', 'offlineSampleCount']);
    // The scenario's mlperf.conf minimums are part of submission mode too.
    expect(refused({ preset: 'submission', scenario: 'multi-stream', minQueryCount: 100 })).toEqual(['minQueryCount']);
    expect(refused({ preset: 'custom', basedOn: 'submission', minDurationMs: 1 })).toEqual(['minDurationMs']);
    // Repeating its values, or setting what it leaves open, is allowed and keeps the name.
    expect(resolveSuiteSpec({ preset: 'submission', minDurationMs: 600_000, seed: 3, targetQps: 50 })).toMatchObject({ preset: 'submission', minDurationMs: 600_000, seed: 3 });
  });

  describe('never sets a query count below what the early-stopping estimate needs', () => {
    // Independent of src/harness/stats: the chance of at most one query over the p-th percentile latency
    // among h + 1 queries, when the true overlatency rate is 1 - p, is p^(h+1) + (h+1)(1-p)p^h (binomial
    // CDF). An estimate at 99% confidence needs the least h for which that is below 0.01, then h + 1
    // queries (LoadGen early_stopping.cc with t = 1).
    const neededQueries = (percentile: number) => {
      const p = percentile / 100;
      for (let h = 1; ; h++) {
        const atMostOne = Math.exp((h + 1) * Math.log(p)) + (h + 1) * (1 - p) * Math.exp(h * Math.log(p));
        if (atMostOne < 0.01) return h + 1;
      }
    };

    it('agrees with the closed form on the figures MLPerf states', () => {
      expect(neededQueries(90)).toBe(64);
      expect(neededQueries(99)).toBe(662);
    });

    const presets = ['smoke', 'quick', 'standard', 'submission'] as const;
    const scenarios = ['single-stream', 'multi-stream', 'server'] as const;
    for (const preset of presets) {
      for (const scenario of scenarios) {
        it(`${preset} / ${scenario}`, () => {
          const spec = resolveSuiteSpec({ preset, scenario });
          expect(spec.preset).toBe(preset);
          expect(spec.minQueryCount).toBeGreaterThanOrEqual(neededQueries(spec.targetPercentile));
          // Where the preset's own count already suffices it is kept, not raised.
          if (preset === 'standard') expect(spec.minQueryCount).toBe(1024);
        });
      }
    }

    it('raises the count to exactly the need, also for a percentile the caller chose', () => {
      expect(resolveSuiteSpec({ preset: 'quick', scenario: 'server' }).minQueryCount).toBe(neededQueries(99));
      const p999 = resolveSuiteSpec({ preset: 'standard', scenario: 'multi-stream', targetPercentile: 99.9 });
      expect(p999).toMatchObject({ preset: 'standard', minQueryCount: neededQueries(99.9) });
      expect(resolveSuiteSpec({ scenario: 'multi-stream', targetPercentile: 99.9 }).minQueryCount).toBe(neededQueries(99.9));
      expect(resolveSuiteSpec({ preset: 'quick', targetPercentile: 50 }).minQueryCount).toBe(128);
    });

    it('leaves Offline (samples, no early stopping) and explicit counts alone; an explicit lower count is a custom run', () => {
      expect(resolveSuiteSpec({ preset: 'smoke', scenario: 'offline' })).toMatchObject({ preset: 'smoke', minQueryCount: 32 });
      expect(resolveSuiteSpec({ preset: 'quick', scenario: 'multi-stream', minQueryCount: 128 })).toMatchObject({ preset: 'custom', basedOn: 'quick', overriddenFields: ['minQueryCount'], minQueryCount: 128 });
    });

    it('refuses a percentile whose estimate needs more queries than a run may have', () => {
      expect(() => resolveSuiteSpec({ preset: 'quick', targetPercentile: 99.9999999 })).toThrow(/targetPercentile|early-stopping/);
    });
  });

  it('is idempotent', () => {
    const once = resolveSuiteSpec({ preset: 'smoke', seed: 1, dynamicDims: { sequence: 8 } });
    expect(resolveSuiteSpec(once)).toEqual(once);
    const multiStream = resolveSuiteSpec({ scenario: 'multi-stream', preset: 'quick', repeatCount: 3 });
    expect(resolveSuiteSpec(multiStream)).toEqual(multiStream);
  });

  it('does not share the default dynamicDims object between specs', () => {
    expect(resolveSuiteSpec({}).dynamicDims).not.toBe(SUITE_DEFAULTS.dynamicDims);
  });

  it.each([
    [{ unknownField: 1 }],
    [{ preset: 'marathon' }],
    [{ scenario: 'batch' }],
    [{ scenario: 'single-stream', samplesPerQuery: 2 }],
    [{ scenario: 'server', targetQps: 0 }],
    [{ repeatCount: 0 }],
    [{ cooldownMs: -1 }],
    [{ driftThresholdPct: 0 }],
    [{ targetPercentile: 0 }],
    [{ targetPercentile: 100 }],
    [{ minQueryCount: 0 }],
    [{ minQueryCount: 1.5 }],
    [{ warmupQueries: -1 }],
    [{ seed: 2 ** 32 }],
    [{ minDurationMs: 5000, maxDurationMs: 4000 }],
    [{ minDurationMs: 700_000 }],
    [{ dynamicDims: { batch: 0 } }],
    [{ dynamicDims: { batch: 65_537 } }],
    [{ dynamicDims: [] }],
    ['smoke'],
    [{ preset: 'custom' }],
    [{ basedOn: 'smoke' }],
    [{ preset: 'smoke', basedOn: 'quick' }],
  ])('rejects %j', (input) => {
    expect(() => resolveSuiteSpec(input)).toThrow(ZodError);
  });
});
