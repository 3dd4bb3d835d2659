import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  MONOTONIC_CLOCK,
  RAW_SAMPLES_FORMAT,
  rawSamplesSchema,
  recomputeSummaryFromRawSamples,
  resolveSuiteSpec,
  runBenchmark,
  verifySummaryAgainstRawSamples,
  type BenchmarkProgress,
  type InferenceBackend,
  type RawSamples,
} from '../../src/harness/index.js';
import { HarnessError } from '../../src/lib/errors.js';
import { latenciesOf, loadgenPercentile } from '../helpers/independent-stats.js';

const MLP = fileURLToPath(new URL('../fixtures/models/mlp-classifier.onnx', import.meta.url));

/** A backend whose queries take `queryMs`; `onRun` sees the query number. */
function fakeBackend(queryMs: number, onRun: (query: number) => void = () => {}) {
  let runs = 0;
  const state = { closed: false };
  const backend: InferenceBackend = {
    name: 'fake',
    load: async () => ({ inputs: [{ name: 'x', elementType: 'float32', shape: [1, 4] }], outputs: [] }),
    prepareFeeds: () => ({ backendName: 'fake' }),
    run: async () => {
      onRun(++runs);
      await new Promise((resolve) => setTimeout(resolve, queryMs));
    },
    close: async () => {
      state.closed = true;
    },
    describe: () => ({ runtime: 'fake', runtimeVersion: '0', executionProvider: 'cpu', registeredProviders: ['cpu'], executionProviderOptions: {}, sessionOptions: {} }),
  };
  return { backend, state };
}

describe('runBenchmark, single-stream', () => {
  it('runs the mlp fixture on onnxruntime and reports only numbers the raw samples give', async () => {
    const progress: BenchmarkProgress[] = [];
    const spec = resolveSuiteSpec({ preset: 'smoke', dynamicDims: { batch: 4 } });
    const { summary, rawSamples, environment } = await runBenchmark({
      modelPath: MLP,
      spec,
      backend: { executionProvider: 'cpu', intraOpNumThreads: 1 },
      onProgress: (p) => progress.push(p),
    });

    expect(rawSamplesSchema.parse(rawSamples)).toEqual(rawSamples);
    expect(rawSamples).toMatchObject({ format: RAW_SAMPLES_FORMAT, clock: MONOTONIC_CLOCK, unit: 'ns', scenario: 'single-stream' });
    expect(rawSamples.runs).toHaveLength(1);
    expect(rawSamples.runs[0]!.queries.length).toBeGreaterThanOrEqual(32);
    expect(summary.queryCount).toBe(rawSamples.runs[0]!.queries.length);
    expect(summary.durationNs).toBeGreaterThanOrEqual(200e6);

    // The figures, recomputed here from the raw samples without the harness's code.
    const queries = rawSamples.runs[0]!.queries as [number, number][];
    const latencies = latenciesOf(queries);
    const durationNs = queries.at(-1)![1] - queries[0]![0];
    expect(summary.durationNs).toBe(durationNs);
    expect(summary.qps).toBeCloseTo(queries.length / (durationNs / 1e9), 9);
    expect(summary.latency).toMatchObject({
      count: queries.length,
      minNs: Math.min(...latencies),
      maxNs: Math.max(...latencies),
      p50Ns: loadgenPercentile(latencies, 50),
      p90Ns: loadgenPercentile(latencies, 90),
      p99Ns: loadgenPercentile(latencies, 99),
      meanNs: Math.floor(latencies.reduce((a, b) => a + b, 0) / latencies.length), // LoadGen's integer mean
    });
    expect(verifySummaryAgainstRawSamples(summary, rawSamples)).toEqual([]);

    expect(summary).toMatchObject({
      scenario: 'single-stream',
      spec,
      targetPercentile: 90,
      targetLatencyNs: summary.latency.p90Ns,
      minQueriesSatisfied: true,
      minDurationSatisfied: true,
      stoppedByMaxDuration: false,
      backend: { runtime: 'onnxruntime-node', runtimeVersion: '1.30.0', executionProvider: 'cpu', sessionOptions: { intraOpNumThreads: 1 } },
    });
    expect(summary.modelLoadMs).toBeGreaterThan(0);
    expect(summary.firstInferenceMs).toBeGreaterThan(0);
    expect(environment).toMatchObject({ runtime: { name: 'onnxruntime-node', version: '1.30.0', executionProvider: 'cpu' }, nodeVersion: process.version });

    expect(progress[0]).toEqual({ phase: 'load', fraction: 0, queries: 0 });
    expect(progress.find((p) => p.phase === 'measure')).toEqual({ phase: 'measure', fraction: 0, queries: 0 });
    expect(progress.filter((p) => p.phase === 'measure').length).toBeGreaterThan(1); // 200 ms run, 100 ms throttle
    expect(progress.at(-1)).toEqual({ phase: 'done', fraction: 1, queries: summary.queryCount });
    for (const p of progress) expect(p.fraction >= 0 && p.fraction <= 1).toBe(true);
  });

  it('detects a summary that does not follow from its raw samples', async () => {
    const { summary, rawSamples } = await runBenchmark({ modelPath: MLP, spec: resolveSuiteSpec({ preset: 'smoke', minDurationMs: 0 }), backend: { executionProvider: 'cpu' } });
    const tampered = { ...summary, latency: { ...summary.latency, p90Ns: summary.latency.p90Ns - 1 }, qps: summary.qps * 2 };
    expect(verifySummaryAgainstRawSamples(tampered, rawSamples)).toEqual(['qps', 'latency']);
    // smoke runs as many queries as its p90 early-stopping estimate needs, so the run is VALID; a spec
    // claiming a million queries makes the raw samples give an unsatisfied, INVALID run instead.
    expect(summary.result).toBe('VALID');
    const lowered = { ...summary, spec: { ...summary.spec, minQueryCount: 1_000_000 } };
    expect(verifySummaryAgainstRawSamples(lowered, rawSamples)).toEqual(['minQueriesSatisfied', 'stoppedByMaxDuration', 'result']);
  });

  it('stops at maxDurationMs and says so', async () => {
    const { backend, state } = fakeBackend(5);
    const { summary, rawSamples } = await runBenchmark({
      modelPath: 'unused.onnx',
      spec: resolveSuiteSpec({ warmupQueries: 0, minQueryCount: 10_000, minDurationMs: 0, maxDurationMs: 60 }),
      backend,
    });
    expect(summary).toMatchObject({ stoppedByMaxDuration: true, minQueriesSatisfied: false, minDurationSatisfied: true });
    expect(summary.queryCount).toBeLessThan(10_000);
    expect(summary.durationNs).toBeGreaterThanOrEqual(60e6);
    expect(verifySummaryAgainstRawSamples(summary, rawSamples)).toEqual([]);
    expect(state.closed).toBe(true);
  });

  it('stops when aborted and closes the backend', async () => {
    const controller = new AbortController();
    const { backend, state } = fakeBackend(1, (query) => query === 3 && controller.abort());
    const run = runBenchmark({ modelPath: 'unused.onnx', spec: resolveSuiteSpec({ warmupQueries: 0 }), backend, signal: controller.signal });
    await expect(run).rejects.toThrow(HarnessError);
    await expect(run).rejects.toMatchObject({ code: 'harness.aborted' });
    expect(state.closed).toBe(true);
  });

  it('refuses an execution provider onnxruntime cannot provide instead of falling back to CPU', async () => {
    const run = runBenchmark({ modelPath: MLP, spec: resolveSuiteSpec({ preset: 'smoke' }), backend: { executionProvider: 'no-such-npu' } });
    await expect(run).rejects.toMatchObject({ code: 'harness.ep_unavailable' });
  });

  it('reports a CPU load failure as a model problem', async () => {
    const run = runBenchmark({ modelPath: fileURLToPath(import.meta.url), spec: resolveSuiteSpec({}), backend: { executionProvider: 'cpu' } });
    await expect(run).rejects.toMatchObject({ code: 'harness.model_load_failed' });
  });
});

describe('recomputeSummaryFromRawSamples', () => {
  const raw = (queries: [number, number][]): RawSamples => ({ format: RAW_SAMPLES_FORMAT, clock: MONOTONIC_CLOCK, unit: 'ns', scenario: 'single-stream', runs: [{ queries }] });
  const criteria = resolveSuiteSpec({ minQueryCount: 3, minDurationMs: 0 });

  it('computes duration, throughput and latencies from start/end pairs', () => {
    expect(recomputeSummaryFromRawSamples(raw([[0, 100], [100, 300], [350, 650]]), criteria)).toMatchObject({
      queryCount: 3,
      durationNs: 650,
      qps: 3 / 650e-9,
      qpsWithoutOverhead: 1e9 / 200,
      latency: { count: 3, minNs: 100, maxNs: 300, meanNs: 200, p50Ns: 200, p90Ns: 300, p95Ns: 300, p97Ns: 300, p99Ns: 300, p999Ns: 300 },
      targetPercentile: 90,
      targetLatencyNs: 300,
      minQueriesSatisfied: true,
      minDurationSatisfied: true,
      stoppedByMaxDuration: false,
      // 3 queries are far fewer than the 64 a p90 early-stopping estimate needs.
      earlyStoppingSatisfied: false,
      earlyStoppingMinQueries: 64,
      earlyStoppingLatencyNs: null,
      result: 'INVALID',
      runs: [{ queryCount: 3, durationNs: 650, p50Ns: 200, firstTenthP50Ns: 100, lastTenthP50Ns: 300, slowdownPct: 200 }],
      runToRunP50CvPct: null,
      thermalDriftDetected: true,
    });
  });

  it('counts an Offline sample\'s latency from the query issue at 0, and its per-run p50 from its own service time', () => {
    // Two workers: samples end at 100, 150, 250 and 400 ns, the last two taken when the first two finished.
    const samples: [number, number][] = [[0, 100], [0, 150], [100, 250], [150, 400]];
    const offline: RawSamples = { format: RAW_SAMPLES_FORMAT, clock: MONOTONIC_CLOCK, unit: 'ns', scenario: 'offline', runs: [{ queries: samples }] };
    const spec = resolveSuiteSpec({ scenario: 'offline', offlineSampleCount: 4, minDurationMs: 0 });
    expect(recomputeSummaryFromRawSamples(offline, spec)).toMatchObject({
      queryCount: 4,
      durationNs: 400,
      qps: 4 / 400e-9,
      // Latencies 100, 150, 250, 400 (the ends); sorted[floor(4 * 0.5)] = 250.
      latency: { count: 4, minNs: 100, maxNs: 400, meanNs: 225, p50Ns: 250, p90Ns: 400 },
      // Service times (end - start) 100, 150, 150, 250: sorted[2] = 150.
      runs: [{ queryCount: 4, durationNs: 400, p50Ns: 150 }],
      earlyStoppingSatisfied: true,
    });
  });

  it.each<[string, [number, number][]]>([
    ['no queries', []],
    ['a query ending before it starts', [[10, 5]]],
    ['a zero-length query', [[10, 10]]],
    ['overlapping queries', [[0, 100], [50, 150]]],
    ['fractional times', [[0, 1.5]]],
  ])('rejects %s', (_label, queries) => {
    expect(() => recomputeSummaryFromRawSamples(raw(queries), criteria)).toThrow(expect.objectContaining({ code: 'harness.invalid_raw_samples' }));
  });
});
