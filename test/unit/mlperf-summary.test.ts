import { describe, expect, it } from 'vitest';
import {
  LATENCY_SUMMARY_FORMAT,
  MONOTONIC_CLOCK,
  RAW_SAMPLES_FORMAT,
  formatMlperfSummary,
  recomputeSummaryFromRawSamples,
  resolveSuiteSpec,
  serverScheduleOf,
  type EnvironmentInfo,
  type LatencySummaryReport,
  type RawSamples,
  type SuiteSpecInput,
} from '../../src/harness/index.js';

const environment: EnvironmentInfo = {
  capturedAt: '2026-01-01T00:00:00.000Z',
  hostname: 'bench-1',
  os: { platform: 'linux', type: 'Linux', release: '6.1', version: '#1' },
  arch: 'x64',
  cpu: { model: 'Test CPU', logicalCores: 8 },
  totalMemoryBytes: 2 ** 34,
  nodeVersion: 'v20.19.0',
  runtime: { name: 'onnxruntime-node', version: '1.30.0', executionProvider: 'cpu' },
};

/** n back-to-back queries of 1..n us, 1 ms apart: a known latency distribution. */
const serialQueries = (n: number) => Array.from({ length: n }, (_, i): [number, number] => [i * 1_000_000, i * 1_000_000 + (i + 1) * 1000]);

/** 1000 such queries, one run. */
function summaryOf(input: SuiteSpecInput): LatencySummaryReport {
  const spec = resolveSuiteSpec({ minQueryCount: 1000, minDurationMs: 500, ...input });
  const queries = serialQueries(1000);
  const runs = [{ queries }];
  return reportOf(spec, spec.scenario === 'multi-stream' ? { scenario: 'multi-stream', runs } : { scenario: 'single-stream', runs });
}

type RawRuns = Pick<RawSamples, 'scenario' | 'runs'>;

function reportOf(spec: ReturnType<typeof resolveSuiteSpec>, raw: RawRuns): LatencySummaryReport {
  const measured = recomputeSummaryFromRawSamples({ format: RAW_SAMPLES_FORMAT, clock: MONOTONIC_CLOCK, unit: 'ns', ...raw } as RawSamples, spec);
  return {
    format: LATENCY_SUMMARY_FORMAT,
    clock: MONOTONIC_CLOCK,
    spec,
    ...measured,
    modelLoadMs: 1,
    firstInferenceMs: 1,
    backend: { runtime: 'onnxruntime-node', runtimeVersion: '1.30.0', executionProvider: 'cpu', registeredProviders: ['cpu'], executionProviderOptions: {}, sessionOptions: {} },
  };
}

/**
 * LoadGen's early-stopping estimate (results.cc EarlyStopping, early_stopping.cc), written out here with
 * a plain binomial sum rather than the incomplete beta function the harness uses: h(t) is the least h
 * for which at most t of h + t queries over the latency has probability below 1 - 0.99 when a fraction
 * 1 - p of queries is over it; t is the largest with h(t) + t <= n, scanning t = 1, 2, ...; the
 * estimate is the t-th highest latency.
 */
function binomialCdf(n: number, k: number, q: number): number {
  // P(X = 0) = (1 - q)^n, then P(X = i + 1) = P(X = i) * (n - i) / (i + 1) * q / (1 - q).
  let logPmf = n * Math.log1p(-q);
  let total = 0;
  for (let i = 0; i <= k; i++) {
    total += Math.exp(logPmf);
    logPmf += Math.log(n - i) - Math.log(i + 1) + Math.log(q) - Math.log1p(-q);
  }
  return total;
}
function minPassing(t: number, p: number): number {
  let h = 1;
  while (binomialCdf(h + t, t, 1 - p) >= 0.01) h++;
  return h;
}
function loadgenEstimate(sortedLatencies: number[], p: number): { minQueries: number; estimate: number | null; discarded: number | null } {
  const n = sortedLatencies.length;
  const minQueries = minPassing(1, p) + 1;
  if (n < minQueries) return { minQueries, estimate: null, discarded: null };
  let t = 1;
  while (minPassing(t + 1, p) + t + 1 <= n) t++;
  return { minQueries, estimate: sortedLatencies[n - t]!, discarded: t - 1 };
}

describe('the test\'s own LoadGen early-stopping estimate', () => {
  it('needs the query counts LoadGen states: 64 for p90, 662 for p99', () => {
    expect(minPassing(1, 0.9) + 1).toBe(64);
    expect(minPassing(1, 0.99) + 1).toBe(662);
  });
});

describe('formatMlperfSummary', () => {
  it('writes a SingleStream summary in LoadGen\'s layout, with both early-stopping estimates', () => {
    const latencies = Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000);
    const p90 = loadgenEstimate(latencies, 0.9);
    const p99 = loadgenEstimate(latencies, 0.99);
    expect([p90, p99.minQueries]).toEqual([{ minQueries: 64, estimate: 923000, discarded: 77 }, 662]);
    const text = formatMlperfSummary(summaryOf({}), environment);
    const head = text.split('\n').slice(0, 19).join('\n');
    expect(head).toBe(
      [
        '================================================',
        'MLPerf Results Summary',
        '================================================',
        'SUT name : onnxruntime-node 1.30.0 (cpu) on Test CPU',
        'Scenario : SingleStream',
        'Mode     : PerformanceOnly',
        '90th percentile latency (ns) : 901000',
        'Result is : VALID',
        '  Min duration satisfied : Yes',
        '  Min queries satisfied : Yes',
        '  Early stopping satisfied: Yes',
        'Early Stopping Result:',
        ' * Processed at least 64 queries (1000).',
        ' * Would discard 77 highest latency queries.',
        ' * Early stopping 90th percentile estimate: 923000',
        ` * Early stopping 99th percentile estimate: ${p99.estimate}`,
        '',
        '================================================',
        'Additional Stats',
      ].join('\n'),
    );
    expect(text).toContain('QPS w/o loadgen overhead        : 1998.00\n'); // 1 / 500.5 us, mean truncated to 500500 ns
    expect(text).toContain('Min latency (ns)                : 1000\n');
    expect(text).toContain('Mean latency (ns)               : 500500\n');
    expect(text).toContain('99.90 percentile latency (ns)   : 1000000\n');
    expect(text).toMatch(/Test Parameters Used\n=+\nsamples_per_query : 1\ntarget_qps : 100\ntarget_latency \(ns\): 0\nmax_async_queries : 1\nmin_duration \(ms\): 500\n/);
    expect(text.endsWith('No errors encountered during test.\n')).toBe(true);
  });

  it('reports an INVALID MultiStream run with its reasons and the sut name given', () => {
    const summary = summaryOf({ scenario: 'multi-stream', minDurationMs: 2000, maxDurationMs: 5000 });
    expect(summary.result).toBe('INVALID');
    const text = formatMlperfSummary(summary, environment, { sutName: 'npu-board' });
    expect(text).toContain('SUT name : npu-board\nScenario : MultiStream\n');
    expect(text).toContain('99th percentile latency (ns) : 991000\nResult is : INVALID\n  Min duration satisfied : NO\n');
    expect(text).toContain('Recommendations:\n');
    expect(text).toContain('Per-query latency:  \nMin latency (ns)                : 1000\n');
    expect(text).toContain('samples_per_query : 8\n');
    // LoadGen gives MultiStream only its own percentile's estimate, not SingleStream's extra p99 one.
    expect(text.match(/percentile estimate: /g)).toHaveLength(1);
  });

  it('says when a SingleStream run is too short for the p99 estimate, as LoadGen does', () => {
    const spec = resolveSuiteSpec({ minQueryCount: 100, minDurationMs: 0 });
    const text = formatMlperfSummary(reportOf(spec, { scenario: 'single-stream', runs: [{ queries: serialQueries(100) }] }), environment);
    const latencies = Array.from({ length: 100 }, (_, i) => (i + 1) * 1000);
    const p90 = loadgenEstimate(latencies, 0.9);
    expect(loadgenEstimate(latencies, 0.99).estimate).toBeNull();
    expect(text).toContain(
      [
        'Early Stopping Result:',
        ' * Processed at least 64 queries (100).',
        ` * Would discard ${p90.discarded} highest latency queries.`,
        ` * Early stopping 90th percentile estimate: ${p90.estimate}`,
        ' * Not enough queries processed for 99th percentile',
        ' early stopping estimate (would need to process at',
        ' least 662 total queries).',
        '',
        '================================================',
      ].join('\n'),
    );
  });

  it('computes SingleStream "QPS w/ loadgen overhead" as LoadGen does: (queries - 1) / final issue time', () => {
    // Two runs; the first query of each is issued a little after the run start, as in a real run.
    const runs = [
      { queries: [[2_000, 6_000], [7_000, 11_000], [12_000, 18_000], [20_000, 21_000]] as [number, number][] },
      { queries: [[1_000, 3_000], [4_000, 10_000], [12_000, 15_000]] as [number, number][] },
    ];
    const spec = resolveSuiteSpec({ minQueryCount: 3, minDurationMs: 0, repeatCount: 2 });
    const summary = reportOf(spec, { scenario: 'single-stream', runs });
    // LoadGen: (sample_count - 1) / final_query_issued_time, per run; the runs pooled like Server's QPS.
    const expected = (4 - 1 + (3 - 1)) / ((20_000 + 12_000) / 1e9);
    const text = formatMlperfSummary(summary, environment);
    expect(text).toContain(`QPS w/ loadgen overhead         : ${expected.toFixed(2)}\n`);
    expect(summary.qpsWithOverhead).toBeCloseTo(expected, 6);
    // 1 / mean latency: (4 + 4 + 6 + 1 + 2 + 6 + 3) us / 7.
    expect(text).toContain(`QPS w/o loadgen overhead        : ${(1e9 / Math.trunc(26_000 / 7)).toFixed(2)}\n`);
  });

  it('writes the performance sample set and its three seeds when the report records them', () => {
    const summary = { ...summaryOf({ seed: 1 }), sampleSet: { performanceSampleCount: 64, qslSeed: 11, sampleIndexSeed: 22, scheduleSeed: 33 } };
    const text = formatMlperfSummary(summary, environment);
    expect(text).toMatch(/\nqsl_rng_seed : 11\nsample_index_rng_seed : 22\nschedule_rng_seed : 33\n/);
    expect(text).toContain('\nperformance_sample_count : 64\n');
  });

  it('writes the seed an older report (one sample, no sample set) used as qsl_rng_seed and schedule_rng_seed', () => {
    const text = formatMlperfSummary(summaryOf({ seed: 123_456_789 }), environment);
    expect(text).toMatch(/\nqsl_rng_seed : 123456789\nsample_index_rng_seed : 0\nschedule_rng_seed : 123456789\n/);
  });

  it('writes a Server summary in LoadGen\'s layout', () => {
    const spec = resolveSuiteSpec({ scenario: 'server', targetQps: 1000, minQueryCount: 700, minDurationMs: 0, targetLatencyMs: 10 });
    const schedule = Array.from(serverScheduleOf(spec));
    // Every query issued on time and done 1 ms later.
    const queries = schedule.map((at): [number, number, number] => [at, at, at + 1_000_000]);
    const text = formatMlperfSummary(reportOf(spec, { scenario: 'server', runs: [{ queries }] }), environment);
    const n = schedule.length;
    const scheduled = (n - 1) / (schedule[n - 1]! / 1e9);
    const completed = (n - 1) / ((schedule[n - 1]! + 1_000_000) / 1e9);
    expect(text.split('\n').slice(4, 22).join('\n')).toBe(
      [
        'Scenario : Server',
        'Mode     : PerformanceOnly',
        `Scheduled samples per second : ${scheduled.toFixed(2)}`,
        'Result is : VALID',
        '  Performance constraints satisfied : Yes',
        '  Min duration satisfied : Yes',
        '  Min queries satisfied : Yes',
        '  Early stopping satisfied: Yes',
        'Early Stopping Result:',
        ' * Run successful.',
        '',
        '================================================',
        'Additional Stats',
        '================================================',
        `Completed samples per second    : ${completed.toFixed(2)}`,
        '',
        'Min latency (ns)                : 1000000',
        'Max latency (ns)                : 1000000',
      ].join('\n'),
    );
    expect(text).toContain('\ntarget_latency (ns): 10000000\n');
  });

  it('writes an Offline summary in LoadGen\'s layout, samples per second as a C++ stream prints it', () => {
    const spec = resolveSuiteSpec({ scenario: 'offline', offlineSampleCount: 100, minDurationMs: 0 });
    // 100 samples done by 100 us: 1,000,000 samples/s, which std::ostream writes as 1e+06.
    const queries = Array.from({ length: 100 }, (_, i): [number, number] => [0, (i + 1) * 1000]);
    const text = formatMlperfSummary(reportOf(spec, { scenario: 'offline', runs: [{ queries }] }), environment);
    expect(text.split('\n').slice(4, 16).join('\n')).toBe(
      [
        'Scenario : Offline',
        'Mode     : PerformanceOnly',
        'Samples per second: 1e+06',
        'Result is : VALID',
        '  Min duration satisfied : Yes',
        '  Min queries satisfied : Yes',
        '  Early stopping satisfied: Yes',
        '',
        '================================================',
        'Additional Stats',
        '================================================',
        'Min latency (ns)                : 1000',
      ].join('\n'),
    );
  });
});
