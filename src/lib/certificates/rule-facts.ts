// The facts a certification profile's rules read, extracted from a report: a small declared object, so a
// certificate can carry exactly what its verdict rests on and anyone can re-evaluate the rules offline.
// Zod only, no Node imports: the service, `npubench verify` and the in-browser verifier extract and read
// facts with this same code.
//
// The reader schemas below declare only the report fields the facts come from, and strip the rest: the
// full report format (src/harness/report-format.ts) imports Node, and a verifier reading a signed report
// statement needs no more than these fields. The service parses reports with the full format first.
import { z } from 'zod';
import { SCENARIOS } from '../../contracts/job-vocabulary.js';

export const RULE_FACTS_FORMAT = 'npubench.rule-facts/v1';

const ns = z.number().min(0);
const fraction = z.number();

const runFactsSchema = z.strictObject({
  queryCount: z.int(),
  durationNs: ns,
  firstTenthP50Ns: ns,
  lastTenthP50Ns: ns,
  slowdownPct: z.number(),
});

/** What a meter window's facts say, for the latency run's power and the LLM run's energy alike. */
const notMeasuredFacts = z.strictObject({ measured: z.literal(false), reason: z.string() });
const meteredFacts = {
  measured: z.literal(true),
  result: z.enum(['VALID', 'INVALID']),
  invalidReasons: z.array(z.string()),
  meterKind: z.string(),
  meterClass: z.string(),
  /** What the meter states; null when it states none. */
  uncertaintyPct: z.number().nullable(),
  avgW: z.number(),
};

export const ruleFactsSchema = z.strictObject({
  format: z.literal(RULE_FACTS_FORMAT),
  latency: z.strictObject({
    scenario: z.enum(SCENARIOS),
    result: z.enum(['VALID', 'INVALID']),
    /** Why the result is INVALID, in the summary's terms; [] when VALID. */
    invalidCauses: z.array(z.string()),
    queryCount: z.int(),
    durationNs: ns,
    qps: z.number(),
    percentiles: z.strictObject({ p50Ns: ns, p90Ns: ns, p95Ns: ns, p97Ns: ns, p99Ns: ns, p999Ns: ns }),
    targetPercentile: z.number(),
    targetLatencyNs: ns,
    earlyStopping: z.strictObject({ satisfied: z.boolean(), minQueries: z.int().nullable(), estimateNs: ns.nullable() }),
    /** The drift threshold of the run's own spec, and whether some run exceeded it. */
    driftThresholdPct: z.number(),
    thermalDriftDetected: z.boolean(),
    runs: z.array(runFactsSchema).min(1),
  }),
  /** Peak RSS of the harness process; null when the agent did not measure it. */
  peakRssBytes: z.int().min(0).nullable(),
  /** Quality against the reference model; null when the report has no accuracy pass with a reference. */
  accuracy: z
    .strictObject({
      metric: z.enum(['mmlu.accuracy', 'classification.top1Accuracy', 'textRecognition.characterAccuracy', 'textDetection.hmean', 'voiceActivity.f1', 'top1Agreement']),
      candidate: fraction,
      reference: fraction,
      /** Questions, labelled rows, text lines, ground-truth text boxes, or compared samples (top1Agreement). */
      samples: z.int().min(0),
    })
    .nullable(),
  /** Output comparisons with the reference; null when the report compared none. */
  fidelity: z
    .strictObject({
      referenceModelDigest: z.string(),
      outputs: z.array(
        z.strictObject({ name: z.string(), samples: z.int(), minCosine: z.number(), meanCosine: z.number(), top1Agreement: fraction.nullable(), top5Agreement: fraction.nullable() }),
      ),
      /** MMLU answers of candidate and reference: share that agree, over how many questions. */
      answerAgreement: z.strictObject({ share: fraction, questions: z.int() }).nullable(),
      /** Greedy-token agreement with the reference LM, teacher-forced on its tokens: share of compared
       *  positions, over how many tokens of how many prompts. Absent when the report has none (also every
       *  report from before it existed, whose facts stay as they were). */
      tokenAgreement: z.strictObject({ share: fraction, tokens: z.int(), prompts: z.int() }).optional(),
    })
    .nullable(),
  power: z.discriminatedUnion('measured', [
    notMeasuredFacts,
    z.strictObject({
      ...meteredFacts,
      energyJ: z.number(),
      energyPerQueryMj: z.number(),
      samplesPerJoule: z.number(),
    }),
  ]),
  /** LLM latency at fixed lengths; null when the report has none. */
  llm: z
    .strictObject({
      promptTokens: z.int(),
      outputTokens: z.int(),
      runs: z.int(),
      ttft: z.strictObject({ p50Ns: ns, p90Ns: ns, p99Ns: ns }),
      tpot: z.strictObject({ p50Ns: ns, p90Ns: ns, p99Ns: ns }).nullable(),
      outputTokensPerSecond: z.number(),
      /** Energy over the LLM's measured runs, or why it was not measured. Absent when the report has no
       *  LLM power record (no meter configured, or a report from before it existed). */
      energy: z
        .discriminatedUnion('measured', [
          notMeasuredFacts,
          z.strictObject({
            ...meteredFacts,
            /** Energy per generated token, prefill included. */
            energyPerTokenMj: z.number(),
            /** Prefill energy per prompt token; null when too few meter samples fell inside the prefills. */
            energyPerPromptTokenMj: z.number().nullable(),
          }),
        ])
        .optional(),
    })
    .nullable(),
  /** Per execution provider, from onnxruntime's profiler; null when the report has no operator profile. */
  operators: z
    .strictObject({
      nodes: z.int(),
      totalKernelUs: z.number(),
      providers: z.array(
        z.strictObject({
          provider: z.string(),
          nodes: z.int(),
          nodeShare: fraction,
          /** Kernel time share of the nodes the profile lists by name for this provider. When the profile
           *  lists fewer nodes than ran (it keeps the top ones), this is a lower bound: `timeShareComplete` false. */
          timeShare: fraction,
          timeShareComplete: z.boolean(),
        }),
      ),
    })
    .nullable(),
});
export type RuleFacts = z.output<typeof ruleFactsSchema>;

// ---- readers: the report fields facts come from ----

const distribution = z.object({ p50Ns: z.number(), p90Ns: z.number(), p99Ns: z.number() });

const summaryReader = z.object({
  scenario: z.enum(SCENARIOS),
  result: z.enum(['VALID', 'INVALID']),
  queryCount: z.int(),
  durationNs: z.number(),
  qps: z.number(),
  latency: z.object({ p50Ns: z.number(), p90Ns: z.number(), p95Ns: z.number(), p97Ns: z.number(), p99Ns: z.number(), p999Ns: z.number() }),
  targetPercentile: z.number(),
  targetLatencyNs: z.number(),
  minQueriesSatisfied: z.boolean(),
  minDurationSatisfied: z.boolean(),
  earlyStoppingSatisfied: z.boolean(),
  earlyStoppingMinQueries: z.int().nullable(),
  earlyStoppingLatencyNs: z.number().nullable(),
  server: z.object({ latencyBoundSatisfied: z.boolean(), qpsSatisfied: z.boolean() }).nullable(),
  runs: z.array(z.object({ queryCount: z.int(), durationNs: z.number(), firstTenthP50Ns: z.number(), lastTenthP50Ns: z.number(), slowdownPct: z.number() })).min(1),
  thermalDriftDetected: z.boolean(),
  spec: z.object({ driftThresholdPct: z.number() }),
  power: z.discriminatedUnion('measured', [
    z.object({ measured: z.literal(false), reason: z.string() }),
    z.object({
      measured: z.literal(true),
      meter: z.object({ kind: z.string(), class: z.string() }),
      result: z.enum(['VALID', 'INVALID']),
      invalidReasons: z.array(z.string()),
      avgW: z.number(),
      energyJ: z.number(),
      energyPerQueryMj: z.number(),
      samplesPerJoule: z.number(),
      uncertaintyPct: z.number().nullable(),
    }),
  ]),
  accuracy: z
    .object({
      mmlu: z.object({ questionCount: z.int(), accuracy: z.number(), reference: z.object({ accuracy: z.number(), predictionAgreement: z.number() }).nullable() }).nullable(),
      tokenAgreement: z.object({ prompts: z.int(), tokens: z.int(), share: z.number() }).optional(),
      classification: z.object({ rows: z.int(), top1Accuracy: z.number(), reference: z.object({ top1Accuracy: z.number() }).nullable() }).nullable(),
      textRecognition: z.object({ lines: z.int(), characterAccuracy: z.number(), reference: z.object({ characterAccuracy: z.number() }).nullable() }).optional(),
      textDetection: z.object({ truthBoxes: z.int(), hmean: z.number(), reference: z.object({ hmean: z.number() }).nullable() }).optional(),
      voiceActivity: z.object({ frames: z.int(), f1: z.number(), reference: z.object({ f1: z.number() }).nullable() }).optional(),
      fidelity: z
        .object({
          referenceModelDigest: z.string(),
          outputs: z.array(z.object({ name: z.string(), samples: z.int(), cosineSimilarity: z.number(), minCosineSimilarity: z.number(), top1Agreement: z.number().nullable(), top5Agreement: z.number().nullable() })),
        })
        .nullable(),
    })
    .optional(),
  llm: z
    .object({
      promptTokens: z.int(),
      outputTokens: z.int(),
      runs: z.int(),
      ttft: distribution,
      tpot: distribution.nullable(),
      outputTokensPerSecond: z.number(),
      energy: z
        .discriminatedUnion('measured', [
          z.object({ measured: z.literal(false), reason: z.string() }),
          z.object({
            measured: z.literal(true),
            meter: z.object({ kind: z.string(), class: z.string() }),
            result: z.enum(['VALID', 'INVALID']),
            invalidReasons: z.array(z.string()),
            uncertaintyPct: z.number().nullable(),
            avgW: z.number(),
            energyPerOutputTokenMj: z.number(),
            prefill: z.object({ perTokenMj: z.number() }).nullable(),
          }),
        ])
        .optional(),
    })
    .optional(),
});

const resourceUsageReader = z.object({ peakRssBytes: z.int().min(0) });

const operatorProfileReader = z.object({
  totalKernelUs: z.number(),
  providers: z.array(z.object({ provider: z.string(), nodes: z.int(), share: z.number() })),
  byNode: z.array(z.object({ provider: z.string(), totalUs: z.number() })),
});

export interface ReportSources {
  /** The latency summary (the report statement's `results`). */
  summary: unknown;
  resourceUsage: unknown;
  operatorProfile: unknown;
}

/** What made a result INVALID, in the summary's own terms. */
function invalidCauses(summary: z.output<typeof summaryReader>): string[] {
  return [
    !summary.minQueriesSatisfied && 'min queries not met',
    !summary.minDurationSatisfied && 'min duration not met',
    !summary.earlyStoppingSatisfied && 'early stopping not met',
    summary.server?.latencyBoundSatisfied === false && 'server latency bound not met',
    summary.server?.qpsSatisfied === false && 'server QPS not sustained',
  ].filter((cause) => cause !== false);
}

/** The quality score against the reference, in the order the harness's accuracy gate picks its metric. */
function accuracyOf(accuracy: z.output<typeof summaryReader>['accuracy']): RuleFacts['accuracy'] {
  if (!accuracy) return null;
  if (accuracy.mmlu?.reference) return { metric: 'mmlu.accuracy', candidate: accuracy.mmlu.accuracy, reference: accuracy.mmlu.reference.accuracy, samples: accuracy.mmlu.questionCount };
  if (accuracy.classification?.reference) {
    return { metric: 'classification.top1Accuracy', candidate: accuracy.classification.top1Accuracy, reference: accuracy.classification.reference.top1Accuracy, samples: accuracy.classification.rows };
  }
  if (accuracy.textRecognition?.reference) {
    return { metric: 'textRecognition.characterAccuracy', candidate: accuracy.textRecognition.characterAccuracy, reference: accuracy.textRecognition.reference.characterAccuracy, samples: accuracy.textRecognition.lines };
  }
  if (accuracy.textDetection?.reference) {
    return { metric: 'textDetection.hmean', candidate: accuracy.textDetection.hmean, reference: accuracy.textDetection.reference.hmean, samples: accuracy.textDetection.truthBoxes };
  }
  if (accuracy.voiceActivity?.reference) {
    return { metric: 'voiceActivity.f1', candidate: accuracy.voiceActivity.f1, reference: accuracy.voiceActivity.reference.f1, samples: accuracy.voiceActivity.frames };
  }
  const output = accuracy.fidelity?.outputs.find((o) => o.top1Agreement !== null);
  if (output?.top1Agreement != null) return { metric: 'top1Agreement', candidate: output.top1Agreement, reference: 1, samples: output.samples };
  return null;
}

function fidelityOf(accuracy: z.output<typeof summaryReader>['accuracy']): RuleFacts['fidelity'] {
  const fidelity = accuracy?.fidelity;
  if (!fidelity) return null;
  const mmlu = accuracy.mmlu;
  return {
    referenceModelDigest: fidelity.referenceModelDigest,
    outputs: fidelity.outputs.map((o) => ({ name: o.name, samples: o.samples, minCosine: o.minCosineSimilarity, meanCosine: o.cosineSimilarity, top1Agreement: o.top1Agreement, top5Agreement: o.top5Agreement })),
    answerAgreement: mmlu?.reference ? { share: mmlu.reference.predictionAgreement, questions: mmlu.questionCount } : null,
    // Only when measured: facts extracted from reports before it existed must stay byte-identical (checkFactsAgainstReport).
    ...(accuracy.tokenAgreement && { tokenAgreement: { share: accuracy.tokenAgreement.share, tokens: accuracy.tokenAgreement.tokens, prompts: accuracy.tokenAgreement.prompts } }),
  };
}

function llmEnergyFacts(energy: NonNullable<NonNullable<z.output<typeof summaryReader>['llm']>['energy']>): NonNullable<NonNullable<RuleFacts['llm']>['energy']> {
  if (!energy.measured) return { measured: false, reason: energy.reason };
  return {
    measured: true,
    result: energy.result,
    invalidReasons: energy.invalidReasons,
    meterKind: energy.meter.kind,
    meterClass: energy.meter.class,
    uncertaintyPct: energy.uncertaintyPct,
    avgW: energy.avgW,
    energyPerTokenMj: energy.energyPerOutputTokenMj,
    energyPerPromptTokenMj: energy.prefill?.perTokenMj ?? null,
  };
}

function operatorsOf(profile: z.output<typeof operatorProfileReader>): NonNullable<RuleFacts['operators']> {
  const nodes = profile.providers.reduce((sum, p) => sum + p.nodes, 0);
  return {
    nodes,
    totalKernelUs: profile.totalKernelUs,
    providers: profile.providers.map((p) => {
      const listed = profile.byNode.filter((n) => n.provider === p.provider);
      const us = listed.reduce((sum, n) => sum + n.totalUs, 0);
      return { provider: p.provider, nodes: p.nodes, nodeShare: p.share, timeShare: profile.totalKernelUs > 0 ? us / profile.totalKernelUs : 0, timeShareComplete: profile.byNode.length >= nodes };
    }),
  };
}

/** The facts of a report, or why none can be read (an unrecognised summary). Optional sections that do
 *  not parse count as absent, which the rules that need them report as not measured. */
export function extractRuleFacts(sources: ReportSources): { facts: RuleFacts } | { unreadable: string } {
  const parsed = summaryReader.safeParse(sources.summary);
  if (!parsed.success) return { unreadable: 'report format not recognised' };
  const summary = parsed.data;
  const usage = resourceUsageReader.safeParse(sources.resourceUsage);
  const profile = operatorProfileReader.safeParse(sources.operatorProfile);
  const power = summary.power;
  const facts: RuleFacts = {
    format: RULE_FACTS_FORMAT,
    latency: {
      scenario: summary.scenario,
      result: summary.result,
      invalidCauses: invalidCauses(summary),
      queryCount: summary.queryCount,
      durationNs: summary.durationNs,
      qps: summary.qps,
      percentiles: { p50Ns: summary.latency.p50Ns, p90Ns: summary.latency.p90Ns, p95Ns: summary.latency.p95Ns, p97Ns: summary.latency.p97Ns, p99Ns: summary.latency.p99Ns, p999Ns: summary.latency.p999Ns },
      targetPercentile: summary.targetPercentile,
      targetLatencyNs: summary.targetLatencyNs,
      earlyStopping: { satisfied: summary.earlyStoppingSatisfied, minQueries: summary.earlyStoppingMinQueries, estimateNs: summary.earlyStoppingLatencyNs },
      driftThresholdPct: summary.spec.driftThresholdPct,
      thermalDriftDetected: summary.thermalDriftDetected,
      runs: summary.runs.map((r) => ({ queryCount: r.queryCount, durationNs: r.durationNs, firstTenthP50Ns: r.firstTenthP50Ns, lastTenthP50Ns: r.lastTenthP50Ns, slowdownPct: r.slowdownPct })),
    },
    peakRssBytes: usage.success ? usage.data.peakRssBytes : null,
    accuracy: accuracyOf(summary.accuracy),
    fidelity: fidelityOf(summary.accuracy),
    power: power.measured
      ? {
          measured: true,
          result: power.result,
          invalidReasons: power.invalidReasons,
          meterKind: power.meter.kind,
          meterClass: power.meter.class,
          uncertaintyPct: power.uncertaintyPct,
          avgW: power.avgW,
          energyJ: power.energyJ,
          energyPerQueryMj: power.energyPerQueryMj,
          samplesPerJoule: power.samplesPerJoule,
        }
      : { measured: false, reason: power.reason },
    llm: summary.llm
      ? {
          promptTokens: summary.llm.promptTokens,
          outputTokens: summary.llm.outputTokens,
          runs: summary.llm.runs,
          ttft: { p50Ns: summary.llm.ttft.p50Ns, p90Ns: summary.llm.ttft.p90Ns, p99Ns: summary.llm.ttft.p99Ns },
          tpot: summary.llm.tpot && { p50Ns: summary.llm.tpot.p50Ns, p90Ns: summary.llm.tpot.p90Ns, p99Ns: summary.llm.tpot.p99Ns },
          outputTokensPerSecond: summary.llm.outputTokensPerSecond,
          ...(summary.llm.energy && { energy: llmEnergyFacts(summary.llm.energy) }),
        }
      : null,
    operators: profile.success ? operatorsOf(profile.data) : null,
  };
  return { facts };
}
