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
    expect(resolveSuiteSpec({ preset: 'smoke' })).toMatchObject({ preset: 'smoke', warmupQueries: 5, minQueryCount: 32, minDurationMs: 200 });
    expect(resolveSuiteSpec({ preset: 'quick' })).toMatchObject({ warmupQueries: 10, minQueryCount: 128, minDurationMs: 10_000 });
    expect(resolveSuiteSpec({ preset: 'standard' })).toMatchObject({ minQueryCount: 1024, minDurationMs: 60_000, maxDurationMs: 600_000 });
  });

  it('applies per-scenario defaults under the preset', () => {
    expect(resolveSuiteSpec({ scenario: 'multi-stream' })).toMatchObject({ targetPercentile: 99, samplesPerQuery: 8, minQueryCount: 662 });
    expect(resolveSuiteSpec({ scenario: 'server' })).toMatchObject({ targetPercentile: 99, minQueryCount: 662, targetQps: 100, targetLatencyMs: 10 });
    expect(resolveSuiteSpec({ scenario: 'offline' })).toMatchObject({ targetPercentile: 99, offlineSampleCount: 1024 });
    expect(resolveSuiteSpec({ scenario: 'multi-stream', preset: 'submission' })).toMatchObject({ minQueryCount: 662, minDurationMs: 600_000, maxDurationMs: 3_600_000 });
    expect(resolveSuiteSpec({ scenario: 'offline', preset: 'submission' })).toMatchObject({ offlineSampleCount: 24_576 });
    expect(resolveSuiteSpec({ scenario: 'multi-stream', preset: 'quick' })).toMatchObject({ minQueryCount: 128, samplesPerQuery: 8 });
    expect(resolveSuiteSpec({ scenario: 'multi-stream', targetPercentile: 95, samplesPerQuery: 4 })).toMatchObject({ targetPercentile: 95, samplesPerQuery: 4 });
  });

  it('lets explicit fields override the preset', () => {
    const spec = resolveSuiteSpec({ preset: 'standard', minQueryCount: 10, dynamicDims: { batch: 4 } });
    expect(spec).toMatchObject({ minQueryCount: 10, minDurationMs: 60_000, dynamicDims: { batch: 4 } });
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
  ])('rejects %j', (input) => {
    expect(() => resolveSuiteSpec(input)).toThrow(ZodError);
  });
});
