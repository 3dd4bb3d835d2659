// Public API of the benchmark harness: everything outside src/harness imports it from here or, for the
// service's schemas-only share, from schemas.ts (eslint.config.js enforces both). The harness imports
// nothing of ours but lib/errors and contracts, so the agent and `npubench bench` on a vendor laptop run
// the same code.
export * from './schemas.js';
export { OnnxRuntimeBackend, createOnnxRuntimeBackend, onnxRuntimeBackendConfigSchema, ONNXRUNTIME_BACKEND_NAME, type OnnxRuntimeBackendConfig } from './backends/onnxruntime.js';
export { captureEnvironment } from './environment.js';
export { measureRunnerFiles, resolveRunnerProgram } from './runner-identity.js';
export { describeHarnessBuild, harnessBuild, harnessSourceDigest, harnessVersionLabel } from './build-identity.js';
export { createSyntheticInputs, type SyntheticInputOptions } from './inputs/synthetic-inputs.js';
export { renderTextLine, rotate180, ppocrInput, TEXT_LINE_ALPHABET, type TextLineImage } from './inputs/text-lines.js';
export { buildSuiteDatasetFiles, ocrDirectionDataset, ocrTextLinesDataset, sceneImageDataset, sceneImages, sceneInput, SCENE_IMAGE_INDICES, syntheticImageDataset, syntheticImages, SUITE_TEXT_LINES, TEXT_LINE_GEOMETRY, TEXT_LINES_FORMAT } from './inputs/suite-datasets.js';
export { openOnnxRuntimeOutputModel, type OutputModel } from './accuracy/output-model.js';
export { runBenchmark, type AccuracyInputs, type BenchmarkProgress, type BenchmarkResult, type PowerOptions, type RunBenchmarkOptions } from './run-benchmark.js';
export { runSingleStream, runWarmup, type IssueQuery, type ScenarioHooks, type SingleStreamLimits, type SingleStreamOutcome } from './scenarios/single-stream.js';
export { multiStreamQuery } from './scenarios/multi-stream.js';
export { poissonSchedule, runServer, type ServerOutcome, type ServerScheduleLimits } from './scenarios/server.js';
export { runOffline, type OfflineOutcome } from './scenarios/offline.js';
export { earlyStoppingMinQueries, minPassingQueries, percentileEarlyStopping, regularizedIncompleteBeta, serverEarlyStopping, type PercentileEarlyStopping, type ServerEarlyStopping } from './stats/early-stopping.js';
export { percentileOfSorted, summarizeLatencies, type LatencySummary } from './stats/latency-percentiles.js';
export { coefficientOfVariationPct, thermalDrift, type ThermalDrift } from './stats/run-variation.js';
export { RunnerFailure, RunnerProcessBackend, createRunnerBackend, runnerBackendConfigSchema, RUNNER_BACKEND_NAME, type RunnerBackendConfig, type RunnerFailureCode } from './backends/runner-process.js';
export { MAX_LINE_BYTES, RUNNER_PROTOCOL_VERSION, RUNNER_PROTOCOL_VERSIONS, outputDigest } from './runner/protocol.js';
export { COMPLIANCE_REASONS, complianceRawSchema, complianceSummarySchema, summarizeCompliance, type ComplianceReason, type ComplianceSummary } from './compliance/compliance-format.js';
export { createPerformanceSampleSet, sampleIndexStream, sampleSeeds, PERFORMANCE_SAMPLE_COUNT } from './inputs/performance-samples.js';
export { REFERENCE_RUNNER_NAME, parseReferenceRunnerArgs, referenceRunnerCommand, serveRunnerProtocol } from './runner/reference-runner.js';
export { createPowerMeter, detectPowerMeter } from './power/create-power-meter.js';
export { profileOperators } from './profile/operator-profile.js';
export { planServerSearch, serverSearchSpecSchema, type ServerSearchSummary } from './scenarios/server-search-format.js';
