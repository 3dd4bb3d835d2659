// Certification profiles and their evaluation of a report, as the API accepts and answers them. Zod
// only: the dashboard imports this file.
import { z } from 'zod';
import { rowId, timestamp } from './common.js';
import { SCENARIOS } from './job-vocabulary.js';

export const REPORTED_PERCENTILES = [50, 90, 95, 97, 99, 99.9] as const;

/** A fraction in [0, 1]. */
const share = z.number().min(0).max(1);

export const profileRulesSchema = z
  .strictObject({
    scenario: z.enum(SCENARIOS).optional(),
    /** Measured queries in every run (Offline: samples). */
    minQueryCount: z.int().min(1).max(10_000_000).optional(),
    /** Measured duration of every run. */
    minDurationMs: z.int().min(1).max(86_400_000).optional(),
    /** The summary's LoadGen-style result is VALID. */
    requireValidResult: z.literal(true).optional(),
    requireEarlyStopping: z.literal(true).optional(),
    latency: z
      .strictObject({
        percentile: z.union([z.literal(REPORTED_PERCENTILES), z.literal('target')]),
        maxMs: z.number().gt(0).max(3_600_000),
      })
      .optional(),
    /** Throughput including the harness's overhead (summary.qps; Offline: samples/s). */
    minThroughputQps: z.number().gt(0).optional(),
    /** Peak resident memory of the harness process, in MiB (2^20 bytes, what ps and top show). */
    maxPeakRssMb: z.number().gt(0).optional(),
    noThermalDrift: z.literal(true).optional(),
    /** Power measured, its result VALID; optionally by a meter class, with a stated uncertainty at most
     *  maxUncertaintyPct (a meter that states none cannot satisfy it) and an energy bound per query. */
    power: z
      .strictObject({
        required: z.literal(true),
        meterClass: z.string().min(1).max(100).optional(),
        maxUncertaintyPct: z.number().gt(0).max(100).optional(),
        /** Energy per query (SingleStream/MultiStream; Offline/Server: per sample), millijoules. */
        maxEnergyPerQueryMj: z.number().gt(0).optional(),
        /** LMs: energy per generated token over the LLM run's own measured window (prefill included), millijoules;
         *  that window's power must be VALID too, from the same meter class. */
        maxEnergyPerTokenMj: z.number().gt(0).optional(),
      })
      .optional(),
    /** Quality relative to the reference model on the report's own accuracy pass: MMLU accuracy, else
     *  classification top-1 accuracy, else a classifier output's top-1 agreement (reference = 1). */
    accuracy: z
      .strictObject({
        /** e.g. 0.99 for MLPerf's "-99" variants. */
        minRelativeToReference: z.number().gt(0).max(1),
        /** Questions, labelled rows or compared samples the score rests on. */
        minSamples: z.int().min(1).max(10_000_000).optional(),
      })
      .optional(),
    /** Output fidelity to the reference model: the worst output's figures must meet every bound given. */
    fidelity: z
      .strictObject({
        /** Smallest per-sample cosine similarity of any compared output. */
        minCosine: z.number().min(-1).max(1).optional(),
        /** Top-1 / top-5 agreement of classifier-like outputs (for an LM's logits: next-token agreement). */
        minTop1Agreement: share.optional(),
        minTop5Agreement: share.optional(),
        /** MMLU: share of questions where candidate and reference choose the same answer. */
        minAnswerAgreement: share.optional(),
        /** LMs: greedy-token agreement with the reference, teacher-forced on its generated tokens. */
        minTokenAgreement: share.optional(),
        /** Compared samples (MMLU: questions) at least. */
        minSamples: z.int().min(1).max(10_000_000).optional(),
      })
      .refine((rule) => [rule.minCosine, rule.minTop1Agreement, rule.minTop5Agreement, rule.minAnswerAgreement, rule.minTokenAgreement].some((v) => v !== undefined), {
        message: 'a fidelity rule needs at least one bound',
      })
      .optional(),
    /** What ran on the accelerator, from the per-operator profile: share of nodes and of kernel time on
     *  the execution provider named, so a silent fallback to the CPU cannot be certified. */
    acceleratorShare: z
      .strictObject({
        provider: z.string().min(1).max(100),
        minNodeShare: share.optional(),
        minTimeShare: share.optional(),
      })
      .refine((rule) => rule.minNodeShare !== undefined || rule.minTimeShare !== undefined, { message: 'an acceleratorShare rule needs minNodeShare or minTimeShare' })
      .optional(),
    /** Sustained performance: every run lasts at least minDurationMs and its last tenth's p50 is at most
     *  maxSlowdownPct above its first tenth's. */
    sustained: z.strictObject({ minDurationMs: z.int().min(1).max(86_400_000), maxSlowdownPct: z.number().min(0).max(1000) }).optional(),
    /** LLM latency at the report's fixed prompt and output lengths (MLPerf Client's TTFT/TPOT). */
    llm: z
      .strictObject({
        percentile: z.union([z.literal(50), z.literal(90), z.literal(99)]),
        maxTtftMs: z.number().gt(0).max(3_600_000).optional(),
        maxTpotMs: z.number().gt(0).max(3_600_000).optional(),
        minOutputTokensPerSecond: z.number().gt(0).optional(),
      })
      .refine((rule) => rule.maxTtftMs !== undefined || rule.maxTpotMs !== undefined || rule.minOutputTokensPerSecond !== undefined, { message: 'an llm rule needs a bound' })
      .optional(),
  })
  .refine((rules) => Object.values(rules).some((rule) => rule !== undefined), { message: 'a profile needs at least one rule' })
  .meta({ id: 'ProfileRules' });
export type ProfileRules = z.output<typeof profileRulesSchema>;

export const profileName = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes, starting with a letter or digit (2 to 63)');
export const profileId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}@[1-9][0-9]{0,8}$/, '<name>@<version>');

export const profileInput = z.strictObject({
  name: profileName,
  version: z.int().min(1).max(999_999_999),
  title: z.string().min(1).max(200),
  description: z.string().max(5000),
  rules: profileRulesSchema,
  validityDays: z.int().min(1).max(1825),
  autoIssue: z.boolean().optional(),
});
export type ProfileInput = z.infer<typeof profileInput>;

export const profileSchema = z
  .object({
    id: z.string().describe('<name>@<version>'),
    name: z.string(),
    version: z.int(),
    title: z.string(),
    description: z.string(),
    rules: profileRulesSchema,
    validityDays: z.int().describe('How long a certificate under this profile is valid'),
    autoIssue: z.boolean().describe('Certificates are issued automatically for every new report that passes'),
    createdAt: timestamp,
  })
  .describe('A certification profile: immutable, a changed rule set is a new version')
  .meta({ id: 'Profile' });
export type Profile = z.infer<typeof profileSchema>;

export const profileListSchema = z.object({ items: z.array(profileSchema) }).meta({ id: 'ProfileList' });
export type ProfileList = z.infer<typeof profileListSchema>;

/** One line per rule of a profile, as the dry run, the certificate and its PDF print it. */
export const ruleOutcomeSchema = z
  .object({ rule: z.string(), passed: z.boolean(), expected: z.string(), actual: z.string(), reason: z.string() })
  .meta({ id: 'RuleOutcome' });
export type RuleOutcome = z.infer<typeof ruleOutcomeSchema>;

export const VERDICTS = ['PASS', 'FAIL'] as const;

export const profileEvaluationSchema = z
  .object({
    profileId: z.string(),
    reportId: rowId,
    verdict: z.enum(VERDICTS),
    rules: z.array(ruleOutcomeSchema),
  })
  .describe('A dry run: how the report fares against the profile; nothing is issued')
  .meta({ id: 'ProfileEvaluation' });
export type ProfileEvaluationResult = z.infer<typeof profileEvaluationSchema>;
