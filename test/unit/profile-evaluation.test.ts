// Profile rules against a summary from a real smoke run, with the figures each case needs written in,
// so every expected/actual string is exact.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSuiteSpec, runBenchmark, type LatencySummaryReport } from '../../src/harness/index.js';
import { BUILT_IN_PROFILES, evaluateProfile } from '../../src/services/certificates/profiles.js';
import { profileInput, profileRulesSchema, type ProfileRules } from '../../src/contracts/profiles.js';

const MLP = fileURLToPath(new URL('../fixtures/models/mlp-classifier.onnx', import.meta.url));
const MIB = 1024 * 1024;

let measured: LatencySummaryReport;

beforeAll(async () => {
  const { summary } = await runBenchmark({ modelPath: MLP, spec: resolveSuiteSpec({ preset: 'smoke' }), backend: { executionProvider: 'cpu', intraOpNumThreads: 1 } });
  measured = summary;
});

type Run = LatencySummaryReport['runs'][number];

/** The measured summary with known figures: one 40-query run of 1.234567890 s, VALID, no drift. */
function summaryWith(patch: Partial<LatencySummaryReport> = {}, runs: Partial<Run>[] = [{}]): LatencySummaryReport {
  const run: Run = { ...measured.runs[0]!, queryCount: 40, durationNs: 1_234_567_890, slowdownPct: 3.14 };
  return {
    ...measured,
    scenario: 'single-stream',
    result: 'VALID',
    minQueriesSatisfied: true,
    minDurationSatisfied: true,
    earlyStoppingSatisfied: true,
    earlyStoppingMinQueries: 64,
    earlyStoppingLatencyNs: 3_500_000,
    targetPercentile: 90,
    targetLatencyNs: 3_204_000,
    latency: { ...measured.latency, p50Ns: 2_000_000, p90Ns: 3_204_000, p999Ns: 9_876_543 },
    qps: 312.456,
    thermalDriftDetected: false,
    runs: runs.map((r) => ({ ...run, ...r })),
    ...patch,
  };
}

const usage = (peakRssBytes: number) => ({ peakRssBytes, modelSizeBytes: 1234, method: 'process.resourceUsage().maxRSS' });

/** The single line a one-rule profile gives. */
function line(rules: ProfileRules, summary: unknown = summaryWith(), resourceUsage: unknown = null) {
  const evaluation = evaluateProfile(rules, { summary, resourceUsage });
  expect(evaluation.rules).toHaveLength(1);
  return evaluation.rules[0]!;
}

describe('evaluateProfile, one rule at a time', () => {
  it('scenario', () => {
    expect(line({ scenario: 'single-stream' })).toEqual({ rule: 'scenario', passed: true, expected: 'scenario = single-stream', actual: 'scenario = single-stream', reason: 'met' });
    expect(line({ scenario: 'server' })).toEqual({ rule: 'scenario', passed: false, expected: 'scenario = server', actual: 'scenario = single-stream', reason: 'measured in another scenario' });
  });

  it('minQueryCount holds in every run', () => {
    expect(line({ minQueryCount: 40 })).toEqual({ rule: 'minQueryCount', passed: true, expected: 'queries ≥ 40', actual: 'queries = 40', reason: 'met' });
    expect(line({ minQueryCount: 41 })).toEqual({ rule: 'minQueryCount', passed: false, expected: 'queries ≥ 41', actual: 'queries = 40', reason: 'too few queries' });
    // 90 queries in all, but one run had only 40.
    expect(line({ minQueryCount: 41 }, summaryWith({ queryCount: 90 }, [{ queryCount: 50 }, { queryCount: 40 }]))).toMatchObject({
      passed: false,
      actual: 'queries = 40 (fewest of 2 runs)',
    });
  });

  it('minDurationMs holds in every run', () => {
    expect(line({ minDurationMs: 1000 })).toEqual({ rule: 'minDurationMs', passed: true, expected: 'duration ≥ 1 s', actual: 'duration = 1.235 s', reason: 'met' });
    expect(line({ minDurationMs: 1500 })).toEqual({ rule: 'minDurationMs', passed: false, expected: 'duration ≥ 1.5 s', actual: 'duration = 1.235 s', reason: 'run too short' });
    expect(line({ minDurationMs: 1000 }, summaryWith({}, [{ durationNs: 2e9 }, { durationNs: 999_000_000 }]))).toMatchObject({
      passed: false,
      actual: 'duration = 0.999 s (shortest of 2 runs)',
    });
  });

  it('requireValidResult says why a result is INVALID', () => {
    expect(line({ requireValidResult: true })).toEqual({ rule: 'requireValidResult', passed: true, expected: 'result = VALID', actual: 'result = VALID', reason: 'met' });
    const invalid = summaryWith({ result: 'INVALID', minDurationSatisfied: false, earlyStoppingSatisfied: false });
    expect(line({ requireValidResult: true }, invalid)).toEqual({
      rule: 'requireValidResult',
      passed: false,
      expected: 'result = VALID',
      actual: 'result = INVALID',
      reason: 'the run is INVALID (min duration not met, early stopping not met)',
    });
  });

  it('requireEarlyStopping', () => {
    expect(line({ requireEarlyStopping: true })).toEqual({
      rule: 'requireEarlyStopping',
      passed: true,
      expected: 'early stopping satisfied',
      actual: 'early stopping satisfied',
      reason: 'met',
    });
    expect(line({ requireEarlyStopping: true }, summaryWith({ earlyStoppingSatisfied: false }))).toEqual({
      rule: 'requireEarlyStopping',
      passed: false,
      expected: 'early stopping satisfied',
      actual: 'early stopping not satisfied',
      reason: 'early stopping needs ≥ 64 queries',
    });
  });

  it('latency at a numbered percentile reads the sample percentile', () => {
    expect(line({ latency: { percentile: 90, maxMs: 15 } })).toEqual({ rule: 'latency', passed: true, expected: 'p90 ≤ 15 ms', actual: 'p90 = 3.204 ms', reason: 'met' });
    expect(line({ latency: { percentile: 90, maxMs: 3.2 } })).toEqual({
      rule: 'latency',
      passed: false,
      expected: 'p90 ≤ 3.2 ms',
      actual: 'p90 = 3.204 ms',
      reason: 'latency above the bound',
    });
    expect(line({ latency: { percentile: 99.9, maxMs: 10 } })).toMatchObject({ passed: true, expected: 'p99.9 ≤ 10 ms', actual: 'p99.9 = 9.877 ms' });
  });

  it("latency at 'target' prefers the early-stopping estimate, else the target-percentile latency", () => {
    expect(line({ latency: { percentile: 'target', maxMs: 3.4 } })).toEqual({
      rule: 'latency',
      passed: false,
      expected: 'target-percentile latency ≤ 3.4 ms',
      actual: 'p90 early-stopping estimate = 3.500 ms',
      reason: 'latency above the bound',
    });
    const server = summaryWith({ scenario: 'server', targetPercentile: 99, targetLatencyNs: 3_300_000, earlyStoppingLatencyNs: null });
    expect(line({ latency: { percentile: 'target', maxMs: 3.4 } }, server)).toMatchObject({ passed: true, actual: 'p99 = 3.300 ms' });
  });

  it('minThroughputQps', () => {
    expect(line({ minThroughputQps: 300 })).toEqual({ rule: 'minThroughputQps', passed: true, expected: 'throughput ≥ 300 QPS', actual: 'throughput = 312.46 QPS', reason: 'met' });
    expect(line({ minThroughputQps: 312.5 })).toMatchObject({ passed: false, expected: 'throughput ≥ 312.5 QPS', reason: 'throughput below the minimum' });
  });

  it('maxPeakRssMb fails as not measured without resource usage', () => {
    expect(line({ maxPeakRssMb: 128 }, summaryWith(), usage(100 * MIB))).toEqual({
      rule: 'maxPeakRssMb',
      passed: true,
      expected: 'peak RSS ≤ 128 MiB',
      actual: 'peak RSS = 100.0 MiB',
      reason: 'met',
    });
    expect(line({ maxPeakRssMb: 64 }, summaryWith(), usage(100 * MIB))).toMatchObject({ passed: false, reason: 'peak RSS above the bound' });
    expect(line({ maxPeakRssMb: 128 }, summaryWith(), null)).toEqual({
      rule: 'maxPeakRssMb',
      passed: false,
      expected: 'peak RSS ≤ 128 MiB',
      actual: 'not measured',
      reason: 'peak RSS not measured',
    });
  });

  it('noThermalDrift holds at 10 % whatever threshold the spec set, and at the spec threshold when stricter', () => {
    expect(line({ noThermalDrift: true })).toEqual({
      rule: 'noThermalDrift',
      passed: true,
      expected: 'no thermal drift (slowdown ≤ 10 %)',
      actual: 'slowdown = 3.1 %',
      reason: 'met',
    });
    const loose = summaryWith({ spec: { ...measured.spec, driftThresholdPct: 50 } }, [{ slowdownPct: 1 }, { slowdownPct: 12.34 }]);
    expect(line({ noThermalDrift: true }, loose)).toMatchObject({ passed: false, actual: 'slowdown = 12.3 % (worst of 2 runs)', reason: 'the run slowed down as it went' });
    const strict = summaryWith({ spec: { ...measured.spec, driftThresholdPct: 2 }, thermalDriftDetected: true });
    expect(line({ noThermalDrift: true }, strict)).toMatchObject({ passed: false, reason: 'the run flagged thermal drift at its 2 % threshold' });
  });

  it('power and accuracy always fail: nothing measures them yet', () => {
    expect(line({ power: { required: true } }, summaryWith(), usage(MIB))).toEqual({
      rule: 'power',
      passed: false,
      expected: 'power measured',
      actual: 'not measured',
      reason: 'power not measured',
    });
    expect(line({ power: { required: true, meterClass: 'SPEC PTDaemon' } })).toMatchObject({ expected: 'power measured with a SPEC PTDaemon meter', passed: false });
    expect(line({ accuracy: { minRelativeToReference: 0.99 } })).toEqual({
      rule: 'accuracy',
      passed: false,
      expected: 'accuracy ≥ 99 % of reference',
      actual: 'not measured',
      reason: 'accuracy not measured',
    });
  });
});

describe('evaluateProfile, whole profiles', () => {
  const allMeasurable: ProfileRules = {
    scenario: 'single-stream',
    minQueryCount: 32,
    minDurationMs: 1000,
    requireValidResult: true,
    requireEarlyStopping: true,
    latency: { percentile: 90, maxMs: 100 },
    minThroughputQps: 10,
    maxPeakRssMb: 1024,
    noThermalDrift: true,
  };

  it('passes only when every rule passes, one line per rule in a fixed order', () => {
    const pass = evaluateProfile(allMeasurable, { summary: summaryWith(), resourceUsage: usage(100 * MIB) });
    expect(pass.verdict).toBe('PASS');
    expect(pass.rules.map((r) => r.rule)).toEqual(Object.keys(allMeasurable));
    const withPower = evaluateProfile({ ...allMeasurable, power: { required: true } }, { summary: summaryWith(), resourceUsage: usage(100 * MIB) });
    expect(withPower.verdict).toBe('FAIL');
    expect(withPower.rules.filter((r) => !r.passed).map((r) => r.rule)).toEqual(['power']);
  });

  it('fails every rule of a summary it does not recognise, without throwing', () => {
    for (const garbage of [null, 'VALID', { format: 'npubench.latency-summary/v1', queryCount: 1e9 }, { ...summaryWith(), latency: null }]) {
      const evaluation = evaluateProfile(allMeasurable, { summary: garbage, resourceUsage: usage(MIB) });
      expect(evaluation.verdict).toBe('FAIL');
      expect(evaluation.rules).toHaveLength(Object.keys(allMeasurable).length);
      for (const r of evaluation.rules) expect(r).toMatchObject({ passed: false, actual: 'unknown', reason: 'report format not recognised' });
      expect(evaluation.rules[0]!.expected).toBe('scenario = single-stream');
    }
  });

  it('certifies the real smoke run against smoke-latency@1 and not against vision-latency@1', () => {
    const rulesOf = (name: string) => BUILT_IN_PROFILES.find((p) => p.name === name)!.rules;
    expect(evaluateProfile(rulesOf('smoke-latency'), { summary: measured, resourceUsage: null }).verdict).toBe('PASS');
    const vision = evaluateProfile(rulesOf('vision-latency'), { summary: measured, resourceUsage: null });
    expect(vision.verdict).toBe('FAIL');
    expect(vision.rules.find((r) => r.rule === 'minDurationMs')).toMatchObject({ passed: false, expected: 'duration ≥ 60 s' });
  });
});

describe('profile schemas', () => {
  it('accept the built-in profiles', () => {
    for (const profile of BUILT_IN_PROFILES) expect(profileInput.parse(profile)).toEqual(profile);
  });

  it('reject unknown rules, no rules, unreported percentiles and power that is not required', () => {
    expect(profileRulesSchema.safeParse({ minQueryCount: 10, maxTemperature: 80 }).success).toBe(false);
    expect(profileRulesSchema.safeParse({}).success).toBe(false);
    expect(profileRulesSchema.safeParse({ latency: { percentile: 80, maxMs: 10 } }).success).toBe(false);
    expect(profileRulesSchema.safeParse({ power: { required: false } }).success).toBe(false);
    expect(profileRulesSchema.safeParse({ accuracy: { minRelativeToReference: 1.5 } }).success).toBe(false);
  });
});
