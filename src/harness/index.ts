// Public API of the benchmark harness. The harness imports nothing of ours but lib/errors, so the agent
// and `npubench bench` on a vendor laptop run the same code.
export type { BackendDescription, InferenceBackend, LoadInfo, PreparedFeeds } from './backends/backend.js';
export { backendDescriptionSchema } from './backends/backend.js';
export { OnnxRuntimeBackend, createOnnxRuntimeBackend, onnxRuntimeBackendConfigSchema, ONNXRUNTIME_BACKEND_NAME, type OnnxRuntimeBackendConfig } from './backends/onnxruntime.js';
export { captureEnvironment, environmentSchema, type EnvironmentInfo } from './environment.js';
export { createSyntheticInputs, type SyntheticInputOptions } from './inputs/synthetic-inputs.js';
export {
  LATENCY_SUMMARY_FORMAT,
  MONOTONIC_CLOCK,
  RAW_SAMPLES_FORMAT,
  SERVER_MIN_COMPLETED_QPS_RATIO,
  latencySummaryReportSchema,
  rawSamplesSchema,
  recomputeSummaryFromRawSamples,
  serverScheduleOf,
  verifySummaryAgainstRawSamples,
  type LatencySummaryReport,
  type MeasuredSummary,
  type RawSamples,
} from './report-format.js';
export { formatMlperfSummary, type MlperfSummaryOptions } from './export/mlperf-summary.js';
export { runBenchmark, type BenchmarkProgress, type BenchmarkResult, type RunBenchmarkOptions } from './run-benchmark.js';
export { runSingleStream, runWarmup, type IssueQuery, type ScenarioHooks, type SingleStreamLimits, type SingleStreamOutcome } from './scenarios/single-stream.js';
export { multiStreamQuery } from './scenarios/multi-stream.js';
export { poissonSchedule, runServer, type ServerOutcome, type ServerScheduleLimits } from './scenarios/server.js';
export { runOffline, type OfflineOutcome } from './scenarios/offline.js';
export { minPassingQueries, percentileEarlyStopping, regularizedIncompleteBeta, serverEarlyStopping, type PercentileEarlyStopping, type ServerEarlyStopping } from './stats/early-stopping.js';
export { percentileOfSorted, summarizeLatencies, type LatencySummary } from './stats/latency-percentiles.js';
export { coefficientOfVariationPct, thermalDrift, type ThermalDrift } from './stats/run-variation.js';
export {
  SCENARIOS,
  SCENARIO_DEFAULTS,
  SUITE_DEFAULTS,
  SUITE_PRESETS,
  resolveSuiteSpec,
  resolvedSuiteSpecSchema,
  suiteSpecSchema,
  type Scenario,
  type SuitePreset,
  type SuiteSpec,
  type SuiteSpecInput,
} from './suite-spec.js';
export type { ElementType, HostTensor, HostTensorData, TensorSignatureLike } from './tensors.js';
export { RunnerFailure, RunnerProcessBackend, createRunnerBackend, runnerBackendConfigSchema, RUNNER_BACKEND_NAME, type RunnerBackendConfig, type RunnerFailureCode } from './backends/runner-process.js';
export type { DeviceInfo, DeviceTimings } from './backends/backend.js';
export { deviceInfoSchema } from './backends/backend.js';
export { MAX_LINE_BYTES, RUNNER_PROTOCOL_VERSION } from './runner/protocol.js';
export { REFERENCE_RUNNER_NAME, referenceRunnerCommand, serveRunnerProtocol } from './runner/reference-runner.js';
