// The part of the harness the service may import (services, queue, api; eslint.config.js enforces it):
// the formats a job, a report and an upload are checked against — zod schemas, their types and
// constants — and the pure functions over them that the API runs on what it receives (suite
// resolution, recomputing a summary from raw samples, parsing an uploaded dataset or tokenizer).
// Nothing here runs a model, a scenario, a power meter or a child process: that is index.ts.
export type { BackendDescription, DeviceInfo, DeviceTimings, InferenceBackend, LoadInfo, PreparedFeeds } from './backends/backend.js';
export { backendDescriptionSchema, deviceInfoSchema } from './backends/backend.js';
export { environmentSchema, type EnvironmentInfo } from './environment.js';
export { harnessBuildSchema, type HarnessBuild } from './build-identity.js';
export { runnerIdentitySchema, type RunnerIdentity } from './runner-identity.js';
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
export { runSeedsOf, serviceSampleSeedsSchema, type RunSeeds, type ServiceSampleSeeds } from './sample-seeds.js';
export type { ElementType, HostTensor, HostTensorData, TensorSignatureLike } from './tensors.js';
export { powerMeterConfigSchema, type PowerMeterConfig, type PowerMeterConfigInput } from './power/power-meter-config.js';
export type { PowerSummary } from './power/power-measurement.js';
export { operatorProfileSchema, type OperatorProfile } from './profile/operator-profile.js';
export { accuracyRawSchema, type AccuracySummary } from './accuracy/accuracy-format.js';
export { llmLatencyRawSchema, type LlmLatencySummary } from './accuracy/llm-latency.js';
export { parseTextPagesDataset, TEXT_PAGES_FORMAT, textPagesDatasetSchema, type TextPagesDataset } from './accuracy/text-pages-format.js';
export { LABELLED_INPUTS_FILE, labelledInputsFileIn, labelledInputsFileSchema, parseLabelledInputs, type LabelledInputSet } from './accuracy/labelled-inputs.js';
export { ctcClassesFromKeyFile, ctcGreedyDecode, levenshtein, parseTextLines, summarizeTextRecognition, textLinesFileSchema, TEXT_LINES_FORMAT, TEXT_LINES_RENDERER, type CtcClasses, type TextLineSet, type TextRecognitionSummary } from './accuracy/text-recognition.js';
export { parseVadFrames, vadFramesFileSchema, VAD_FRAMES_FORMAT, type VadFrameSet } from './accuracy/vad-frames.js';
export { BUILTIN_DATASET_REF, builtinMmluDataset, loadMmluDatasetFromDir, type MmluDataset } from './accuracy/mmlu-dataset.js';
export { causalLmLayout, type CausalLmLayout } from './accuracy/causal-lm-signature.js';
export { loadTokenizer } from './accuracy/tokenizer.js';
export { readBundleConfig } from './accuracy/causal-lm.js';
