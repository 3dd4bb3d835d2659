import { describe, expect, it } from 'vitest';
import {
  LATENCY_SUMMARY_FORMAT,
  MONOTONIC_CLOCK,
  RAW_SAMPLES_FORMAT,
  formatMlperfSummary,
  recomputeSummaryFromRawSamples,
  resolveSuiteSpec,
  type EnvironmentInfo,
  type LatencySummaryReport,
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

/** 1000 back-to-back queries of 1..1000 us, 1 ms apart: a known latency distribution. */
function summaryOf(input: SuiteSpecInput): LatencySummaryReport {
  const spec = resolveSuiteSpec({ minQueryCount: 1000, minDurationMs: 500, ...input });
  const queries = Array.from({ length: 1000 }, (_, i): [number, number] => [i * 1_000_000, i * 1_000_000 + (i + 1) * 1000]);
  const raw = spec.scenario === 'multi-stream' ? { scenario: 'multi-stream' as const, runs: [{ queries }] } : { scenario: 'single-stream' as const, runs: [{ queries }] };
  const measured = recomputeSummaryFromRawSamples({ format: RAW_SAMPLES_FORMAT, clock: MONOTONIC_CLOCK, unit: 'ns', ...raw }, spec);
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

describe('formatMlperfSummary', () => {
  it('writes a SingleStream summary in LoadGen\'s layout', () => {
    const text = formatMlperfSummary(summaryOf({}), environment);
    const head = text.split('\n').slice(0, 18).join('\n');
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
  });
});
