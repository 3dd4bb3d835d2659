// The two documents a run produces: raw samples (every query's timestamps, per run) and the latency
// summary. Every measured number in the summary is a pure function of the raw samples and the spec
// (recomputeSummaryFromRawSamples), so the server can refuse an upload whose summary does not follow.
//
// v2 (MLPerf scenarios and repeats): raw samples hold one `runs[]` entry per repeat; the per-query tuple
// depends on the scenario (see rawSamplesSchema). The summary's top-level figures pool all runs: the
// latencies of every run form one sample for the percentiles and the early-stopping estimate (a repeat
// is more evidence about the same system), durations add up, and each minimum must hold in every run.
// Per-run figures are in `runs[]`.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { HarnessError } from '../lib/errors.js';
import { backendDescriptionSchema } from './backends/backend.js';
import { SCHEDULE_SEED_SALT, poissonSchedule } from './scenarios/server.js';
import { earlyStoppingMinQueries, percentileEarlyStopping, serverEarlyStopping } from './stats/early-stopping.js';
import { percentileOfSorted, summarizeLatencies, type LatencySummary } from './stats/latency-percentiles.js';
import { coefficientOfVariationPct, thermalDrift } from './stats/run-variation.js';
import { resolvedSuiteSpecSchema, SCENARIOS, type SuiteSpec } from './suite-spec.js';
import { powerSummarySchema, powerTraceSchema, summarizePower, type PowerSummary } from './power/power-measurement.js';
import { accuracyRawSchema, accuracySummarySchema, summarizeAccuracy, type AccuracySummary } from './accuracy/accuracy-format.js';
import { llmLatencyRawSchema, llmLatencySummarySchema, summarizeLlmLatency, type LlmLatencySummary } from './accuracy/llm-latency.js';
import { complianceRawSchema, complianceSummarySchema, summarizeCompliance, type ComplianceSummary } from './compliance/compliance-format.js';
import { sampleSetRecordSchema } from './inputs/performance-samples.js';
import { serverSearchRawSchema, serverSearchSummarySchema, summarizeServerSearch, type ServerSearchRaw, type ServerSearchStepSummary, type ServerSearchSummary } from './scenarios/server-search-format.js';
import { runSeedsOf } from './sample-seeds.js';

export const RAW_SAMPLES_FORMAT = 'npubench.raw-samples/v2';
export const LATENCY_SUMMARY_FORMAT = 'npubench.latency-summary/v2';
export const MONOTONIC_CLOCK = 'process.hrtime.bigint (CLOCK_MONOTONIC)';

/** Server is INVALID when queries complete at less than this fraction of the rate they were scheduled
 *  at: the SUT fell behind the load. Compared with the scheduled rather than the target rate, so the
 *  randomness of a short Poisson schedule does not decide validity. */
export const SERVER_MIN_COMPLETED_QPS_RATIO = 0.9;

const timeNs = z.int().min(0);
const startEnd = z.tuple([timeNs, timeNs]);
const scheduledStartEnd = z.tuple([timeNs, timeNs, timeNs]);
/** `deviceNs`: per-inference times the backend measured on its side (runner protocol), in issue order. */
const runsOf = <T extends z.ZodType>(query: T) => z.array(z.strictObject({ queries: z.array(query).min(1), deviceNs: z.array(timeNs).optional() })).min(1);
const rawHeader = {
  format: z.literal(RAW_SAMPLES_FORMAT),
  clock: z.literal(MONOTONIC_CLOCK),
  unit: z.literal('ns'),
  /** Who measured `deviceNs`: the accelerator's counters, or a clock in the runner around the SDK call. */
  deviceTimingSource: z.enum(['device', 'runner']).optional(),
  /** The power trace on the same clock and origin as the queries; `notMeasured` says why there is none.
   *  Absent: no meter was configured. */
  power: z.union([powerTraceSchema, z.strictObject({ notMeasured: z.string() })]).optional(),
  /** Present when the spec asks for accuracy: every MMLU question's log-probabilities and prediction,
   *  per-sample output comparisons with the reference (docs/accuracy.md). */
  accuracy: accuracyRawSchema.optional(),
  /** Present when the spec asks for LLM latency: every run's per-token times. */
  llm: llmLatencyRawSchema.optional(),
  /** The performance sample set the queries drew from and its seeds. Absent in older samples (one sample). */
  sampleSet: sampleSetRecordSchema.optional(),
  /** Runs through a runner: the compliance checks' figures (docs/runner-protocol.md). */
  compliance: complianceRawSchema.optional(),
  /** Server with spec.serverSearch: the probe and every search step's queries, and the reported run's rate. */
  serverSearch: serverSearchRawSchema.optional(),
};

/** Times in ns relative to each run's start, queries in issue order, one `runs[]` entry per repeat. */
export const rawSamplesSchema = z.discriminatedUnion('scenario', [
  /** [startNs, endNs] per query. */
  z.strictObject({ ...rawHeader, scenario: z.literal('single-stream'), runs: runsOf(startEnd) }),
  /** [startNs, endNs] per query; endNs is when its slowest sample completed. */
  z.strictObject({ ...rawHeader, scenario: z.literal('multi-stream'), runs: runsOf(startEnd) }),
  /** [scheduledNs, startNs, endNs] per query; the schedule is the spec's seeded Poisson schedule. */
  z.strictObject({ ...rawHeader, scenario: z.literal('server'), runs: runsOf(scheduledStartEnd) }),
  /** [startNs, endNs] per sample of the one query, issued at 0. */
  z.strictObject({ ...rawHeader, scenario: z.literal('offline'), runs: runsOf(startEnd) }),
]);

export type RawSamples = z.output<typeof rawSamplesSchema>;

const latencySummarySchema = z.strictObject({
  count: z.int(),
  minNs: z.number(),
  maxNs: z.number(),
  meanNs: z.number(),
  p50Ns: z.number(),
  p90Ns: z.number(),
  p95Ns: z.number(),
  p97Ns: z.number(),
  p99Ns: z.number(),
  p999Ns: z.number(),
}) satisfies z.ZodType<LatencySummary>;

/** Per run; Offline's p50 and drift use each sample's own end - start, not its latency from the issue. */
const runFiguresSchema = z.strictObject({
  queryCount: z.int(),
  durationNs: z.number(),
  p50Ns: z.number(),
  /** Thermal drift: p50 of the first and the last tenth of the run's queries, in issue order. */
  firstTenthP50Ns: z.number(),
  lastTenthP50Ns: z.number(),
  slowdownPct: z.number(),
});

const serverFiguresSchema = z.strictObject({
  targetLatencyNs: z.number(),
  /** Queries slower than targetLatencyNs (LoadGen's overlatency count). */
  overLatencyCount: z.int(),
  /** (queries - 1) / final scheduled time, LoadGen's "Scheduled samples per second". */
  scheduledQps: z.number(),
  /** (queries - 1) / time the last query completed, LoadGen's "Completed samples per second". */
  completedQps: z.number(),
  latencyBoundSatisfied: z.boolean(),
  /** completedQps >= SERVER_MIN_COMPLETED_QPS_RATIO * scheduledQps. */
  qpsSatisfied: z.boolean(),
});

/** The summary fields that follow from the raw samples and the spec. */
const measuredFields = {
  scenario: z.enum(SCENARIOS),
  /** Queries over all runs; Offline counts each sample as a query. */
  queryCount: z.int(),
  /** queryCount * samplesPerQuery. */
  sampleCount: z.int(),
  /** Sum over runs of (last end - first start); Server from the first scheduled time, Offline from the issue. */
  durationNs: z.number(),
  /** queryCount / duration: throughput including the harness's own overhead (Offline: samples/s). */
  qps: z.number(),
  /** SingleStream and MultiStream: (queries - 1) / final issue time, each summed over runs (LoadGen's "QPS
   *  w/ loadgen overhead"); null for Server and Offline, and when the final issue times are all 0 (a lone
   *  query issued at the run start). Absent in reports made before it was recorded. */
  qpsWithOverhead: z.number().nullable().optional(),
  /** 1 / mean latency, LoadGen's "QPS w/o loadgen overhead". */
  qpsWithoutOverhead: z.number(),
  /** Query latencies: SingleStream end - start; MultiStream slowest sample; Server end - scheduled;
   *  Offline end - query issue. */
  latency: latencySummarySchema,
  targetPercentile: z.number(),
  /** The latency at targetPercentile. */
  targetLatencyNs: z.number(),
  minQueriesSatisfied: z.boolean(),
  minDurationSatisfied: z.boolean(),
  /** A run hit maxDurationMs before issuing everything it planned. */
  stoppedByMaxDuration: z.boolean(),
  /** LoadGen's early-stopping check (always true for Offline, which LoadGen does not check). */
  earlyStoppingSatisfied: z.boolean(),
  /** Queries the check needs (SingleStream/MultiStream: for any estimate; Server: given its overlatency count). */
  earlyStoppingMinQueries: z.int().nullable(),
  /** Latency that bounds targetPercentile with 99% confidence (SingleStream/MultiStream only). */
  earlyStoppingLatencyNs: z.number().nullable(),
  /** Highest latencies the estimate discards. */
  earlyStoppingDiscardedQueries: z.int().nullable(),
  /** SingleStream: LoadGen's second early-stopping estimate, at p99 (to infer MultiStream), null with
   *  fewer queries than it needs (662) and for the other scenarios. Absent in reports made before it was
   *  recorded. */
  earlyStoppingP99LatencyNs: z.number().nullable().optional(),
  server: serverFiguresSchema.nullable(),
  /** min duration, min queries, early stopping, for Server the latency bound and QPS, and every compliance check, all met. */
  result: z.enum(['VALID', 'INVALID']),
  runs: z.array(runFiguresSchema).min(1),
  /** Coefficient of variation of the runs' p50, in percent; null for one run. */
  runToRunP50CvPct: z.number().nullable(),
  /** Some run's slowdownPct exceeds spec.driftThresholdPct. */
  thermalDriftDetected: z.boolean(),
  /** Device-side per-inference latency, labelled by who measured it; null when the backend has no
   *  clock beyond the host's. Never replaces the host-side figures above. */
  deviceLatency: z.strictObject({ source: z.enum(['device', 'runner']), latency: latencySummarySchema }).nullable(),
  /** Energy and power over the measured window, or why they were not measured. */
  power: powerSummarySchema,
  /** Accuracy figures, recomputed from the raw accuracy record; absent when the spec asks for none. */
  accuracy: accuracySummarySchema.optional(),
  /** LLM latency (TTFT, TPOT, tokens/s), recomputed from the per-token times; absent when not asked for. */
  llm: llmLatencySummarySchema.optional(),
  /** Copied from the raw samples: the performance sample set and its seeds. */
  sampleSet: sampleSetRecordSchema.optional(),
  /** Runs through a runner: each compliance check's outcome; a failed one makes the result INVALID. */
  compliance: complianceSummarySchema.optional(),
  /** Server with spec.serverSearch: every step's rate and verdict, recomputed from its queries, and the
   *  rate the reported runs used (their schedule is the spec's seed at finalQps). */
  serverSearch: serverSearchSummarySchema.optional(),
};

export type MeasuredSummary = z.output<z.ZodObject<typeof measuredFields>>;

export const latencySummaryReportSchema = z.strictObject({
  format: z.literal(LATENCY_SUMMARY_FORMAT),
  clock: z.literal(MONOTONIC_CLOCK),
  /** The resolved spec, every default written out. */
  spec: resolvedSuiteSpecSchema,
  ...measuredFields,
  /** Session creation time; not derivable from raw samples. */
  modelLoadMs: z.number(),
  /** Latency of the very first inference after load (first warm-up query, or first measured one). */
  firstInferenceMs: z.number(),
  backend: backendDescriptionSchema,
});

export type LatencySummaryReport = z.output<typeof latencySummaryReportSchema>;

function invalidSamples(message: string): HarnessError {
  return new HarnessError('harness.invalid_raw_samples', `Invalid raw samples: ${message}`);
}

/** One run reduced to what the summary needs, after checking its times are possible. */
interface RunTimes {
  /** Query latencies in issue order. */
  latencies: Float64Array;
  /** What the per-run p50 and drift look at: the latencies, except Offline's, which grow with the
   *  queue by design, so there each sample's own end - start. */
  serviceTimes: Float64Array;
  durationNs: number;
  /** What the min-duration rule measures (LoadGen: final issue time; Server: final scheduled time). */
  minimumDurationNs: number;
  /** SingleStream and MultiStream: when the last query was issued (LoadGen's final_query_issued_time). */
  lastIssueNs: number;
  /** Server only: final scheduled time and last completion, for the QPS figures. */
  lastScheduledNs: number;
  lastEndNs: number;
}

function checkTimes(times: readonly number[], where: string): void {
  for (const time of times) if (!Number.isSafeInteger(time) || time < 0) throw invalidSamples(`${where} has non-integer or negative times`);
}

/** SingleStream and MultiStream: queries must not overlap. */
function serialRun(queries: ReadonlyArray<readonly [number, number]>, where: string): RunTimes {
  const latencies = new Float64Array(queries.length);
  let previousEnd = 0;
  queries.forEach(([start, end], i) => {
    checkTimes([start, end], `${where} query ${i}`);
    if (end <= start) throw invalidSamples(`${where} query ${i} ends before it starts`);
    if (start < previousEnd) throw invalidSamples(`${where} query ${i} starts before query ${i - 1} ended, impossible with one query in flight`);
    latencies[i] = end - start;
    previousEnd = end;
  });
  const durationNs = previousEnd - (queries[0]?.[0] ?? 0);
  const lastIssueNs = queries[queries.length - 1]?.[0] ?? 0;
  return { latencies, serviceTimes: latencies, durationNs, minimumDurationNs: durationNs, lastIssueNs, lastScheduledNs: 0, lastEndNs: previousEnd };
}

function serverRun(queries: ReadonlyArray<readonly [number, number, number]>, schedule: Float64Array, where: string): RunTimes {
  if (queries.length > schedule.length) throw invalidSamples(`${where} has more queries than the spec's schedule`);
  const latencies = new Float64Array(queries.length);
  let lastEndNs = 0;
  queries.forEach(([scheduled, start, end], i) => {
    checkTimes([scheduled, start, end], `${where} query ${i}`);
    if (scheduled !== schedule[i]) throw invalidSamples(`${where} query ${i} was not scheduled at the spec's Poisson arrival time`);
    if (start < scheduled) throw invalidSamples(`${where} query ${i} started before its scheduled time`);
    if (end <= start) throw invalidSamples(`${where} query ${i} ends before it starts`);
    latencies[i] = end - scheduled;
    lastEndNs = Math.max(lastEndNs, end);
  });
  const lastScheduledNs = queries[queries.length - 1]?.[0] ?? 0;
  return { latencies, serviceTimes: latencies, durationNs: lastEndNs, minimumDurationNs: lastScheduledNs, lastIssueNs: 0, lastScheduledNs, lastEndNs };
}

function offlineRun(samples: ReadonlyArray<readonly [number, number]>, where: string): RunTimes {
  const latencies = new Float64Array(samples.length);
  const serviceTimes = new Float64Array(samples.length);
  samples.forEach(([start, end], i) => {
    checkTimes([start, end], `${where} sample ${i}`);
    if (end <= start) throw invalidSamples(`${where} sample ${i} ends before it starts`);
    latencies[i] = end;
    serviceTimes[i] = end - start;
  });
  const durationNs = latencies.reduce((max, end) => Math.max(max, end), 0);
  return { latencies, serviceTimes, durationNs, minimumDurationNs: durationNs, lastIssueNs: 0, lastScheduledNs: 0, lastEndNs: durationNs };
}

/** The Server schedule a spec implies; the same for every run. */
export function serverScheduleOf(spec: SuiteSpec): Float64Array {
  // poissonSchedule salts its seed; unsalting makes the schedule's stream the recorded scheduleSeed's.
  return poissonSchedule((runSeedsOf(spec).scheduleSeed ^ SCHEDULE_SEED_SALT) >>> 0, {
    targetQps: spec.targetQps,
    minQueryCount: spec.minQueryCount,
    minDurationNs: spec.minDurationMs * 1e6,
    maxDurationNs: spec.maxDurationMs * 1e6,
  });
}

function runTimesOf(raw: RawSamples, spec: SuiteSpec): RunTimes[] {
  switch (raw.scenario) {
    case 'single-stream':
    case 'multi-stream':
      return raw.runs.map((run, r) => serialRun(run.queries, `run ${r}`));
    case 'server': {
      const schedule = serverScheduleOf(spec);
      return raw.runs.map((run, r) => serverRun(run.queries, schedule, `run ${r}`));
    }
    case 'offline':
      return raw.runs.map((run, r) => offlineRun(run.queries, `run ${r}`));
  }
}

/** Whether a run stopped at maxDurationMs before issuing all it planned, per scenario's stop rule. */
function stoppedEarly(spec: SuiteSpec, count: number, satisfied: boolean): boolean {
  switch (spec.scenario) {
    case 'single-stream':
    case 'multi-stream':
      return !satisfied; // the loop runs until both minimums are met or maxDurationMs passes
    case 'server':
      return count < serverScheduleOf(spec).length;
    case 'offline':
      return count < spec.offlineSampleCount;
  }
}

const sum = (values: readonly number[]) => values.reduce((total, v) => total + v, 0);

/** Every measured summary field, from the raw samples and the resolved spec the run used. */
export function recomputeSummaryFromRawSamples(raw: RawSamples, requested: SuiteSpec): MeasuredSummary {
  const search = serverSearchOf(raw, requested);
  // A searched Server run's reported runs are scheduled at the rate the search found.
  const spec = search.serverSearch ? { ...requested, targetQps: search.serverSearch.finalQps } : requested;
  if (raw.scenario !== spec.scenario) throw invalidSamples(`they are ${raw.scenario} samples, the spec asks for ${spec.scenario}`);
  if (raw.runs.length !== spec.repeatCount) throw invalidSamples(`they hold ${raw.runs.length} runs, the spec asks for ${spec.repeatCount}`);
  if (raw.runs.some((run) => run.queries.length === 0)) throw invalidSamples('a run has no queries');
  const runs = runTimesOf(raw, spec);

  const pooled = new Float64Array(sum(runs.map((run) => run.latencies.length)));
  runs.reduce((offset, run) => (pooled.set(run.latencies, offset), offset + run.latencies.length), 0);
  const latency = summarizeLatencies(pooled);
  const sorted = pooled.sort();
  const queryCount = pooled.length;
  const durationNs = sum(runs.map((run) => run.durationNs));
  const percentile = spec.targetPercentile / 100;

  const minQueries = spec.scenario === 'offline' ? spec.offlineSampleCount : spec.minQueryCount;
  const runSatisfies = runs.map((run) => ({
    queries: run.latencies.length >= minQueries,
    duration: run.minimumDurationNs >= spec.minDurationMs * 1e6,
  }));
  const minQueriesSatisfied = runSatisfies.every((s) => s.queries);
  const minDurationSatisfied = runSatisfies.every((s) => s.duration);
  const stoppedByMaxDuration = runs.some((run, r) => stoppedEarly(spec, run.latencies.length, runSatisfies[r]?.queries === true && runSatisfies[r].duration));

  let earlyStopping: Pick<MeasuredSummary, 'earlyStoppingSatisfied' | 'earlyStoppingMinQueries' | 'earlyStoppingLatencyNs' | 'earlyStoppingDiscardedQueries' | 'earlyStoppingP99LatencyNs'>;
  let server: MeasuredSummary['server'] = null;
  if (spec.scenario === 'server') {
    const targetLatencyNs = spec.targetLatencyMs * 1e6;
    const overLatencyCount = queryCount - sorted.filter((l) => l <= targetLatencyNs).length;
    const check = serverEarlyStopping(queryCount, overLatencyCount, percentile);
    earlyStopping = {
      earlyStoppingSatisfied: check.satisfied,
      earlyStoppingMinQueries: check.minQueries,
      earlyStoppingLatencyNs: null,
      earlyStoppingDiscardedQueries: null,
      earlyStoppingP99LatencyNs: null,
    };
    const intervals = sum(runs.map((run) => run.latencies.length - 1));
    const scheduledNs = sum(runs.map((run) => run.lastScheduledNs));
    const scheduledQps = scheduledNs === 0 ? 0 : intervals / (scheduledNs / 1e9);
    const completedQps = intervals / (sum(runs.map((run) => run.lastEndNs)) / 1e9);
    server = {
      targetLatencyNs,
      overLatencyCount,
      scheduledQps,
      completedQps,
      latencyBoundSatisfied: percentileOfSorted(sorted, percentile) <= targetLatencyNs,
      qpsSatisfied: completedQps >= SERVER_MIN_COMPLETED_QPS_RATIO * scheduledQps,
    };
  } else if (spec.scenario === 'offline') {
    earlyStopping = { earlyStoppingSatisfied: true, earlyStoppingMinQueries: null, earlyStoppingLatencyNs: null, earlyStoppingDiscardedQueries: null, earlyStoppingP99LatencyNs: null };
  } else {
    const check = percentileEarlyStopping(sorted, percentile);
    earlyStopping = {
      earlyStoppingSatisfied: check.satisfied,
      earlyStoppingMinQueries: check.minQueries,
      earlyStoppingLatencyNs: check.estimateNs,
      earlyStoppingDiscardedQueries: check.discardedQueries,
      earlyStoppingP99LatencyNs: spec.scenario === 'single-stream' ? percentileEarlyStopping(sorted, 0.99).estimateNs : null,
    };
  }
  const serial = spec.scenario === 'single-stream' || spec.scenario === 'multi-stream';
  const issueIntervals = sum(runs.map((run) => run.latencies.length - 1));
  const lastIssueNs = sum(runs.map((run) => run.lastIssueNs));

  const runFigures = runs.map((run) => {
    const drift = thermalDrift(run.serviceTimes);
    return {
      queryCount: run.latencies.length,
      durationNs: run.durationNs,
      p50Ns: percentileOfSorted(Float64Array.from(run.serviceTimes).sort(), 0.5),
      firstTenthP50Ns: drift.firstTenthP50Ns,
      lastTenthP50Ns: drift.lastTenthP50Ns,
      slowdownPct: drift.slowdownPct,
    };
  });
  const compliance: ComplianceSummary | undefined = raw.compliance && summarizeCompliance(raw.compliance, durationNs);
  const valid =
    minDurationSatisfied &&
    minQueriesSatisfied &&
    earlyStopping.earlyStoppingSatisfied &&
    (server === null || (server.latencyBoundSatisfied && server.qpsSatisfied)) &&
    (compliance === undefined || compliance.invalidReasons.length === 0);

  return {
    scenario: spec.scenario,
    queryCount,
    sampleCount: queryCount * spec.samplesPerQuery,
    durationNs,
    qps: queryCount / (durationNs / 1e9),
    qpsWithOverhead: serial && lastIssueNs > 0 ? issueIntervals / (lastIssueNs / 1e9) : null,
    qpsWithoutOverhead: 1e9 / latency.meanNs,
    latency,
    targetPercentile: spec.targetPercentile,
    targetLatencyNs: percentileOfSorted(sorted, percentile),
    minQueriesSatisfied,
    minDurationSatisfied,
    stoppedByMaxDuration,
    ...earlyStopping,
    server,
    result: valid ? 'VALID' : 'INVALID',
    runs: runFigures,
    runToRunP50CvPct: coefficientOfVariationPct(runFigures.map((run) => run.p50Ns)),
    thermalDriftDetected: runFigures.some((run) => run.slowdownPct > spec.driftThresholdPct),
    deviceLatency: deviceLatencyOf(raw),
    power: powerOf(raw, queryCount, queryCount * spec.samplesPerQuery),
    ...accuracyOf(raw, spec),
    ...llmOf(raw, spec),
    ...(raw.sampleSet && { sampleSet: raw.sampleSet }),
    ...(compliance && { compliance }),
    ...search,
  };
}

/** The spec of one search step at `targetQps`: one run of stepMinQueryCount queries (default: what the
 *  percentile's early-stopping estimate needs) and stepMinDurationMs, the run's other settings kept. */
export function serverSearchStepSpec(spec: SuiteSpec, targetQps: number): SuiteSpec {
  const search = spec.serverSearch;
  if (!search) throw new Error('serverSearchStepSpec needs spec.serverSearch');
  const { accuracy: _accuracy, llm: _llm, serverSearch: _search, preset: _preset, basedOn: _basedOn, overriddenFields: _overridden, ...fields } = spec;
  return {
    ...fields,
    targetQps,
    repeatCount: 1,
    minQueryCount: search.stepMinQueryCount ?? earlyStoppingMinQueries(spec.targetPercentile / 100),
    minDurationMs: Math.min(search.stepMinDurationMs, search.stepMaxDurationMs ?? spec.maxDurationMs, spec.maxDurationMs),
    maxDurationMs: Math.min(search.stepMaxDurationMs ?? spec.maxDurationMs, spec.maxDurationMs),
  };
}

/** A search step's verdict, by the same rules as a reported Server run. */
export function scoreServerSearchStep(step: ServerSearchRaw['steps'][number], spec: SuiteSpec): ServerSearchStepSummary {
  const stepSpec = serverSearchStepSpec(spec, step.targetQps);
  const summary = recomputeSummaryFromRawSamples({ format: RAW_SAMPLES_FORMAT, clock: MONOTONIC_CLOCK, unit: 'ns', scenario: 'server', runs: [{ queries: step.queries }] }, stepSpec);
  const server = summary.server!;
  return {
    targetQps: step.targetQps,
    queryCount: summary.queryCount,
    achievedQps: server.completedQps,
    percentileLatencyNs: summary.targetLatencyNs,
    earlyStoppingSatisfied: summary.earlyStoppingSatisfied,
    latencyBoundSatisfied: server.latencyBoundSatisfied,
    qpsSatisfied: server.qpsSatisfied,
    result: summary.result,
  };
}

function serverSearchOf(raw: RawSamples, spec: SuiteSpec): { serverSearch?: ServerSearchSummary } {
  if (raw.serverSearch === undefined && spec.serverSearch === undefined) return {};
  if (raw.serverSearch === undefined || spec.serverSearch === undefined) throw invalidSamples(spec.serverSearch ? 'the spec asks for a Server QPS search and they hold none' : 'they hold a Server QPS search the spec did not ask for');
  return { serverSearch: summarizeServerSearch(raw.serverSearch, spec.serverSearch, (step) => scoreServerSearchStep(step, spec)) };
}

function llmOf(raw: RawSamples, spec: SuiteSpec): { llm?: LlmLatencySummary } {
  if (raw.llm === undefined && spec.llm === undefined) return {};
  if (raw.llm === undefined || spec.llm === undefined) throw invalidSamples(spec.llm ? 'the spec asks for LLM latency and they hold no token times' : 'they hold LLM token times the spec did not ask for');
  return { llm: summarizeLlmLatency(raw.llm, spec.llm) };
}

function accuracyOf(raw: RawSamples, spec: SuiteSpec): { accuracy?: AccuracySummary } {
  if (raw.accuracy === undefined && spec.accuracy === undefined) return {};
  if (raw.accuracy === undefined || spec.accuracy === undefined) throw invalidSamples(spec.accuracy ? 'the spec asks for accuracy and they hold no accuracy record' : 'they hold an accuracy record the spec did not ask for');
  return { accuracy: summarizeAccuracy(raw.accuracy, spec.accuracy) };
}

export const NO_POWER_METER = 'not measured: no power meter is configured for this device';

function powerOf(raw: RawSamples, queryCount: number, sampleCount: number): PowerSummary {
  if (raw.power === undefined) return { measured: false, reason: NO_POWER_METER };
  if ('notMeasured' in raw.power) return { measured: false, reason: raw.power.notMeasured };
  // Each run's measured window: first query start to last completion (Server: from the first schedule).
  const windows = raw.runs.map((run) => {
    let startNs = Infinity;
    let endNs = 0;
    for (const query of run.queries) {
      startNs = Math.min(startNs, query[0]);
      endNs = Math.max(endNs, query[query.length - 1] as number);
    }
    return { startNs, endNs };
  });
  return summarizePower(raw.power, windows, { queryCount, sampleCount });
}

function deviceLatencyOf(raw: RawSamples): MeasuredSummary['deviceLatency'] {
  const withTimings = raw.runs.filter((run) => run.deviceNs !== undefined);
  if (withTimings.length === 0) return null;
  if (withTimings.length !== raw.runs.length || raw.deviceTimingSource === undefined) {
    throw invalidSamples('device timings must be given for every run, with their source');
  }
  const all = raw.runs.flatMap((run) => run.deviceNs ?? []);
  if (all.length === 0) throw invalidSamples('device timings are empty');
  return { source: raw.deviceTimingSource, latency: summarizeLatencies(all) };
}

/** Names of the summary fields that differ from what the raw samples give; [] when all agree.
 *  Throws HarnessError harness.invalid_raw_samples when the samples themselves are impossible or do not
 *  fit the summary's spec (another scenario, another number of runs, another Server schedule). */
export function verifySummaryAgainstRawSamples(summary: LatencySummaryReport, raw: RawSamples): string[] {
  const expected = recomputeSummaryFromRawSamples(raw, summary.spec);
  // Optional sections count when either side has them.
  const keys = new Set([...Object.keys(expected), ...(['accuracy', 'llm', 'sampleSet', 'compliance', 'serverSearch'] as const).filter((key) => key in summary)]) as Set<keyof MeasuredSummary>;
  return [...keys].filter((key) => !isDeepStrictEqual(summary[key], expected[key]));
}
