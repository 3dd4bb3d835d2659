// Profile rules against a summary from a real smoke run, with the figures each case needs written in,
// so every expected/actual string is exact.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSuiteSpec, runBenchmark, SUITE_DEFAULTS, type LatencySummaryReport, type OperatorProfile } from '../../src/harness/index.js';
import { MAX_THERMAL_SLOWDOWN_PCT } from '../../src/lib/certificates/profile-rules.js';
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

type Summary = LatencySummaryReport;
type MeasuredPower = Extract<Summary['power'], { measured: true }>;
type Accuracy = NonNullable<Summary['accuracy']>;

function powerSummary(patch: Partial<MeasuredPower>): MeasuredPower {
  return {
    measured: true,
    meter: { kind: 'ptdaemon', name: 'PTDaemon 127.0.0.1', class: 'lab', uncertaintyPct: 0.4, intervalMs: 20 },
    result: 'VALID',
    invalidReasons: [],
    windowNs: 1_234_567_890,
    sampleCount: 60,
    sampleRateHz: 50,
    avgW: 3.4,
    peakW: 3.9,
    energyJ: 4.2,
    idle: null,
    idleSubtracted: null,
    energyPerQueryMj: 105,
    idleSubtractedEnergyPerQueryMj: null,
    samplesPerJoule: 9.52,
    uncertaintyPct: 0.4,
    ranging: null,
    ...patch,
  };
}

const timing = { promptNs: 0, modelNs: 1, totalNs: 1, promptShare: 0 };
function accuracySummary(patch: Partial<Accuracy>): Accuracy {
  return { mmlu: null, classification: null, fidelity: null, gate: null, timing, ...patch };
}
function fidelityOf(outputs: { minCosine?: number; top1Agreement?: number | null; top5Agreement?: number | null; samples: number }[]): Accuracy['fidelity'] {
  return {
    referenceModelDigest: 'a'.repeat(64),
    outputs: outputs.map((o, i) => ({ name: `out${i}`, samples: o.samples, cosineSimilarity: 1, minCosineSimilarity: o.minCosine ?? 1, maxAbsError: 0, meanAbsError: 0, top1Agreement: o.top1Agreement ?? null, top5Agreement: o.top5Agreement ?? null })),
  };
}
function gateOf(metric: NonNullable<Accuracy['gate']>['metric'], candidate: number, reference: number): Accuracy['gate'] {
  return { metric, minRelativeScore: 0.99, candidate, reference, relativeScore: candidate / reference, result: candidate / reference >= 0.99 ? 'PASS' : 'FAIL' };
}
function mmluOf(correct: number, referenceCorrect: number, questions: number, agreement: number): Accuracy['mmlu'] {
  return {
    dataset: 'builtin:npubench-mmlu-mini',
    shots: 0,
    questionCount: questions,
    correct,
    accuracy: correct / questions,
    accuracyCi95: [0, 1],
    macroAccuracy: correct / questions,
    macroAccuracyCi95: [0, 1],
    subjects: [],
    truncatedPrompts: 0,
    reference: { accuracy: referenceCorrect / questions, macroAccuracy: referenceCorrect / questions, predictionAgreement: agreement },
  };
}
const dist = (p50Ns: number, p90Ns: number, p99Ns: number) => ({ count: 3, minNs: p50Ns, meanNs: p50Ns, p50Ns, p90Ns, p99Ns, maxNs: p99Ns });

/** An operator profile with one listed node per [provider, µs]. */
function operatorProfile(nodes: (readonly [string, number])[]): OperatorProfile {
  const total = nodes.reduce((sum, [, us]) => sum + us, 0);
  const providers = [...new Set(nodes.map(([p]) => p))].map((provider) => {
    const count = nodes.filter(([p]) => p === provider).length;
    return { provider, nodes: count, share: count / nodes.length };
  });
  return {
    format: 'npubench.operator-profile/v1',
    source: 'onnxruntime profiler (kernel events)',
    iterations: 1,
    totalKernelUs: total,
    providers,
    byOpType: [],
    byNode: nodes.map(([provider, us], i) => ({ node: `n${i}`, opType: 'MatMul', provider, totalUs: us, meanUsPerIteration: us, share: us / total })),
  };
}

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

  it('power: measured and VALID, by the meter class asked, with a stated uncertainty and energy within the bounds', () => {
    // The smoke run had no meter.
    expect(line({ power: { required: true } }, summaryWith(), usage(MIB))).toEqual({
      rule: 'power',
      passed: false,
      expected: 'power measured (VALID)',
      actual: 'not measured',
      reason: 'power not measured: no power meter is configured for this device',
    });
    const lab = summaryWith({ power: powerSummary({}) });
    const rule = { required: true, meterClass: 'lab', maxUncertaintyPct: 1, maxEnergyPerQueryMj: 200 } as const;
    expect(line({ power: rule }, lab)).toEqual({
      rule: 'power',
      passed: true,
      expected: 'power measured (VALID) with a lab meter; stated uncertainty ≤ 1 %; energy ≤ 200 mJ/query',
      actual: 'power VALID; meter ptdaemon (lab); uncertainty = 0.4 %; energy = 105 mJ/query',
      reason: 'met',
    });
    expect(line({ power: { ...rule, maxEnergyPerQueryMj: 100 } }, lab)).toMatchObject({ passed: false, reason: 'energy per query above the bound' });
    expect(line({ power: { ...rule, maxUncertaintyPct: 0.25 } }, lab)).toMatchObject({ passed: false, reason: 'meter uncertainty above the bound' });
    // An onboard rail sensor states no uncertainty: it cannot satisfy an uncertainty bound, only "measured".
    const onboard = summaryWith({ power: powerSummary({ meter: { kind: 'hwmon', name: 'hwmon0', class: 'onboard', uncertaintyPct: null, intervalMs: 10 }, uncertaintyPct: null }) });
    expect(line({ power: { required: true, maxUncertaintyPct: 5 } }, onboard)).toMatchObject({ passed: false, actual: 'power VALID; uncertainty not stated', reason: 'the meter states no uncertainty' });
    expect(line({ power: { required: true } }, onboard)).toMatchObject({ passed: true });
    expect(line({ power: { required: true, meterClass: 'lab' } }, onboard)).toMatchObject({ passed: false, reason: 'not a lab meter' });
    const invalid = summaryWith({ power: powerSummary({ result: 'INVALID', invalidReasons: ['meter disconnected'] }) });
    expect(line({ power: { required: true } }, invalid)).toMatchObject({ passed: false, reason: 'power result INVALID (meter disconnected)' });
  });

  it('accuracy: a signed gate that PASSes at relative score 1 passes; a score below the share or on too few samples fails', () => {
    // The case: a classifier compared with its reference, gate on top-1 agreement, relative score 1.
    const agreeing = summaryWith({ accuracy: accuracySummary({ fidelity: fidelityOf([{ top1Agreement: 1, samples: 8 }]), gate: gateOf('top1Agreement', 1, 1) }) });
    expect(line({ accuracy: { minRelativeToReference: 0.99 } }, agreeing)).toEqual({
      rule: 'accuracy',
      passed: true,
      expected: 'accuracy ≥ 99 % of reference',
      actual: 'top1Agreement = 1 vs reference 1 on 8 samples (100 %)',
      reason: 'met',
    });
    expect(line({ accuracy: { minRelativeToReference: 0.99, minSamples: 100 } }, agreeing)).toMatchObject({ passed: false, expected: 'accuracy ≥ 99 % of reference on ≥ 100 samples', reason: 'too few samples' });
    // MMLU wins over the fidelity output when both are there: 12/24 against the reference's 13/24 is 92.31 %.
    const mmlu = summaryWith({ accuracy: accuracySummary({ mmlu: mmluOf(12, 13, 24, 0.75), fidelity: fidelityOf([{ top1Agreement: 1, samples: 8 }]) }) });
    expect(line({ accuracy: { minRelativeToReference: 0.9 } }, mmlu)).toMatchObject({ passed: true, actual: 'mmlu.accuracy = 0.5 vs reference 0.541667 on 24 samples (92.31 %)' });
    expect(line({ accuracy: { minRelativeToReference: 0.99 } }, mmlu)).toMatchObject({ passed: false, reason: 'accuracy below the share of the reference' });
    expect(line({ accuracy: { minRelativeToReference: 0.99 } })).toEqual({
      rule: 'accuracy',
      passed: false,
      expected: 'accuracy ≥ 99 % of reference',
      actual: 'not measured',
      reason: 'accuracy not measured: the report has no accuracy pass against a reference model',
    });
  });

  it('fidelity: the worst output meets every bound given', () => {
    const two = summaryWith({ accuracy: accuracySummary({ fidelity: fidelityOf([{ minCosine: 0.9995, top1Agreement: 1, top5Agreement: 1, samples: 8 }, { minCosine: 0.97, top1Agreement: null, top5Agreement: null, samples: 8 }]) }) });
    expect(line({ fidelity: { minCosine: 0.95, minTop1Agreement: 0.99 } }, two)).toEqual({
      rule: 'fidelity',
      passed: true,
      expected: 'min cosine ≥ 0.95; top-1 agreement ≥ 0.99',
      actual: 'min cosine = 0.97; top-1 agreement = 1',
      reason: 'met',
    });
    expect(line({ fidelity: { minCosine: 0.99 } }, two)).toMatchObject({ passed: false, reason: 'min cosine below 0.99' });
    expect(line({ fidelity: { minCosine: 0.9, minSamples: 9 } }, two)).toMatchObject({ passed: false, actual: 'min cosine = 0.97; samples = 8', reason: 'too few compared samples' });
    expect(line({ fidelity: { minAnswerAgreement: 0.9 } }, two)).toMatchObject({ passed: false, actual: 'answer agreement not measured', reason: 'no MMLU answers of the reference' });
    const lm = summaryWith({ accuracy: accuracySummary({ mmlu: mmluOf(12, 13, 24, 0.75), fidelity: fidelityOf([{ minCosine: 0.99, samples: 24 }]) }) });
    expect(line({ fidelity: { minAnswerAgreement: 0.8 } }, lm)).toMatchObject({ passed: false, actual: 'answer agreement = 0.75' });
    expect(line({ fidelity: { minCosine: 0.9 } })).toMatchObject({ passed: false, actual: 'not measured', reason: 'fidelity not measured: the report compared no outputs with a reference model' });
  });

  it('acceleratorShare reads nodes and kernel time per provider from the operator profile', () => {
    // 10 nodes: 8 on the NPU EP with 900 µs, 2 fell back to the CPU with 100 µs.
    const profile = operatorProfile([...Array.from({ length: 8 }, () => ['QNNExecutionProvider', 112.5] as const), ['CPUExecutionProvider', 60], ['CPUExecutionProvider', 40]]);
    const rule = { acceleratorShare: { provider: 'QNNExecutionProvider', minNodeShare: 0.8, minTimeShare: 0.9 } };
    expect(evaluateProfile(rule, { summary: summaryWith(), operatorProfile: profile }).rules[0]).toEqual({
      rule: 'acceleratorShare',
      passed: true,
      expected: 'nodes on QNNExecutionProvider ≥ 80 %; kernel time on QNNExecutionProvider ≥ 90 %',
      actual: 'nodes on QNNExecutionProvider = 8/10 (80 %); kernel time on QNNExecutionProvider = 90 %',
      reason: 'met',
    });
    expect(evaluateProfile({ acceleratorShare: { provider: 'QNNExecutionProvider', minNodeShare: 0.9 } }, { summary: summaryWith(), operatorProfile: profile }).rules[0]).toMatchObject({ passed: false, reason: 'too few nodes on QNNExecutionProvider' });
    // A silent CPU fallback: everything ran on the CPU EP.
    const cpu = operatorProfile([['CPUExecutionProvider', 50], ['CPUExecutionProvider', 50]]);
    expect(evaluateProfile(rule, { summary: summaryWith(), operatorProfile: cpu }).rules[0]).toMatchObject({ passed: false, actual: 'nodes on QNNExecutionProvider = 0/2 (0 %); kernel time on QNNExecutionProvider = 0 %' });
    expect(line(rule)).toMatchObject({ passed: false, reason: 'accelerator share not measured: the report has no operator profile' });
  });

  it('sustained: every run long enough and its last tenth within the slowdown bound', () => {
    const runs = [{ durationNs: 120e9, firstTenthP50Ns: 2e6, lastTenthP50Ns: 2.1e6, slowdownPct: 5 }, { durationNs: 130e9, firstTenthP50Ns: 2e6, lastTenthP50Ns: 2.16e6, slowdownPct: 8 }];
    const rule = { sustained: { minDurationMs: 120_000, maxSlowdownPct: 10 } };
    expect(line(rule, summaryWith({}, runs))).toEqual({
      rule: 'sustained',
      passed: true,
      expected: "every run ≥ 120 s with its last tenth's p50 ≤ 10 % above its first tenth's",
      actual: 'shortest run = 120.000 s; p50 first/last tenth = 2.000 ms / 2.160 ms, slowdown = 8.0 % (worst of 2 runs)',
      reason: 'met',
    });
    expect(line({ sustained: { minDurationMs: 120_000, maxSlowdownPct: 6 } }, summaryWith({}, runs))).toMatchObject({ passed: false, reason: 'the last window is slower than the bound allows' });
    expect(line({ sustained: { minDurationMs: 125_000, maxSlowdownPct: 10 } }, summaryWith({}, runs))).toMatchObject({ passed: false, reason: 'a run was too short to show sustained performance' });
  });

  it('llm: TTFT and TPOT at a percentile, tokens per second', () => {
    const llm = { promptTokens: 64, outputTokens: 16, runs: 3, ttft: dist(40e6, 45e6, 50e6), tpot: dist(8e6, 9e6, 9.5e6), outputTokensPerSecond: 105.25, prefillTokensPerSecond: 1500 };
    const rule = { llm: { percentile: 90, maxTtftMs: 50, maxTpotMs: 10, minOutputTokensPerSecond: 100 } } as const;
    expect(line(rule, summaryWith({ llm }))).toEqual({
      rule: 'llm',
      passed: true,
      expected: 'TTFT p90 ≤ 50 ms; TPOT p90 ≤ 10 ms; ≥ 100 tokens/s',
      actual: 'TTFT p90 = 45.000 ms; TPOT p90 = 9.000 ms; 105.25 tokens/s',
      reason: 'met',
    });
    expect(line({ llm: { percentile: 90, maxTpotMs: 8.5 } }, summaryWith({ llm }))).toMatchObject({ passed: false, reason: 'time per output token above the bound' });
    expect(line(rule)).toMatchObject({ passed: false, reason: 'LLM latency not measured' });
  });

  it('fidelity: greedy-token agreement with the reference LM', () => {
    const tokenAgreement = { prompts: 8, tokens: 256, matched: 250, share: 250 / 256, meanMatchedPrefix: 20, fullMatchShare: 0.5, costNs: 1 };
    const accuracy = accuracySummary({ mmlu: mmluOf(10, 10, 46, 1), tokenAgreement, fidelity: fidelityOf([{ samples: 8 }]) });
    expect(line({ fidelity: { minTokenAgreement: 0.95 } }, summaryWith({ accuracy }))).toEqual({
      rule: 'fidelity',
      passed: true,
      expected: 'token agreement ≥ 0.95',
      actual: 'token agreement = 0.976563 (256 tokens, 8 prompts)',
      reason: 'met',
    });
    expect(line({ fidelity: { minTokenAgreement: 0.98 } }, summaryWith({ accuracy }))).toMatchObject({ passed: false, reason: 'token agreement below 0.98' });
    // A report from before token agreement (or of a model that is no LM) has none: never passed by default.
    const { tokenAgreement: _none, ...older } = accuracy;
    expect(line({ fidelity: { minTokenAgreement: 0.5 } }, summaryWith({ accuracy: older }))).toMatchObject({ passed: false, actual: 'token agreement not measured', reason: 'no greedy tokens of the reference LM compared' });
    // Facts of such a report keep their earlier shape, so certificates issued before still match their report.
    expect(evaluateProfile({ fidelity: { minTokenAgreement: 0.5 } }, { summary: summaryWith({ accuracy: older }) }).facts!.fidelity).not.toHaveProperty('tokenAgreement');
  });

  it('power: energy per token over the LLM window, VALID, from the rule\'s meter class', () => {
    const power = powerSummary({});
    const energy = {
      measured: true as const,
      meter: power.meter,
      result: 'VALID' as const,
      invalidReasons: [],
      windowNs: 2e9,
      sampleCount: 100,
      avgW: 3,
      energyJ: 6,
      uncertaintyPct: 0.4,
      energyPerOutputTokenMj: 62.5,
      prefill: { samples: 4, energyJ: 0.5, perTokenMj: 0.4 },
      decode: null,
    };
    const llm = { promptTokens: 64, outputTokens: 16, runs: 6, ttft: dist(40e6, 45e6, 50e6), tpot: dist(8e6, 9e6, 9.5e6), outputTokensPerSecond: 105.25, prefillTokensPerSecond: 1500, energy };
    const rule = { power: { required: true, meterClass: 'lab', maxEnergyPerTokenMj: 100 } } as const;
    expect(line(rule, summaryWith({ power, llm }))).toEqual({
      rule: 'power',
      passed: true,
      expected: 'power measured (VALID) with a lab meter; energy ≤ 100 mJ/token',
      actual: 'power VALID; meter ptdaemon (lab); energy = 62.5 mJ/token (LLM window VALID)',
      reason: 'met',
    });
    expect(line({ power: { required: true, maxEnergyPerTokenMj: 50 } }, summaryWith({ power, llm }))).toMatchObject({ passed: false, reason: 'energy per token above the bound' });
    const invalid = { ...llm, energy: { ...energy, result: 'INVALID' as const, invalidReasons: ['run 1: 1 samples inside the 10.0 ms window (sampling every 20 ms); use a longer run'] } };
    expect(line(rule, summaryWith({ power, llm: invalid }))).toMatchObject({ passed: false, reason: 'LLM window power INVALID (run 1: 1 samples inside the 10.0 ms window (sampling every 20 ms); use a longer run)' });
    const onboard = { ...llm, energy: { ...energy, meter: { ...energy.meter, class: 'onboard' as const } } };
    expect(line(rule, summaryWith({ power, llm: onboard }))).toMatchObject({ passed: false, reason: 'the LLM window was not measured by a lab meter' });
    // The latency run's energy per query is no stand-in: without an LLM window the rule fails.
    const { energy: _none, ...unmetered } = llm;
    expect(line(rule, summaryWith({ power, llm: unmetered }))).toMatchObject({ passed: false, reason: 'no power window covers the LLM run' });
    expect(evaluateProfile(rule, { summary: summaryWith({ power, llm: unmetered }) }).facts!.llm).not.toHaveProperty('energy');
    expect(line(rule, summaryWith({ power }))).toMatchObject({ passed: false, reason: 'the report has no LLM run' });
  });

  it('the engine tolerates the drift the suite tolerates by default', () => {
    expect(MAX_THERMAL_SLOWDOWN_PCT).toBe(SUITE_DEFAULTS.driftThresholdPct);
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
