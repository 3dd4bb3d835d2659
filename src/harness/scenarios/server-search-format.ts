// Server target-QPS search (#17 item 3): instead of a hand-set targetQps, a Server run with
// `serverSearch` looks for the highest Poisson arrival rate whose run is VALID (the latency bound met at
// the target percentile with early stopping, and the load sustained), in a bounded number of steps, then
// reports a full-length run at the rate it found. Everything here is pure: the spec, the record the
// harness writes (each step's queries), the planner that says which rate comes next, and the summary,
// which replays the planner over each step's recomputed verdict, so a record whose steps or final rate
// are not what the search would have chosen is refused (the API recomputes it as every other figure).
import { z } from 'zod';
import { HarnessError } from '../../lib/errors.js';

export const serverSearchSpecSchema = z.strictObject({
  /** Steps at most, the first included; the final full-length run is not a step. */
  maxSteps: z.int().min(1).max(32).default(8),
  /** Where the search starts. Absent: the throughput of a serial probe (1 / mean latency of `probeQueries` queries). */
  startQps: z.number().gt(0).max(1_000_000).optional(),
  probeQueries: z.int().min(1).max(10_000).default(32),
  /** The search stops once the failing rate is within this many percent above the passing one. */
  tolerancePct: z.number().gt(0).max(100).default(5),
  /** Scheduled queries per step (default: what the target percentile's early-stopping estimate needs). */
  stepMinQueryCount: z.int().min(1).max(10_000_000).optional(),
  stepMinDurationMs: z.int().min(0).max(3_600_000).default(1000),
  /** The reported run goes this many percent below the found rate: headroom against run-to-run noise, since a
   *  rate found at the edge of the bound fails a rerun about half the time (MLPerf submitters leave it too). */
  reportMarginPct: z.number().min(0).max(90).default(0),
  /** Cap on each step (default: the spec's maxDurationMs). A step it stops before the schedule ends is
   *  INVALID, so the search's time is bounded by maxSteps × this even when every step fails and the
   *  halved rates would otherwise make each step twice as long as the one before. */
  stepMaxDurationMs: z.int().min(1).max(86_400_000).optional(),
});
export type ServerSearchSpec = z.output<typeof serverSearchSpecSchema>;

const timeNs = z.int().min(0);

export const serverSearchRawSchema = z.strictObject({
  /** [startNs, endNs] of each serial probe query; absent when the spec gives startQps. */
  probe: z.array(z.tuple([timeNs, timeNs])).min(1).optional(),
  /** Each step's rate and its [scheduledNs, startNs, endNs] queries, as a one-run Server run records them. */
  steps: z.array(z.strictObject({ targetQps: z.number().gt(0), queries: z.array(z.tuple([timeNs, timeNs, timeNs])).min(1) })).min(1),
  /** The rate of the reported run: the highest passing step's less reportMarginPct, or the lowest tried when none passed. */
  finalQps: z.number().gt(0),
});
export type ServerSearchRaw = z.output<typeof serverSearchRawSchema>;

export const SEARCH_STOP_REASONS = ['converged', 'max-steps', 'qps-limit', 'no-passing-qps'] as const;

export const serverSearchStepSummarySchema = z.strictObject({
  targetQps: z.number(),
  queryCount: z.int(),
  /** Completed queries per second over the step (the summary's server.completedQps). */
  achievedQps: z.number(),
  /** The measured latency at the target percentile. */
  percentileLatencyNs: z.number(),
  earlyStoppingSatisfied: z.boolean(),
  latencyBoundSatisfied: z.boolean(),
  qpsSatisfied: z.boolean(),
  result: z.enum(['VALID', 'INVALID']),
});
export type ServerSearchStepSummary = z.output<typeof serverSearchStepSummarySchema>;

export const serverSearchSummarySchema = z.strictObject({
  startQps: z.number(),
  startSource: z.enum(['spec', 'probe']),
  maxSteps: z.int(),
  /** How far below the found rate the reported run went (absent in summaries from before the margin existed: 0). */
  reportMarginPct: z.number().optional(),
  steps: z.array(serverSearchStepSummarySchema),
  /** The highest passing rate; null when no step passed (the reported run is then at finalQps and INVALID). */
  foundQps: z.number().nullable(),
  finalQps: z.number(),
  stopReason: z.enum(SEARCH_STOP_REASONS),
});
export type ServerSearchSummary = z.output<typeof serverSearchSummarySchema>;

const MAX_QPS = 1_000_000;
/** Rates are kept to 1/1000 QPS so a record's numbers are short and exact to replay. */
const roundQps = (qps: number) => Math.max(0.001, Math.round(qps * 1000) / 1000);

/** The serial probe's throughput: 1 / mean latency, rounded as every searched rate is. */
export function probeQps(probe: readonly (readonly [number, number])[]): number {
  const meanNs = probe.reduce((sum, [start, end]) => sum + (end - start), 0) / probe.length;
  return roundQps(meanNs > 0 ? Math.min(MAX_QPS, 1e9 / meanNs) : MAX_QPS);
}

export type SearchDecision = { next: number } | { done: true; foundQps: number | null; finalQps: number; stopReason: (typeof SEARCH_STOP_REASONS)[number] };

/** What the search does after `steps` (each rate with whether its run passed): double while every step
 *  passed, halve while every step failed, then bisect between the highest pass and the lowest fail above it. */
export function planServerSearch(startQps: number, steps: readonly { targetQps: number; passed: boolean }[], spec: Pick<ServerSearchSpec, 'maxSteps' | 'tolerancePct'> & { reportMarginPct?: number | undefined }): SearchDecision {
  const decision = planSteps(startQps, steps, spec);
  const margin = spec.reportMarginPct ?? 0;
  if ('next' in decision || decision.foundQps === null || margin === 0) return decision;
  return { ...decision, finalQps: roundQps(decision.foundQps * (1 - margin / 100)) };
}

function planSteps(startQps: number, steps: readonly { targetQps: number; passed: boolean }[], spec: Pick<ServerSearchSpec, 'maxSteps' | 'tolerancePct'>): SearchDecision {
  if (steps.length === 0) return { next: roundQps(startQps) };
  const passes = steps.filter((s) => s.passed).map((s) => s.targetQps);
  const lo = passes.length > 0 ? Math.max(...passes) : null;
  const failsAbove = steps.filter((s) => !s.passed && (lo === null || s.targetQps > lo)).map((s) => s.targetQps);
  const hi = failsAbove.length > 0 ? Math.min(...failsAbove) : null;
  const exhausted = steps.length >= spec.maxSteps;
  if (lo === null) {
    const lowest = Math.min(...steps.map((s) => s.targetQps));
    const next = roundQps(lowest / 2);
    if (exhausted || next >= lowest) return { done: true, foundQps: null, finalQps: lowest, stopReason: 'no-passing-qps' };
    return { next };
  }
  if (hi === null) {
    if (lo >= MAX_QPS) return { done: true, foundQps: lo, finalQps: lo, stopReason: 'qps-limit' };
    if (exhausted) return { done: true, foundQps: lo, finalQps: lo, stopReason: 'max-steps' };
    return { next: roundQps(Math.min(MAX_QPS, lo * 2)) };
  }
  const next = roundQps((lo + hi) / 2);
  if (hi <= lo * (1 + spec.tolerancePct / 100) || next <= lo || next >= hi) return { done: true, foundQps: lo, finalQps: lo, stopReason: 'converged' };
  if (exhausted) return { done: true, foundQps: lo, finalQps: lo, stopReason: 'max-steps' };
  return { next };
}

const invalid = (message: string) => new HarnessError('harness.invalid_raw_samples', `Invalid server search record: ${message}`);

/** Replays the search over the record: every step's rate must be the planner's choice given the verdicts
 *  before it (`scoreStep` recomputes a step's verdict from its queries), and the final rate its outcome. */
export function summarizeServerSearch(raw: ServerSearchRaw, spec: ServerSearchSpec, scoreStep: (step: ServerSearchRaw['steps'][number]) => ServerSearchStepSummary): ServerSearchSummary {
  if ((spec.startQps === undefined) !== (raw.probe !== undefined)) throw invalid(spec.startQps === undefined ? 'the spec gives no start rate and the record has no probe' : 'the spec gives the start rate and the record has a probe');
  const startQps = spec.startQps ?? probeQps(raw.probe!);
  const steps: ServerSearchStepSummary[] = [];
  const verdicts: { targetQps: number; passed: boolean }[] = [];
  for (const [i, step] of raw.steps.entries()) {
    const decision = planServerSearch(startQps, verdicts, spec);
    if (!('next' in decision)) throw invalid(`step ${i} was run after the search had ended (${decision.stopReason})`);
    if (step.targetQps !== decision.next) throw invalid(`step ${i} ran at ${step.targetQps} QPS; the search chooses ${decision.next}`);
    const summary = scoreStep(step);
    steps.push(summary);
    verdicts.push({ targetQps: step.targetQps, passed: summary.result === 'VALID' });
  }
  const outcome = planServerSearch(startQps, verdicts, spec);
  if ('next' in outcome) throw invalid(`the search stopped after ${raw.steps.length} steps; it would run ${outcome.next} QPS next`);
  if (raw.finalQps !== outcome.finalQps) throw invalid(`the final run is at ${raw.finalQps} QPS; the search found ${outcome.finalQps}`);
  return { startQps, startSource: spec.startQps === undefined ? 'probe' : 'spec', maxSteps: spec.maxSteps, reportMarginPct: spec.reportMarginPct, steps, foundQps: outcome.foundQps, finalQps: outcome.finalQps, stopReason: outcome.stopReason };
}
