// One benchmark run end to end: load, synthesize inputs, warm up, measure, summarize. The backend is
// always closed before returning, also when the run fails or is aborted.
import { createOnnxRuntimeBackend, type OnnxRuntimeBackendConfig } from './backends/onnxruntime.js';
import type { InferenceBackend } from './backends/backend.js';
import { captureEnvironment, type EnvironmentInfo } from './environment.js';
import { createSyntheticInputs } from './inputs/synthetic-inputs.js';
import {
  LATENCY_SUMMARY_FORMAT,
  MONOTONIC_CLOCK,
  RAW_SAMPLES_FORMAT,
  recomputeSummaryFromRawSamples,
  type LatencySummaryReport,
  type RawSamples,
} from './report-format.js';
import { runSingleStream, runWarmup, throwIfAborted } from './scenarios/single-stream.js';
import { resolveSuiteSpec, type SuiteSpec } from './suite-spec.js';

export interface BenchmarkProgress {
  phase: 'load' | 'warmup' | 'measure' | 'done';
  /** Progress within the phase, 0..1. */
  fraction: number;
  /** Queries completed in the phase. */
  queries: number;
}

export interface RunBenchmarkOptions {
  modelPath: string;
  spec: SuiteSpec;
  /** A backend instance (the run takes ownership and closes it) or an onnxruntime config. */
  backend: InferenceBackend | OnnxRuntimeBackendConfig;
  onProgress?: (progress: BenchmarkProgress) => void;
  signal?: AbortSignal;
}

export interface BenchmarkResult {
  summary: LatencySummaryReport;
  rawSamples: RawSamples;
  environment: EnvironmentInfo;
}

function isBackend(backend: RunBenchmarkOptions['backend']): backend is InferenceBackend {
  return 'load' in backend && typeof backend.load === 'function';
}

const nsToMs = (ns: number | bigint) => Number(ns) / 1e6;

export async function runBenchmark(options: RunBenchmarkOptions): Promise<BenchmarkResult> {
  const { modelPath, onProgress, signal } = options;
  // Re-resolving is idempotent and catches hand-built specs that skipped validation.
  const spec = resolveSuiteSpec(options.spec);
  const backend = isBackend(options.backend) ? options.backend : createOnnxRuntimeBackend(options.backend);
  try {
    throwIfAborted(signal);
    onProgress?.({ phase: 'load', fraction: 0, queries: 0 });
    const loadStart = process.hrtime.bigint();
    const { inputs } = await backend.load(modelPath);
    const modelLoadMs = nsToMs(process.hrtime.bigint() - loadStart);
    onProgress?.({ phase: 'load', fraction: 1, queries: 0 });

    // Generated once, before any timing, so the loop measures inference only.
    const feeds = backend.prepareFeeds(createSyntheticInputs(inputs, spec));
    const issueQuery = () => backend.run(feeds);

    onProgress?.({ phase: 'warmup', fraction: 0, queries: 0 });
    const firstWarmupNs = await runWarmup(issueQuery, spec.warmupQueries, {
      signal,
      onProgress: onProgress && ((queries, fraction) => onProgress({ phase: 'warmup', fraction, queries })),
    });
    onProgress?.({ phase: 'measure', fraction: 0, queries: 0 });
    const outcome = await runSingleStream(
      issueQuery,
      { minQueryCount: spec.minQueryCount, minDurationNs: spec.minDurationMs * 1e6, maxDurationNs: spec.maxDurationMs * 1e6 },
      { signal, onProgress: onProgress && ((queries, fraction) => onProgress({ phase: 'measure', fraction, queries })) },
    );

    const rawSamples: RawSamples = { format: RAW_SAMPLES_FORMAT, clock: MONOTONIC_CLOCK, unit: 'ns', scenario: 'single-stream', queries: outcome.queries };
    const measured = recomputeSummaryFromRawSamples(rawSamples, spec);
    if (measured.stoppedByMaxDuration !== outcome.stoppedByMaxDuration) {
      throw new Error('single-stream stop rule and summary disagree about stoppedByMaxDuration');
    }
    const [firstStart, firstEnd] = outcome.queries[0] ?? [0, 0];
    const description = backend.describe();
    const summary: LatencySummaryReport = {
      format: LATENCY_SUMMARY_FORMAT,
      scenario: 'single-stream',
      clock: MONOTONIC_CLOCK,
      spec,
      ...measured,
      modelLoadMs,
      firstInferenceMs: nsToMs(firstWarmupNs ?? firstEnd - firstStart),
      backend: description,
    };
    onProgress?.({ phase: 'done', fraction: 1, queries: measured.queryCount });
    return { summary, rawSamples, environment: captureEnvironment(description) };
  } finally {
    await backend.close();
  }
}
