// The two documents a run produces: raw samples (every query's start and end) and the latency summary.
// Every measured number in the summary is a pure function of the raw samples and the spec
// (recomputeSummaryFromRawSamples), so the server can refuse an upload whose summary does not follow.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { HarnessError } from '../lib/errors.js';
import { backendDescriptionSchema } from './backends/backend.js';
import { percentileOfSorted, summarizeLatencies, type LatencySummary } from './stats/latency-percentiles.js';
import { resolvedSuiteSpecSchema, type SuiteSpec } from './suite-spec.js';

export const RAW_SAMPLES_FORMAT = 'npubench.raw-samples/v1';
export const LATENCY_SUMMARY_FORMAT = 'npubench.latency-summary/v1';
export const MONOTONIC_CLOCK = 'process.hrtime.bigint (CLOCK_MONOTONIC)';

export const rawSamplesSchema = z.strictObject({
  format: z.literal(RAW_SAMPLES_FORMAT),
  clock: z.literal(MONOTONIC_CLOCK),
  unit: z.literal('ns'),
  scenario: z.literal('single-stream'),
  /** [startNs, endNs] per measured query, relative to the run start, in issue order. */
  queries: z.array(z.tuple([z.int().min(0), z.int().min(0)])).min(1),
});

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

/** The summary fields that follow from the raw samples alone. */
const sampleFields = {
  queryCount: z.int(),
  /** Last query's end minus first query's start. */
  durationNs: z.number(),
  /** queryCount / duration: throughput including the harness's own per-query overhead. */
  qps: z.number(),
  /** 1 / mean latency, LoadGen's "QPS w/o loadgen overhead". */
  qpsWithoutOverhead: z.number(),
  latency: latencySummarySchema,
};

/** ...and those that follow from the raw samples plus the spec. */
const measuredFields = {
  ...sampleFields,
  targetPercentile: z.number(),
  targetLatencyNs: z.number(),
  minQueriesSatisfied: z.boolean(),
  minDurationSatisfied: z.boolean(),
  /** The run hit maxDurationMs before meeting both minimums; always equals !(both satisfied). */
  stoppedByMaxDuration: z.boolean(),
};

export type SampleSummary = z.output<z.ZodObject<typeof sampleFields>>;
export type MeasuredSummary = z.output<z.ZodObject<typeof measuredFields>>;

export const latencySummaryReportSchema = z.strictObject({
  format: z.literal(LATENCY_SUMMARY_FORMAT),
  scenario: z.literal('single-stream'),
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

export type SummaryCriteria = Pick<SuiteSpec, 'targetPercentile' | 'minQueryCount' | 'minDurationMs'>;

function invalidSamples(message: string): HarnessError {
  return new HarnessError('harness.invalid_raw_samples', `Invalid raw samples: ${message}`);
}

/** Latencies of SingleStream samples, after checking they could come from one serial run. */
function serialLatencies(queries: RawSamples['queries']): Float64Array {
  const latencies = new Float64Array(queries.length);
  let previousEnd = 0;
  queries.forEach(([start, end], i) => {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0) throw invalidSamples(`query ${i} has non-integer or negative times`);
    if (end <= start) throw invalidSamples(`query ${i} ends before it starts`);
    if (start < previousEnd) throw invalidSamples(`query ${i} starts before query ${i - 1} ended, impossible in single-stream`);
    latencies[i] = end - start;
    previousEnd = end;
  });
  return latencies;
}

/** With only raw samples: the fields they determine alone. With the spec too: every measured field. */
export function recomputeSummaryFromRawSamples(raw: RawSamples): SampleSummary;
export function recomputeSummaryFromRawSamples(raw: RawSamples, criteria: SummaryCriteria): MeasuredSummary;
export function recomputeSummaryFromRawSamples(raw: RawSamples, criteria?: SummaryCriteria): SampleSummary | MeasuredSummary {
  const first = raw.queries[0];
  const last = raw.queries[raw.queries.length - 1];
  if (first === undefined || last === undefined) throw invalidSamples('no queries');
  const latencies = serialLatencies(raw.queries);
  const latency = summarizeLatencies(latencies);
  const queryCount = raw.queries.length;
  const durationNs = last[1] - first[0];
  const sampleSummary: SampleSummary = {
    queryCount,
    durationNs,
    qps: queryCount / (durationNs / 1e9),
    qpsWithoutOverhead: 1e9 / latency.meanNs,
    latency,
  };
  if (criteria === undefined) return sampleSummary;
  const minQueriesSatisfied = queryCount >= criteria.minQueryCount;
  const minDurationSatisfied = durationNs >= criteria.minDurationMs * 1e6;
  return {
    ...sampleSummary,
    targetPercentile: criteria.targetPercentile,
    targetLatencyNs: percentileOfSorted(latencies.sort(), criteria.targetPercentile / 100),
    minQueriesSatisfied,
    minDurationSatisfied,
    stoppedByMaxDuration: !(minQueriesSatisfied && minDurationSatisfied),
  };
}

/** Names of the summary fields that differ from what the raw samples give; [] when all agree.
 *  Throws HarnessError harness.invalid_raw_samples when the samples themselves are impossible. */
export function verifySummaryAgainstRawSamples(summary: LatencySummaryReport, raw: RawSamples): string[] {
  const expected = recomputeSummaryFromRawSamples(raw, summary.spec);
  return (Object.keys(expected) as (keyof MeasuredSummary)[]).filter((key) => !isDeepStrictEqual(summary[key], expected[key]));
}
