import { describe, expect, it } from 'vitest';
import {
  latencySummaryReportSchema,
  poissonSchedule,
  rawSamplesSchema,
  resolveSuiteSpec,
  runBenchmark,
  verifySummaryAgainstRawSamples,
  type InferenceBackend,
  type SuiteSpecInput,
} from '../../src/harness/index.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { loadgenPercentile } from '../helpers/independent-stats.js';

const MLP = fixtureModel('mlp-classifier.onnx'); // symbolic batch dim "batch"
const CNN = fixtureModel('tiny-cnn.onnx'); // fixed [1, 3, 32, 32]
const CPU = { executionProvider: 'cpu', intraOpNumThreads: 1 };

async function run(modelPath: string, input: SuiteSpecInput, backend: InferenceBackend | typeof CPU = CPU) {
  const spec = resolveSuiteSpec({ preset: 'smoke', ...input });
  const result = await runBenchmark({ modelPath, spec, backend });
  expect(rawSamplesSchema.parse(result.rawSamples)).toEqual(result.rawSamples);
  expect(latencySummaryReportSchema.parse(result.summary)).toEqual(result.summary);
  expect(verifySummaryAgainstRawSamples(result.summary, result.rawSamples)).toEqual([]);
  return { spec, ...result };
}

/** A backend whose runs take `runMs` and that records how many were in flight at once. */
function fakeBackend(runMs: number) {
  const state = { inFlight: 0, maxInFlight: 0, runs: 0 };
  const backend: InferenceBackend = {
    name: 'fake',
    load: async () => ({ inputs: [{ name: 'x', elementType: 'float32', shape: [1, 4] }], outputs: [] }),
    prepareFeeds: () => ({ backendName: 'fake' }),
    run: async () => {
      state.runs++;
      state.maxInFlight = Math.max(state.maxInFlight, ++state.inFlight);
      await new Promise((resolve) => setTimeout(resolve, runMs));
      state.inFlight--;
    },
    close: async () => {},
    describe: () => ({ runtime: 'fake', runtimeVersion: '0', executionProvider: 'cpu', registeredProviders: ['cpu'], executionProviderOptions: {}, sessionOptions: {} }),
  };
  return { backend, state };
}

describe('multi-stream', () => {
  it.each([MLP, CNN])('runs %s with query latency = slowest sample, p99 by default', async (model) => {
    const { summary, rawSamples } = await run(model, { scenario: 'multi-stream', samplesPerQuery: 4, minQueryCount: 40, minDurationMs: 50 });
    if (rawSamples.scenario !== 'multi-stream') throw new Error('wrong scenario');
    const queries = rawSamples.runs[0]!.queries;
    const latencies = queries.map(([start, end]) => end - start);
    expect(summary).toMatchObject({ scenario: 'multi-stream', targetPercentile: 99, queryCount: queries.length, sampleCount: 4 * queries.length });
    expect(summary.targetLatencyNs).toBe(loadgenPercentile(latencies, 99));
  });

  it('issues the samples of a query concurrently', async () => {
    const { backend, state } = fakeBackend(2);
    const { summary } = await run('unused.onnx', { scenario: 'multi-stream', warmupQueries: 0, minQueryCount: 5, minDurationMs: 0 }, backend);
    expect(state.maxInFlight).toBe(8);
    expect(state.runs).toBe(8 * summary.queryCount);
  });
});

describe('server', () => {
  it('issues the seeded Poisson schedule and counts latency from the scheduled time', async () => {
    const { spec, summary, rawSamples } = await run(CNN, { scenario: 'server', targetQps: 1000, minQueryCount: 100, minDurationMs: 0 });
    if (rawSamples.scenario !== 'server') throw new Error('wrong scenario');
    const queries = rawSamples.runs[0]!.queries;
    const schedule = poissonSchedule(spec.seed, { targetQps: 1000, minQueryCount: 100, minDurationNs: 0, maxDurationNs: spec.maxDurationMs * 1e6 });
    expect(queries.map(([scheduled]) => scheduled)).toEqual(Array.from(schedule));
    for (const [scheduled, start, end] of queries) expect(scheduled <= start && start < end).toBe(true);
    const latencies = queries.map(([scheduled, , end]) => end - scheduled);
    expect(summary.targetLatencyNs).toBe(loadgenPercentile(latencies, 99));
    expect(summary.server).toMatchObject({ targetLatencyNs: 10e6, overLatencyCount: latencies.filter((l) => l > 10e6).length });
    expect(summary.server!.scheduledQps).toBeCloseTo(99 / (queries.at(-1)![0] / 1e9), 6);
  });

  it('is INVALID when the latency bound is missed, and bounds the queries in flight', async () => {
    const { backend, state } = fakeBackend(8);
    const { summary } = await run('unused.onnx', { scenario: 'server', warmupQueries: 0, targetQps: 1000, targetLatencyMs: 5, maxOutstandingQueries: 3, minQueryCount: 60, minDurationMs: 0 }, backend);
    expect(state.maxInFlight).toBe(3);
    expect(summary.server).toMatchObject({ latencyBoundSatisfied: false, qpsSatisfied: false });
    expect(summary.result).toBe('INVALID');
  });

  it('rejects raw samples whose schedule is not the spec\'s', async () => {
    const { summary, rawSamples } = await run(CNN, { scenario: 'server', targetQps: 2000, minQueryCount: 20, minDurationMs: 0 });
    if (rawSamples.scenario !== 'server') throw new Error('wrong scenario');
    const [first, ...rest] = rawSamples.runs[0]!.queries;
    const shifted = { ...rawSamples, runs: [{ queries: [first!, ...rest.map(([s, start, end]) => [s + 1, start + 1, end + 1] as [number, number, number])] }] };
    expect(() => verifySummaryAgainstRawSamples(summary, shifted)).toThrow(expect.objectContaining({ code: 'harness.invalid_raw_samples' }));
  });
});

describe('offline', () => {
  it.each([MLP, CNN])('runs all samples of %s as one query with bounded concurrency', async (model) => {
    const { summary, rawSamples } = await run(model, { scenario: 'offline', offlineSampleCount: 200, maxOutstandingQueries: 4 });
    const samples = rawSamples.runs[0]!.queries;
    expect(samples).toHaveLength(200);
    const lastEnd = Math.max(...samples.map((sample) => sample.at(-1)!));
    expect(summary).toMatchObject({ scenario: 'offline', queryCount: 200, durationNs: lastEnd, earlyStoppingSatisfied: true, stoppedByMaxDuration: false });
    expect(summary.qps).toBe(200 / (lastEnd / 1e9));
    // Latency counts from the query issue at 0: a sample's end, not its own end - start.
    const ends = samples.map((sample) => sample.at(-1)!);
    expect(summary.latency).toMatchObject({ p50Ns: loadgenPercentile(ends, 50), p90Ns: loadgenPercentile(ends, 90), maxNs: lastEnd });
    expect(summary.runs[0]!.p50Ns).toBe(loadgenPercentile(samples.map(([start, end]) => end - start), 50));
  });

  it('keeps at most maxOutstandingQueries samples in flight', async () => {
    const { backend, state } = fakeBackend(1);
    await run('unused.onnx', { scenario: 'offline', warmupQueries: 0, offlineSampleCount: 30, maxOutstandingQueries: 5 }, backend);
    expect(state.maxInFlight).toBe(5);
  });
});

describe('repeats', () => {
  it('runs repeatCount times, pools the runs and reports run-to-run variation', async () => {
    const { summary, rawSamples } = await run(MLP, { repeatCount: 3, cooldownMs: 10, minQueryCount: 50, minDurationMs: 30 });
    expect(rawSamples.runs).toHaveLength(3);
    const perRun = rawSamples.runs.map((r) => r.queries.map(([start, end]) => end - start));
    expect(summary.queryCount).toBe(perRun.flat().length);
    expect(summary.latency.p50Ns).toBe(loadgenPercentile(perRun.flat(), 50));
    expect(summary.runs.map((r) => r.p50Ns)).toEqual(perRun.map((latencies) => loadgenPercentile(latencies, 50)));
    const p50s = summary.runs.map((r) => r.p50Ns);
    const mean = p50s.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(p50s.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
    expect(summary.runToRunP50CvPct).toBeCloseTo((sd / mean) * 100, 9);
  });

  it('refuses raw samples with another number of runs than the spec', async () => {
    const { summary, rawSamples } = await run(MLP, { repeatCount: 2, minQueryCount: 10, minDurationMs: 0 });
    if (rawSamples.scenario !== 'single-stream') throw new Error('wrong scenario');
    expect(() => verifySummaryAgainstRawSamples(summary, { ...rawSamples, runs: rawSamples.runs.slice(0, 1) })).toThrow(
      expect.objectContaining({ code: 'harness.invalid_raw_samples' }),
    );
  });
});
