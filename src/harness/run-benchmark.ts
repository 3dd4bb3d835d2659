// One benchmark run end to end: load, synthesize inputs, warm up, measure spec.repeatCount runs of the
// spec's scenario (with a cooldown between them), summarize. The backend is always closed before
// returning, also when the run fails or is aborted.
import { setTimeout as sleep } from 'node:timers/promises';
import { createOnnxRuntimeBackend, type OnnxRuntimeBackendConfig } from './backends/onnxruntime.js';
import type { DeviceTimings, InferenceBackend } from './backends/backend.js';
import { captureEnvironment, type EnvironmentInfo } from './environment.js';
import { createSyntheticInputs } from './inputs/synthetic-inputs.js';
import {
  LATENCY_SUMMARY_FORMAT,
  MONOTONIC_CLOCK,
  RAW_SAMPLES_FORMAT,
  recomputeSummaryFromRawSamples,
  serverScheduleOf,
  type LatencySummaryReport,
  type RawSamples,
} from './report-format.js';
import { multiStreamQuery } from './scenarios/multi-stream.js';
import { runOffline } from './scenarios/offline.js';
import { runServer } from './scenarios/server.js';
import { runSingleStream, runWarmup, throwIfAborted, type ScenarioHooks } from './scenarios/single-stream.js';
import { resolveSuiteSpec, type SuiteSpec } from './suite-spec.js';

export interface BenchmarkProgress {
  phase: 'load' | 'warmup' | 'measure' | 'done';
  /** Progress within the phase, 0..1 (the measure phase spans all repeats). */
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

const RAW_HEADER = { format: RAW_SAMPLES_FORMAT, clock: MONOTONIC_CLOCK, unit: 'ns' } as const;

/** Runs `measure` spec.repeatCount times, idling spec.cooldownMs before every run after the first. */
async function repeatRuns<T extends { queries: unknown[] }>(
  spec: SuiteSpec,
  options: Pick<RunBenchmarkOptions, 'signal' | 'onProgress'>,
  measure: (hooks: ScenarioHooks) => Promise<T>,
  afterRun?: () => void,
): Promise<T[]> {
  const { signal, onProgress } = options;
  const outcomes: T[] = [];
  let queriesBefore = 0;
  for (let run = 0; run < spec.repeatCount; run++) {
    if (run > 0 && spec.cooldownMs > 0) await sleep(spec.cooldownMs, undefined, { signal }).catch(() => throwIfAborted(signal));
    throwIfAborted(signal);
    const progress =
      onProgress && ((queries: number, fraction: number) => onProgress({ phase: 'measure', fraction: (run + fraction) / spec.repeatCount, queries: queriesBefore + queries }));
    const outcome = await measure({ signal, onProgress: progress });
    queriesBefore += outcome.queries.length;
    outcomes.push(outcome);
    afterRun?.();
  }
  return outcomes;
}

/** Adds the backend's device-side timings to each run, when it gave them for every run. */
function attachDeviceTimings(raw: RawSamples, perRun: readonly (DeviceTimings | undefined)[]): void {
  const source = perRun[0]?.source;
  if (source === undefined || perRun.length !== raw.runs.length || perRun.some((t) => t === undefined || t.source !== source || t.ns.length === 0)) return;
  raw.deviceTimingSource = source;
  raw.runs.forEach((run, r) => (run.deviceNs = perRun[r]!.ns.map((ns) => Math.round(ns))));
}

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
    const runSample = () => backend.run(feeds);
    const issueQuery = spec.scenario === 'multi-stream' ? multiStreamQuery(runSample, spec.samplesPerQuery) : runSample;

    onProgress?.({ phase: 'warmup', fraction: 0, queries: 0 });
    const firstWarmupNs = await runWarmup(issueQuery, spec.warmupQueries, {
      signal,
      onProgress: onProgress && ((queries, fraction) => onProgress({ phase: 'warmup', fraction, queries })),
    });
    // Device-side timings of the warm-up are not part of the measurement.
    backend.takeDeviceTimings?.();
    onProgress?.({ phase: 'measure', fraction: 0, queries: 0 });

    const deviceTimingsPerRun: (DeviceTimings | undefined)[] = [];
    const collectDeviceTimings = () => void deviceTimingsPerRun.push(backend.takeDeviceTimings?.());
    const minDurationNs = spec.minDurationMs * 1e6;
    const maxDurationNs = spec.maxDurationMs * 1e6;
    let rawSamples: RawSamples;
    /** Serial scenarios decide stoppedByMaxDuration in the loop; the summary must agree. */
    let serialLoopStopped: boolean | null = null;
    switch (spec.scenario) {
      case 'single-stream':
      case 'multi-stream': {
        const limits = { minQueryCount: spec.minQueryCount, minDurationNs, maxDurationNs };
        const outcomes = await repeatRuns(spec, options, (hooks) => runSingleStream(issueQuery, limits, hooks), collectDeviceTimings);
        serialLoopStopped = outcomes.some((outcome) => outcome.stoppedByMaxDuration);
        rawSamples = { ...RAW_HEADER, scenario: spec.scenario, runs: outcomes.map(({ queries }) => ({ queries })) };
        break;
      }
      case 'server': {
        const schedule = serverScheduleOf(spec);
        const limits = { maxOutstandingQueries: spec.maxOutstandingQueries, maxDurationNs };
        const outcomes = await repeatRuns(spec, options, (hooks) => runServer(issueQuery, schedule, limits, hooks), collectDeviceTimings);
        rawSamples = { ...RAW_HEADER, scenario: 'server', runs: outcomes };
        break;
      }
      case 'offline': {
        const limits = { sampleCount: spec.offlineSampleCount, maxOutstandingQueries: spec.maxOutstandingQueries, maxDurationNs };
        const outcomes = await repeatRuns(spec, options, async (hooks) => ({ queries: (await runOffline(runSample, limits, hooks)).samples }), collectDeviceTimings);
        rawSamples = { ...RAW_HEADER, scenario: 'offline', runs: outcomes };
        break;
      }
    }

    attachDeviceTimings(rawSamples, deviceTimingsPerRun);
    const measured = recomputeSummaryFromRawSamples(rawSamples, spec);
    if (serialLoopStopped !== null && measured.stoppedByMaxDuration !== serialLoopStopped) {
      throw new Error(`${spec.scenario} stop rule and summary disagree about stoppedByMaxDuration`);
    }
    // Every query tuple ends with [startNs, endNs].
    const firstQuery = rawSamples.runs[0]?.queries[0] ?? [0, 0];
    const description = backend.describe();
    const summary: LatencySummaryReport = {
      format: LATENCY_SUMMARY_FORMAT,
      clock: MONOTONIC_CLOCK,
      spec,
      ...measured,
      modelLoadMs,
      firstInferenceMs: nsToMs(firstWarmupNs ?? (firstQuery.at(-1) as number) - (firstQuery.at(-2) as number)),
      backend: description,
    };
    onProgress?.({ phase: 'done', fraction: 1, queries: measured.queryCount });
    return { summary, rawSamples, environment: captureEnvironment(description) };
  } finally {
    await backend.close();
  }
}
