// Compliance checks on runs through a runner (MLPerf's audit tests applied to any vendor runtime): what
// each check records in the raw samples, and the verdict the summary derives from those figures. A failed
// check makes the whole result INVALID with a stable reason code from COMPLIANCE_REASONS; docs/
// runner-protocol.md explains each. The raw record holds the measured figures only, so the server
// recomputes every verdict from what the agent uploaded.
import { z } from 'zod';
import { percentileOfSorted } from '../stats/latency-percentiles.js';

/** The stable reason codes an INVALID compliance verdict carries, with what each means. */
export const COMPLIANCE_REASONS = {
  'compliance.output_mismatch':
    "A timed query's output digest differs from that sample's accuracy-pass digest (work skipped, another sample's outputs, precision lowered when timed), or for a non-deterministic device its full outputs fall outside tolerance.",
  'compliance.digest_mismatch': 'In the accuracy pass the runner reported a digest that is not the sha256 of the outputs it returned.',
  'compliance.reference_mismatch': "Accuracy-pass outputs differ from the reference backend's on the same samples beyond tolerance (e.g. a cheap path for recognised benchmark inputs).",
  'compliance.dropped_queries': 'A query was answered for fewer samples than it named.',
  'compliance.caching_detected': 'One sample replayed ran more than 10% faster than distinct fresh samples (TEST04-like).',
  'compliance.device_time_implausible': 'Reported device or runner times exceed the host-measured latency, or account for implausibly little of it.',
  'compliance.llm_first_token_mismatch': "A timed LLM latency run's first generated token differs from the untimed greedy pass's for the same prompt (TEST06-like).",
  'compliance.llm_token_count_mismatch': "The sequence length the runner reported for an LLM latency run's KV cache is not the prompt plus the tokens generated and fed back, or a run generated another number of tokens than asked (TEST06-like).",
} as const;
export type ComplianceReason = keyof typeof COMPLIANCE_REASONS;
const reasonSchema = z.enum(Object.keys(COMPLIANCE_REASONS) as [ComplianceReason, ...ComplianceReason[]]);

/** TEST04: the replayed sample may be at most this much faster than distinct samples. */
export const CACHING_MAX_SPEEDUP = 0.1;
/** Below this paired gain a speed-up is scheduler noise, not a cache: on a loaded 2-core host the
 *  medians of 32 honest queries moved by 30 µs or more (10–15% of a 0.3 ms query) between runs. */
export const CACHING_NOISE_FLOOR_NS = 100_000;
/** The replay must also win significantly many pairs (one-sided sign test at this level): a cache wins
 *  nearly all, load noise about half. The 10% gain alone flagged honest runners at load average 13. */
export const CACHING_SIGN_TEST_P = 0.001;
/** A device clock in another domain may run this much fast relative to the host's. */
export const DEVICE_TIME_CLOCK_TOLERANCE = 0.01;
/** Host time not covered by device time (protocol, runner) beyond both of these, even in the run's
 *  fastest queries (5th percentile), is implausible. Load only adds time, so the low end is the
 *  protocol's own cost: an honest reference runner's median gap reached 3 ms at load average 16, its
 *  5th percentile stays far below 2 ms; a runner reporting a twentieth of a 4 ms device time leaves
 *  ~3.8 ms (95%) uncovered even in its fastest query. */
export const DEVICE_TIME_MAX_GAP_NS = 2_000_000;
export const DEVICE_TIME_MAX_GAP_SHARE = 0.8;
/** Accuracy-pass outputs against the reference: largest |a - b| / max(1, largest |reference|). */
export const REFERENCE_TOLERANCE = 1e-3;
/** Non-deterministic devices: timed outputs against the accuracy pass, same measure. */
export const NONDETERMINISTIC_TOLERANCE = 1e-3;

const ns = z.int().min(0);

export const complianceRawSchema = z.strictObject({
  protocolVersion: z.int().min(1),
  /** False for protocol v1 runners: nothing checks what their timed queries returned. */
  outputsVerified: z.boolean(),
  deterministicOutputs: z.boolean(),
  /** Every performance sample run once with full outputs before timing. */
  accuracyPass: z
    .strictObject({
      samples: z.int().min(0),
      /** Samples whose reported digest is not the sha256 of their returned outputs. */
      digestMismatchSamples: z.array(z.int().min(0)),
      droppedSamples: z.array(z.int().min(0)),
      /** Comparison with an in-process reference backend; null when none was given. */
      reference: z.strictObject({ maxError: z.number().min(0), failedSamples: z.array(z.int().min(0)) }).nullable(),
    })
    .nullable(),
  /** Every answered query (warm-up and timed) against the accuracy pass. */
  queryOutputs: z
    .strictObject({
      answers: z.int().min(0),
      /** How answers were compared: digests (deterministic devices) or full outputs of a seeded subset. */
      compared: z.enum(['digest', 'tolerance']),
      comparedAnswers: z.int().min(0),
      mismatches: z.int().min(0),
      dropped: z.int().min(0),
      firstMismatchSample: z.int().min(0).nullable(),
    })
    .nullable(),
  /** Host latencies of fresh distinct samples and of one fresh sample replayed, interleaved. */
  caching: z
    .strictObject({
      distinctNs: z.array(ns).min(1),
      replayNs: z.array(ns).min(1),
      /** Pairs in which the runner answered nothing for one of the two queries: their times say nothing about
       *  caching (a dropped query returns at once), and the drop itself is the query-outputs check's. */
      droppedPairs: z.array(z.int().min(0)).optional(),
    })
    .nullable(),
  /** Runs with device times: per query, host latency and the device times of its samples; `concurrent`
   *  (Server, Offline) when queries overlapped, so only the upper bound applies. */
  timing: z.strictObject({ hostNs: z.array(ns).min(1), deviceNs: z.array(ns).min(1), concurrent: z.literal(true).optional() }).nullable(),
  /** Host time the accuracy pass and the caching check took. */
  costNs: ns,
  /** LLM latency through the runner (TEST06-like): the first token of an untimed greedy prefill, and per
   *  measured run its first token, generated length, and the runner-reported length of its last cache. */
  llm: z
    .strictObject({
      promptTokens: z.int().min(1),
      outputTokens: z.int().min(1),
      accuracyPassFirstToken: z.int().min(0),
      runs: z.array(z.strictObject({ firstTokenId: z.int().min(0), generatedTokens: z.int().min(0), reportedSequenceLength: z.int().min(0), miscountedSteps: z.int().min(0) })).min(1),
      costNs: ns,
    })
    .optional(),
});
export type ComplianceRaw = z.output<typeof complianceRawSchema>;

const checkSchema = z.strictObject({
  check: z.enum(['accuracy-pass', 'query-outputs', 'caching', 'timing', 'llm-tokens']),
  outcome: z.enum(['passed', 'failed', 'not-run']),
  reasons: z.array(reasonSchema),
  /** The figures the verdict used, in words. */
  detail: z.string(),
});

export const complianceSummarySchema = z.strictObject({
  protocolVersion: z.int().min(1),
  outputsVerified: z.boolean(),
  checks: z.array(checkSchema),
  /** Every failed check's reasons; non-empty makes the result INVALID. */
  invalidReasons: z.array(reasonSchema),
  /** costNs against the measured duration, in percent. */
  costPct: z.number().min(0).nullable(),
});
export type ComplianceSummary = z.output<typeof complianceSummarySchema>;
type Check = z.output<typeof checkSchema>;

const median = (values: readonly number[]) => percentileOfSorted(Float64Array.from(values).sort(), 0.5);
const us = (value: number) => `${(value / 1000).toFixed(1)} µs`;

function notRun(check: Check['check'], why: string): Check {
  return { check, outcome: 'not-run', reasons: [], detail: why };
}

function verdict(check: Check['check'], reasons: ComplianceReason[], detail: string): Check {
  return { check, outcome: reasons.length === 0 ? 'passed' : 'failed', reasons, detail };
}

function accuracyPassCheck(pass: NonNullable<ComplianceRaw['accuracyPass']>): Check {
  const reasons: ComplianceReason[] = [];
  if (pass.digestMismatchSamples.length > 0) reasons.push('compliance.digest_mismatch');
  if (pass.droppedSamples.length > 0) reasons.push('compliance.dropped_queries');
  if (pass.reference !== null && pass.reference.failedSamples.length > 0) reasons.push('compliance.reference_mismatch');
  const reference = pass.reference === null ? 'no reference backend' : `largest error against the reference ${pass.reference.maxError.toExponential(2)} (tolerance ${REFERENCE_TOLERANCE}), ${pass.reference.failedSamples.length} samples outside`;
  return verdict('accuracy-pass', reasons, `${pass.samples} samples; ${pass.digestMismatchSamples.length} digests not matching their outputs; ${pass.droppedSamples.length} dropped; ${reference}`);
}

function queryOutputsCheck(outputs: NonNullable<ComplianceRaw['queryOutputs']>): Check {
  const reasons: ComplianceReason[] = [];
  if (outputs.mismatches > 0) reasons.push('compliance.output_mismatch');
  if (outputs.dropped > 0) reasons.push('compliance.dropped_queries');
  const first = outputs.firstMismatchSample === null ? '' : ` (first at sample ${outputs.firstMismatchSample})`;
  return verdict('query-outputs', reasons, `${outputs.answers} answers, ${outputs.comparedAnswers} compared by ${outputs.compared}: ${outputs.mismatches} mismatches${first}, ${outputs.dropped} dropped`);
}

/** Pairs (distinct i, replay i) ran back to back; the median of their differences cancels load bursts
 *  that would move either median alone by more than the threshold on a busy host. */
function cachingCheck(raw: NonNullable<ComplianceRaw['caching']>): Check {
  if (raw.distinctNs.length !== raw.replayNs.length) return verdict('caching', ['compliance.caching_detected'], 'the distinct and replayed queries do not pair');
  const dropped = new Set(raw.droppedPairs ?? []);
  if ([...dropped].some((i) => i >= raw.replayNs.length)) return verdict('caching', ['compliance.caching_detected'], 'a dropped pair is not one of the pairs');
  const caching = { distinctNs: raw.distinctNs.filter((_, i) => !dropped.has(i)), replayNs: raw.replayNs.filter((_, i) => !dropped.has(i)) };
  const excluded = dropped.size === 0 ? '' : `; ${dropped.size} pairs with a dropped answer left out`;
  if (caching.replayNs.length === 0) return notRun('caching', `every pair had a dropped answer${excluded}`);
  const distinct = median(caching.distinctNs);
  const pairedGain = median(caching.distinctNs.map((ns, i) => ns - (caching.replayNs[i] as number)));
  const pairs = caching.replayNs.length;
  const replayWins = caching.distinctNs.filter((ns, i) => ns > (caching.replayNs[i] as number)).length;
  const winsNeeded = signTestWinsNeeded(pairs, CACHING_SIGN_TEST_P);
  const cached = pairedGain > CACHING_MAX_SPEEDUP * distinct && pairedGain > CACHING_NOISE_FLOOR_NS && replayWins >= winsNeeded;
  const speedupPct = distinct === 0 ? 0 : (100 * pairedGain) / distinct;
  return verdict(
    'caching',
    cached ? ['compliance.caching_detected'] : [],
    `${caching.replayNs.length} pairs of a fresh sample and one sample replayed: replay median ${us(median(caching.replayNs))}, fresh ${us(distinct)}, paired median gain ${us(pairedGain)} (${speedupPct.toFixed(1)}% faster; limit ${100 * CACHING_MAX_SPEEDUP}%); replay faster in ${replayWins} of ${pairs} pairs (cache needs ${winsNeeded})${excluded}`,
  );
}

/** Least k with P(X >= k) < p for X ~ Binomial(n, 1/2). */
export function signTestWinsNeeded(n: number, p: number): number {
  let tail = 0;
  let coefficient = 1; // C(n, k), from k = n down
  for (let k = n; k >= 0; k--) {
    const next = tail + coefficient / 2 ** n;
    if (next >= p) return k + 1;
    tail = next;
    coefficient = (coefficient * k) / (n - k + 1);
  }
  return 0;
}

function timingCheck(timing: NonNullable<ComplianceRaw['timing']>): Check {
  if (timing.hostNs.length !== timing.deviceNs.length) return verdict('timing', ['compliance.device_time_implausible'], 'device times do not pair with the queries');
  let exceeding = 0;
  const gaps = timing.hostNs.map((host, i) => {
    const device = timing.deviceNs[i] as number;
    if (device > host * (1 + DEVICE_TIME_CLOCK_TOLERANCE)) exceeding++;
    return Math.max(0, host - device);
  });
  if (timing.concurrent) {
    // Overlapping queries wait for a free device queue inside their host time, so how much of it device
    // time leaves uncovered says nothing; device time above host time is still impossible.
    return verdict(
      'timing',
      exceeding > 0 ? ['compliance.device_time_implausible'] : [],
      `${timing.hostNs.length} overlapping queries: ${exceeding} with device time above host time; median host ${us(median(timing.hostNs))}, device ${us(median(timing.deviceNs))}`,
    );
  }
  const low = (values: readonly number[]) => percentileOfSorted(Float64Array.from(values).sort(), 0.05);
  const hostLow = low(timing.hostNs);
  const gapLow = low(gaps);
  const gapLimit = Math.max(DEVICE_TIME_MAX_GAP_NS, DEVICE_TIME_MAX_GAP_SHARE * hostLow);
  const implausible = exceeding > 0 || gapLow > gapLimit;
  return verdict(
    'timing',
    implausible ? ['compliance.device_time_implausible'] : [],
    `${timing.hostNs.length} queries: ${exceeding} with device time above host time; median host ${us(median(timing.hostNs))}, device ${us(median(timing.deviceNs))}; 5th percentiles: host ${us(hostLow)}, host time not covered ${us(gapLow)} (limit ${us(gapLimit)})`,
  );
}

function llmTokensCheck(llm: NonNullable<ComplianceRaw['llm']>): Check {
  const firstTokenRuns = llm.runs.flatMap((run, i) => (run.firstTokenId === llm.accuracyPassFirstToken ? [] : [i]));
  // The last cache holds the prompt and every generated token but the newest, which is never fed back.
  const miscountedRuns = llm.runs.flatMap((run, i) =>
    run.generatedTokens === llm.outputTokens && run.reportedSequenceLength === llm.promptTokens + run.generatedTokens - 1 && run.miscountedSteps === 0 ? [] : [i],
  );
  const reasons: ComplianceReason[] = [];
  if (firstTokenRuns.length > 0) reasons.push('compliance.llm_first_token_mismatch');
  if (miscountedRuns.length > 0) reasons.push('compliance.llm_token_count_mismatch');
  const first = firstTokenRuns[0] === undefined ? '' : ` (run ${firstTokenRuns[0]}: token ${llm.runs[firstTokenRuns[0]]!.firstTokenId})`;
  const counted = miscountedRuns[0] === undefined ? '' : ` (run ${miscountedRuns[0]}: ${llm.runs[miscountedRuns[0]]!.generatedTokens} generated, sequence length ${llm.runs[miscountedRuns[0]]!.reportedSequenceLength} reported, ${llm.runs[miscountedRuns[0]]!.miscountedSteps} steps miscounted)`;
  return verdict(
    'llm-tokens',
    reasons,
    `${llm.runs.length} runs of ${llm.promptTokens} prompt + ${llm.outputTokens} output tokens: ${firstTokenRuns.length} with a first token other than the greedy pass's ${llm.accuracyPassFirstToken}${first}; ${miscountedRuns.length} with a token count other than generated (expected sequence length ${llm.promptTokens + llm.outputTokens - 1})${counted}`,
  );
}

/** The verdict of every check, from the raw record; `durationNs` is the measured runs' total. */
export function summarizeCompliance(raw: ComplianceRaw, durationNs: number): ComplianceSummary {
  const unverified = 'protocol v1: outputs not verified';
  const checks: Check[] = [
    raw.accuracyPass === null ? notRun('accuracy-pass', raw.outputsVerified ? 'no samples' : unverified) : accuracyPassCheck(raw.accuracyPass),
    raw.queryOutputs === null ? notRun('query-outputs', raw.outputsVerified ? 'no answers' : unverified) : queryOutputsCheck(raw.queryOutputs),
    raw.caching === null ? notRun('caching', raw.outputsVerified ? 'not measured' : unverified) : cachingCheck(raw.caching),
    raw.timing === null ? notRun('timing', 'no device times') : timingCheck(raw.timing),
    // Only runs with LLM latency have this check; other records stay as they were.
    ...(raw.llm === undefined ? [] : [llmTokensCheck(raw.llm)]),
  ];
  const invalidReasons = [...new Set(checks.flatMap((check) => check.reasons))];
  return {
    protocolVersion: raw.protocolVersion,
    outputsVerified: raw.outputsVerified,
    checks,
    invalidReasons,
    costPct: durationNs > 0 ? (100 * raw.costNs) / durationNs : null,
  };
}
