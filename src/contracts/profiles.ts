// Certification profiles and their evaluation of a report, as the API accepts and answers them. Zod
// only: the dashboard imports this file.
import { z } from 'zod';
import { rowId, timestamp } from './common.js';
import { SCENARIOS } from './job-vocabulary.js';

export const REPORTED_PERCENTILES = [50, 90, 95, 97, 99, 99.9] as const;

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
    power: z.strictObject({ required: z.literal(true), meterClass: z.string().min(1).max(100).optional() }).optional(),
    /** Accuracy as a fraction of the reference model's, e.g. 0.99 for MLPerf's "-99" variants. */
    accuracy: z.strictObject({ minRelativeToReference: z.number().gt(0).max(1) }).optional(),
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
