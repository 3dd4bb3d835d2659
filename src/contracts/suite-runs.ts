// Suite runs (#17 item 3): one suite × device × submitter. The service fans a run out into ordinary
// jobs, one per workload × required scenario, so leases, retries, progress and cancellation are the job
// machinery's; once every entry's latest job has finished it signs ONE suite report over the workload
// reports. Zod only: the CLI and the dashboard import this file.
import { z } from 'zod';
import { JOB_STATUSES, SCENARIOS } from './job-vocabulary.js';
import { dsseEnvelopeSchema, rowId, timestamp } from './common.js';
import { SUITE_ID_PATTERN } from './suites.js';
import { ruleFactsSchema } from '../lib/certificates/rule-facts.js';

const workloadId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** Presets a run may use instead of the catalog's, for demos and tests: the report then says it does not conform. */
export const REDUCED_PRESETS = ['smoke', 'quick'] as const;

export const suiteRunRequestSchema = z
  .strictObject({
    suite: z.string().regex(SUITE_ID_PATTERN).describe('name@version, e.g. npubench-edge@1'),
    device: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/).describe('Device slug'),
    /** Per workload, the vendor's own model instead of the reference (closed division: a declared variant of
     *  the reference; open: any model). Workloads not named run the reference model. */
    models: z.record(workloadId, rowId).optional(),
    /** Only these workloads (default: every one). A subset is recorded as not conforming to the suite. */
    workloads: z.array(workloadId).min(1).optional(),
    /** Runs every scenario with this preset instead of the catalog's settings (cheap demos and tests);
     *  recorded as not conforming, since the catalog's query counts and durations were not met. */
    reducedPreset: z.enum(REDUCED_PRESETS).optional(),
  })
  .meta({ id: 'SuiteRunRequest' });
export type SuiteRunRequest = z.infer<typeof suiteRunRequestSchema>;

/** What the run was made from, stored on the row (JSON column) and parsed at read. */
export const suiteRunPlanSchema = z.strictObject({
  workloads: z.array(
    z.strictObject({
      id: workloadId,
      modelId: rowId,
      referenceModelId: rowId,
      /** The scenarios in catalog order; the first carries the workload's accuracy pass. */
      scenarios: z.array(z.strictObject({ scenario: z.enum(SCENARIOS), suite: z.record(z.string(), z.unknown()) })).min(1),
      /** Why quality cannot be judged against the catalog's metric, when it cannot (e.g. no evaluator yet). */
      qualityNotMeasured: z.string().nullable(),
    }),
  ),
  conformance: z.strictObject({
    conforming: z.boolean(),
    /** Each way the run departs from the catalog, in words; [] when it conforms. */
    deviations: z.array(z.string()),
  }),
});
export type SuiteRunPlan = z.infer<typeof suiteRunPlanSchema>;

export const SUITE_RUN_STATUSES = ['RUNNING', 'FINISHED'] as const;
/** How many jobs one entry may use: the first, and a new one for each lost to a dead agent. */
export const MAX_ENTRY_ATTEMPTS = 3;

const entrySchema = z.strictObject({
  scenario: z.enum(SCENARIOS),
  jobId: rowId,
  status: z.enum(JOB_STATUSES),
  progress: z.number().min(0).max(1),
  phase: z.string().nullable(),
  /** Jobs this entry has used: more than one when an agent died and the run resubmitted the entry. */
  jobs: z.int().min(1),
  reportId: rowId.nullable(),
  error: z.strictObject({ code: z.string(), message: z.string().nullable() }).nullable(),
});

export const suiteRunSchema = z
  .strictObject({
    id: rowId,
    orgId: rowId,
    suite: z.strictObject({ id: z.string(), digest: z.string() }),
    device: z.string(),
    status: z.enum(SUITE_RUN_STATUSES),
    conforming: z.boolean(),
    deviations: z.array(z.string()),
    /** Share of finished entries, each entry counting its job's progress. */
    progress: z.number().min(0).max(1),
    workloads: z.array(
      z.strictObject({
        id: workloadId,
        modelId: rowId,
        referenceModelId: rowId,
        progress: z.number().min(0).max(1),
        entries: z.array(entrySchema),
      }),
    ),
    /** sha256 of the signed suite report's payload, once FINISHED. */
    reportDigest: sha256Hex.nullable(),
    createdAt: timestamp,
    finishedAt: timestamp.nullable(),
  })
  .meta({ id: 'SuiteRun' });
export type SuiteRun = z.infer<typeof suiteRunSchema>;

export const SUITE_REPORT_PREDICATE_TYPE = 'https://npubench.dev/attestations/suite-report/v1';

const qualitySchema = z.strictObject({
  /** The catalog's metric for the workload. */
  metric: z.string(),
  /** False when the run could not score the catalog's metric (`note` says why): never counted as met. */
  measured: z.boolean(),
  note: z.string().nullable(),
  candidate: z.number().nullable(),
  reference: z.number().nullable(),
  /** candidate / reference. */
  relative: z.number().nullable(),
  samples: z.int().nullable(),
  target: z.strictObject({ minRelativeToReference: z.number(), minSamples: z.int() }),
  /** null when not measured. */
  meetsTarget: z.boolean().nullable(),
  /** tokenAgreement: greedy-token agreement with the reference LM (the catalog's minTokenAgreement floor reads it); absent in predicates signed before it existed. */
  fidelity: z.strictObject({ minCosine: z.number().nullable(), top1Agreement: z.number().nullable(), answerAgreement: z.number().nullable(), tokenAgreement: z.number().nullable().optional() }),
  meetsFidelityFloor: z.boolean().nullable(),
});

/** A Server entry's rate search in short: each step's rate, achieved QPS, percentile latency against the
 *  bound and verdict, the rate found and the rate the reported run used. */
export const serverSearchOutcomeSchema = z.strictObject({
  /** The latency bound the steps were judged against. */
  targetLatencyNs: z.number(),
  targetPercentile: z.number(),
  steps: z.array(z.strictObject({ targetQps: z.number(), achievedQps: z.number(), percentileLatencyNs: z.number(), result: z.enum(['VALID', 'INVALID']) })),
  /** null when no step met the bound. */
  foundQps: z.number().nullable(),
  finalQps: z.number(),
  stopReason: z.string(),
});
export type ServerSearchOutcome = z.infer<typeof serverSearchOutcomeSchema>;

export const suiteReportPredicateSchema = z.strictObject({
  suiteRunId: rowId,
  suite: z.strictObject({ id: z.string(), digest: z.string() }),
  recordedAt: z.iso.datetime(),
  vendor: z.strictObject({ orgId: rowId, name: z.string() }),
  device: z.strictObject({ slug: z.string(), name: z.string(), backendKind: z.string(), executionProvider: z.string() }),
  conformance: suiteRunPlanSchema.shape.conformance,
  /** Every workload of the catalog: run ones with their results, the rest as not run (never dropped). */
  workloads: z.array(
    z.strictObject({
      id: workloadId,
      /** succeeded: every scenario produced a report; failed: some did not; not-run: outside this run's subset. */
      status: z.enum(['succeeded', 'failed', 'not-run']),
      model: z.strictObject({ id: rowId, name: z.string(), version: z.string(), digest: sha256Hex, division: z.string(), variantOf: z.string().nullable() }).nullable(),
      referenceModelDigest: sha256Hex.nullable(),
      scenarios: z.array(
        z.strictObject({
          scenario: z.enum(SCENARIOS),
          jobId: rowId,
          status: z.enum(JOB_STATUSES),
          error: z.strictObject({ code: z.string(), message: z.string().nullable() }).nullable(),
          reportId: rowId.nullable(),
          /** sha256 of the workload report's signed statement: a subject of this statement. */
          reportStatementDigest: sha256Hex.nullable(),
          /** The report's facts as certification rules read them (headline latency, QPS, power, quality). */
          facts: ruleFactsSchema.nullable(),
          /** Runner devices: the compliance checks' INVALID reasons ([] when all passed); null when the backend reads outputs itself. */
          complianceInvalidReasons: z.array(z.string()).nullable(),
          /** Server entries: the rate was searched, not set by hand (the report's summary.serverSearch, which the
           *  API replayed on upload). A found rate whose reported run then missed the bound stays INVALID in
           *  `facts.latency.result`: the reported run must itself be VALID. Absent on other scenarios and older runs. */
          serverSearch: serverSearchOutcomeSchema.optional(),
        }),
      ),
      quality: qualitySchema.nullable(),
    }),
  ),
});
export type SuiteReportPredicate = z.infer<typeof suiteReportPredicateSchema>;

export const suiteReportSchema = z
  .strictObject({
    suiteRunId: rowId,
    statementDigest: sha256Hex,
    envelope: dsseEnvelopeSchema,
    predicate: suiteReportPredicateSchema,
  })
  .meta({ id: 'SuiteReport' });
export type SuiteReport = z.infer<typeof suiteReportSchema>;
