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
  latencySummaryReportSchema,
  rawSamplesSchema,
  recomputeSummaryFromRawSamples,
  verifySummaryAgainstRawSamples,
  type LatencySummaryReport,
  type MeasuredSummary,
  type SampleSummary,
  type RawSamples,
  type SummaryCriteria,
} from './report-format.js';
export { runBenchmark, type BenchmarkProgress, type BenchmarkResult, type RunBenchmarkOptions } from './run-benchmark.js';
export { runSingleStream, runWarmup, type IssueQuery, type ScenarioHooks, type SingleStreamLimits, type SingleStreamOutcome } from './scenarios/single-stream.js';
export { percentileOfSorted, summarizeLatencies, type LatencySummary } from './stats/latency-percentiles.js';
export {
  SUITE_DEFAULTS,
  SUITE_PRESETS,
  resolveSuiteSpec,
  resolvedSuiteSpecSchema,
  suiteSpecSchema,
  type SuitePreset,
  type SuiteSpec,
  type SuiteSpecInput,
} from './suite-spec.js';
export type { ElementType, HostTensor, HostTensorData, TensorSignatureLike } from './tensors.js';
