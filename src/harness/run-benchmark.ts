// One benchmark run end to end: load, synthesize inputs, warm up, measure spec.repeatCount runs of the
// spec's scenario (with a cooldown between them), summarize. The backend is always closed before
// returning, also when the run fails or is aborted.
import { setTimeout as sleep } from 'node:timers/promises';
import { createOnnxRuntimeBackend, type OnnxRuntimeBackendConfig } from './backends/onnxruntime.js';
import type { DeviceTimings, InferenceBackend } from './backends/backend.js';
import { captureEnvironment, type EnvironmentInfo } from './environment.js';
import { createPerformanceSampleSet, runSeedsOf, sampleIndexStream } from './inputs/performance-samples.js';
import { datasetSamplesOf } from './inputs/dataset-samples.js';
import { RunnerProcessBackend } from './backends/runner-process.js';
import type { PreparedFeeds, SampleAnswer } from './backends/backend.js';
import { CACHING_CHECK_QUERIES, compareAnswers, outputSubset, pairDeviceTimes, runAccuracyPass, runCachingCheck, type AccuracyPass } from './compliance/run-compliance.js';
import type { ComplianceRaw } from './compliance/compliance-format.js';
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
import { runServerSearch } from './scenarios/server-search.js';
import { runSingleStream, runWarmup, throwIfAborted, type ScenarioHooks } from './scenarios/single-stream.js';
import { resolveSuiteSpec, type SuiteSpec } from './suite-spec.js';
import { HarnessError, errorMessage } from '../lib/errors.js';
import type { MeterReading, PowerMeter } from './power/power-meter.js';
import { toTraceWindow } from './power/power-measurement.js';
import { runAccuracy, type AccuracyRunOptions } from './accuracy/run-accuracy.js';
import { runnerOutputModel } from './accuracy/runner-output-model.js';
import { CausalLm } from './accuracy/causal-lm.js';
import { loadTokenizer } from './accuracy/tokenizer.js';
import { runLlmLatencyWithChecks } from './accuracy/llm-latency.js';
import { RUNNER_WITHOUT_LM_OPS, RunnerCausalLm } from './backends/runner-causal-lm.js';

export interface BenchmarkProgress {
  phase: 'load' | 'warmup' | 'measure' | 'accuracy' | 'llm' | 'done';
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
  /** A meter sampled beside the measured runs, or why power is not measured. The caller closes the meter. */
  power?: PowerOptions | { notMeasured: string };
  /** What spec.accuracy needs beyond the model: the bundle folder, the reference, the dataset, and the
   *  onnxruntime config the candidate runs with in-process (a runner backend answers fidelity and
   *  classification itself, after timing). */
  accuracy?: AccuracyInputs;
  /** Runner backends: an ONNX model run in-process on the CPU whose outputs the accuracy pass must match
   *  (the same model, or its FP32 reference). Without one the pass checks only consistency. */
  compliance?: { referenceModelPath?: string };
}

export type AccuracyInputs = Pick<AccuracyRunOptions, 'bundleDir' | 'reference' | 'dataset' | 'labelledInputs' | 'textLines' | 'textPages' | 'vadFrames' | 'backend'>;

export interface PowerOptions {
  meter: PowerMeter;
  /** Idle baseline before warm-up, model loaded, in ms; 0 skips it. */
  idleMs: number;
  /** MLPerf Power's ranging pass (an extra, unreported run) before the testing runs; for lab meters. */
  rangingRun: boolean;
}

interface RunHooks {
  beforeRun: (run: number) => Promise<void>;
  afterRun: (run: number) => Promise<void>;
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
  runHooks: RunHooks,
): Promise<T[]> {
  const { signal, onProgress } = options;
  const outcomes: T[] = [];
  let queriesBefore = 0;
  for (let run = 0; run < spec.repeatCount; run++) {
    if (run > 0 && spec.cooldownMs > 0) await sleep(spec.cooldownMs, undefined, { signal }).catch(() => throwIfAborted(signal));
    throwIfAborted(signal);
    const progress =
      onProgress && ((queries: number, fraction: number) => onProgress({ phase: 'measure', fraction: (run + fraction) / spec.repeatCount, queries: queriesBefore + queries }));
    await runHooks.beforeRun(run);
    const outcome = await measure({ signal, onProgress: progress });
    await runHooks.afterRun(run);
    queriesBefore += outcome.queries.length;
    outcomes.push(outcome);
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
    const loaded = await backend.load(modelPath);
    const { inputs } = loaded;
    const modelLoadMs = nsToMs(process.hrtime.bigint() - loadStart);
    onProgress?.({ phase: 'load', fraction: 1, queries: 0 });
    // Checked before timing, so a runner that cannot serve them costs no benchmark first.
    if (backend instanceof RunnerProcessBackend && (spec.llm || spec.accuracy?.mmlu) && backend.causalLmChannel() === undefined) {
      throw new HarnessError('harness.accuracy_unsupported', RUNNER_WITHOUT_LM_OPS);
    }

    // Generated once, before any timing, so the loop measures inference only. A v2 runner holds the
    // library on its side, with fresh samples after the performance set for the caching check.
    const library = backend.sampleLibrary?.();
    // The service's seeds for an API job (the vendor cannot pick them), else the spec's seed's.
    const seeds = runSeedsOf(spec);
    const { samples, performanceSampleCount, source: sampleSource } = createPerformanceSampleSet(inputs, {
      qslSeed: seeds.qslSeed,
      dynamicDims: spec.dynamicDims,
      extra: library ? CACHING_CHECK_QUERIES + 1 : 0,
      fromDataset: inputs[0] && datasetSamplesOf(options.accuracy, inputs[0].name),
    });
    const nextSample = sampleIndexStream(seeds.sampleIndexSeed, performanceSampleCount);
    let complianceCostNs = 0;
    let accuracyPass: AccuracyPass | undefined;
    let runSample: () => Promise<void>;
    let issueQuery: () => Promise<void>;
    if (library) {
      await library.loadSamples(samples);
      const passStart = process.hrtime.bigint();
      accuracyPass = await runAccuracyPass(library, samples.slice(0, performanceSampleCount), options.compliance?.referenceModelPath === undefined ? undefined : { modelPath: options.compliance.referenceModelPath });
      complianceCostNs += Number(process.hrtime.bigint() - passStart);
      // A non-deterministic device returns full outputs on a seeded subset of queries, compared within tolerance.
      const wantsOutputs = library.deterministicOutputs ? () => false : outputSubset(seeds.sampleIndexSeed ^ 0x5bd1e995);
      const perQuery = spec.scenario === 'multi-stream' ? spec.samplesPerQuery : 1;
      runSample = () => library.runSamples([nextSample()], wantsOutputs());
      // A fresh array per query: a Server query may wait for a free queue, and the backend reads its
      // indices when it sends and when the answer comes, after later queries drew theirs.
      issueQuery = () => library.runSamples(Array.from({ length: perQuery }, nextSample), wantsOutputs());
    } else {
      const feeds: PreparedFeeds[] = samples.map((sample) => backend.prepareFeeds(sample));
      const feedsOf = (index: number): PreparedFeeds => {
        const prepared = feeds[index];
        if (prepared === undefined) throw new Error(`sample ${index} is outside the set of ${feeds.length}`);
        return prepared;
      };
      runSample = () => backend.run(feedsOf(nextSample()));
      issueQuery = spec.scenario === 'multi-stream' ? multiStreamQuery(runSample, spec.samplesPerQuery) : runSample;
    }
    const power = options.power && 'meter' in options.power ? options.power : undefined;
    // A meter that fails must cost the power result, never the latency results: a failed start
    // becomes a window with no samples and the reason.
    const startMeter = (label: string): Promise<string | null> =>
      power!.meter.start(label).then(
        () => null,
        (err: unknown) => `meter failed to start: ${errorMessage(err)}`,
      );
    const failedWindow = (error: string): MeterReading => ({ samples: [], counterEnergyJ: null, uncertaintyPct: null, error });
    const meterWindow = async (label: string, during: () => Promise<void>): Promise<MeterReading> => {
      const startError = await startMeter(label);
      await during();
      return startError === null ? power!.meter.stop() : failedWindow(startError);
    };
    let idleReading: MeterReading | null = null;
    if (power && power.idleMs > 0) {
      idleReading = await meterWindow('idle', () => sleep(power.idleMs, undefined, { signal }).catch(() => throwIfAborted(signal)));
    }

    onProgress?.({ phase: 'warmup', fraction: 0, queries: 0 });
    const firstWarmupNs = await runWarmup(issueQuery, spec.warmupQueries, {
      signal,
      onProgress: onProgress && ((queries, fraction) => onProgress({ phase: 'warmup', fraction, queries })),
    });
    // Device-side timings of the warm-up are not part of the measurement.
    backend.takeDeviceTimings?.();
    onProgress?.({ phase: 'measure', fraction: 0, queries: 0 });

    const deviceTimingsPerRun: (DeviceTimings | undefined)[] = [];
    const runReadings: MeterReading[] = [];
    const runOrigins: number[] = [];
    let ranging: { reading: MeterReading; originNs: number } | null = null;
    let meterStartError: string | null = null;
    const runHooks: RunHooks = {
      beforeRun: async (run) => {
        meterStartError = null;
        if (power) meterStartError = await startMeter(`testing-${run + 1}`);
      },
      afterRun: async () => {
        deviceTimingsPerRun.push(backend.takeDeviceTimings?.());
        if (!power) return;
        runReadings.push(meterStartError === null ? await power.meter.stop() : failedWindow(meterStartError));
      },
    };
    /** The spec's runs, after MLPerf's ranging pass when asked for; records each run's clock origin. */
    const measureRuns = async <T extends { queries: unknown[]; originNs: number }>(measure: (hooks: ScenarioHooks) => Promise<T>): Promise<T[]> => {
      if (power?.rangingRun) {
        let originNs = 0;
        const reading = await meterWindow('ranging', async () => {
          originNs = (await measure({ signal })).originNs;
        });
        ranging = { reading, originNs };
        backend.takeDeviceTimings?.();
      }
      const outcomes = await repeatRuns(spec, options, measure, runHooks);
      runOrigins.push(...outcomes.map((outcome) => outcome.originNs));
      return outcomes;
    };
    const minDurationNs = spec.minDurationMs * 1e6;
    const maxDurationNs = spec.maxDurationMs * 1e6;
    let rawSamples: RawSamples;
    /** Serial scenarios decide stoppedByMaxDuration in the loop; the summary must agree. */
    let serialLoopStopped: boolean | null = null;
    switch (spec.scenario) {
      case 'single-stream':
      case 'multi-stream': {
        const limits = { minQueryCount: spec.minQueryCount, minDurationNs, maxDurationNs };
        const outcomes = await measureRuns((hooks) => runSingleStream(issueQuery, limits, hooks));
        serialLoopStopped = outcomes.some((outcome) => outcome.stoppedByMaxDuration);
        rawSamples = { ...RAW_HEADER, scenario: spec.scenario, runs: outcomes.map(({ queries }) => ({ queries })) };
        break;
      }
      case 'server': {
        // With serverSearch the reported runs use the rate the search found, not spec.targetQps; the
        // search runs before any meter window and its device timings are dropped.
        const search = spec.serverSearch
          ? await runServerSearch(issueQuery, spec, {
              signal,
              onStep: onProgress && ((_step, index) => onProgress({ phase: 'warmup', fraction: (index + 1) / spec.serverSearch!.maxSteps, queries: 0 })),
            })
          : undefined;
        backend.takeDeviceTimings?.();
        const schedule = serverScheduleOf(search ? { ...spec, targetQps: search.finalQps } : spec);
        const limits = { maxOutstandingQueries: spec.maxOutstandingQueries, maxDurationNs };
        const outcomes = await measureRuns((hooks) => runServer(issueQuery, schedule, limits, hooks));
        rawSamples = { ...RAW_HEADER, scenario: 'server', runs: outcomes.map(({ queries }) => ({ queries })), ...(search && { serverSearch: search }) };
        break;
      }
      case 'offline': {
        const limits = { sampleCount: spec.offlineSampleCount, maxOutstandingQueries: spec.maxOutstandingQueries, maxDurationNs };
        const outcomes = await measureRuns(async (hooks) => {
          const { samples, originNs } = await runOffline(runSample, limits, hooks);
          return { queries: samples, originNs };
        });
        rawSamples = { ...RAW_HEADER, scenario: 'offline', runs: outcomes.map(({ queries }) => ({ queries })) };
        break;
      }
    }

    attachDeviceTimings(rawSamples, deviceTimingsPerRun);
    rawSamples.sampleSet = { performanceSampleCount, ...seeds, source: sampleSource };
    if (backend instanceof RunnerProcessBackend) {
      let caching: ComplianceRaw['caching'] = null;
      let answers: SampleAnswer[] = [];
      if (library) {
        const checkStart = process.hrtime.bigint();
        ({ caching, answers } = await runCachingCheck(library, performanceSampleCount, CACHING_CHECK_QUERIES));
        complianceCostNs += Number(process.hrtime.bigint() - checkStart);
      }
      const serial = rawSamples.scenario === 'single-stream' || rawSamples.scenario === 'multi-stream';
      const deviceNs = rawSamples.runs.flatMap((run) => run.deviceNs ?? []);
      const hostNs = rawSamples.runs.flatMap((run) => run.queries.map((query) => (query.at(-1) as number) - (query.at(-2) as number)));
      rawSamples.compliance = {
        protocolVersion: backend.protocolVersion,
        outputsVerified: library !== undefined,
        deterministicOutputs: library?.deterministicOutputs ?? true,
        accuracyPass: accuracyPass?.record ?? null,
        queryOutputs: library && accuracyPass ? compareAnswers([...answers, ...library.takeAnswers()], accuracyPass, library.deterministicOutputs) : null,
        caching,
        // Every scenario: device times are kept in issue order, beside their queries, also with several in flight.
        timing: pairDeviceTimes(hostNs, deviceNs, spec.samplesPerQuery, !serial),
        costNs: complianceCostNs,
      };
    }
    if (power) {
      const firstOrigin = runOrigins[0] ?? 0;
      const rangingPass = ranging as { reading: MeterReading; originNs: number } | null;
      rawSamples.power = {
        meter: power.meter.describe(),
        idle: idleReading && toTraceWindow(idleReading, firstOrigin),
        ranging: rangingPass && toTraceWindow(rangingPass.reading, rangingPass.originNs),
        runs: runReadings.map((reading, run) => toTraceWindow(reading, runOrigins[run] ?? firstOrigin)),
      };
    } else if (options.power) {
      rawSamples.power = { notMeasured: (options.power as { notMeasured: string }).notMeasured };
    }
    if (spec.accuracy) {
      if (!options.accuracy) throw new HarnessError('harness.accuracy_unsupported', 'The spec asks for accuracy and the run was given no accuracy inputs (reference, data set, onnxruntime config).');
      onProgress?.({ phase: 'accuracy', fraction: 0, queries: 0 });
      const bundleDir = options.accuracy.bundleDir;
      // MMLU through the runner that was timed, on the model it loaded (protocol v2 lm_forward).
      const candidateLm = backend instanceof RunnerProcessBackend && bundleDir !== undefined ? () => RunnerCausalLm.open(backend, bundleDir) : undefined;
      rawSamples.accuracy = await runAccuracy({
        ...options.accuracy,
        // A runner's candidate answers through the session just timed, tied to it by accuracy-pass anchors.
        ...(backend instanceof RunnerProcessBackend && {
          openCandidate: () =>
            Promise.resolve(runnerOutputModel(backend, loaded, accuracyPass && { samples: samples.slice(0, performanceSampleCount), answers: accuracyPass.answers, seed: seeds.sampleIndexSeed })),
        }),
        ...(candidateLm && { candidateLm }),
        spec: spec.accuracy,
        seed: spec.seed,
        dynamicDims: spec.dynamicDims,
        modelPath,
        signal,
        onProgress: onProgress && ((fraction) => onProgress({ phase: 'accuracy', fraction, queries: 0 })),
      });
    }
    if (spec.llm) {
      if (!options.accuracy?.bundleDir) throw new HarnessError('harness.not_an_llm_bundle', 'LLM latency needs an LLM bundle (its tokenizer and config.json).');
      onProgress?.({ phase: 'llm', fraction: 0, queries: 0 });
      const tokenizer = await loadTokenizer(options.accuracy.bundleDir);
      const lm = backend instanceof RunnerProcessBackend ? await RunnerCausalLm.open(backend, options.accuracy.bundleDir) : await CausalLm.load(modelPath, options.accuracy.bundleDir, options.accuracy.backend);
      try {
        // The meter covers the LLM's own measured runs: the latency scenario's windows say nothing about them.
        let llmReading: MeterReading | null = null;
        let llmMeterError: string | null = null;
        const window = power && {
          beforeMeasured: async () => {
            llmMeterError = await startMeter('llm');
          },
          afterMeasured: async () => {
            llmReading = llmMeterError === null ? await power.meter.stop() : failedWindow(llmMeterError);
          },
        };
        const { raw, checks, originNs } = await runLlmLatencyWithChecks(lm, tokenizer, spec.llm, signal, window);
        rawSamples.llm = raw;
        if (power && llmReading) raw.power = { meter: power.meter.describe(), window: toTraceWindow(llmReading, originNs) };
        else if (options.power && !power) raw.power = { notMeasured: (options.power as { notMeasured: string }).notMeasured };
        // TEST06-like: the runner's tokens and counts are judged with the other compliance checks.
        if (rawSamples.compliance) rawSamples.compliance.llm = { promptTokens: raw.promptTokens, outputTokens: raw.outputTokens, ...checks };
      } finally {
        await lm.close();
      }
    }
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
