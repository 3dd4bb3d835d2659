// What the API says about a report: the document GET /v1/reports/{id} sends (bytes serialised once
// and cached, so the serializer does not cut them: this schema states what they hold), the power
// trace for charts, and the media types of its other forms. The measured summary and the environment
// are the harness's documents (src/harness/report-format.ts validates them in full when an agent
// uploads them); the members clients read are typed here, the others pass through as stored.
// Zod only: the dashboard imports this file.
import { z } from 'zod';
import { dsseEnvelopeSchema, rowId, timestamp } from './common.js';
import { visibilitySchema } from './models.js';
import { SCENARIOS, suiteSpecSchema } from './jobs.js';
import { resourceUsageSchema } from './agent-protocol.js';

export const RAW_SAMPLES_MEDIA_TYPE = 'application/vnd.npubench.raw-samples+json';
export const MLPERF_SUMMARY_MEDIA_TYPE = 'text/plain';

export const latencyFiguresSchema = z
  .looseObject({
    p50Ns: z.number(),
    p90Ns: z.number(),
    p95Ns: z.number(),
    p99Ns: z.number(),
    p999Ns: z.number(),
    meanNs: z.number(),
    minNs: z.number(),
    maxNs: z.number(),
  })
  .meta({ id: 'LatencyFigures' });

const powerSummarySchema = z.union([
  z.looseObject({ measured: z.literal(false), reason: z.string() }),
  z.looseObject({
    measured: z.literal(true),
    meter: z.looseObject({ kind: z.string(), name: z.string() }),
    result: z.enum(['VALID', 'INVALID']),
    avgW: z.number(),
    peakW: z.number(),
    energyJ: z.number(),
    energyPerQueryMj: z.number(),
    samplesPerJoule: z.number(),
  }),
]);

/** A Server run's target-QPS search as the report summary holds it (harness/scenarios/server-search-format.ts). */
export const serverSearchViewSchema = z
  .looseObject({
    startQps: z.number(),
    startSource: z.enum(['spec', 'probe']),
    maxSteps: z.number().int(),
    steps: z.array(
      z.looseObject({
        targetQps: z.number(),
        queryCount: z.number().int(),
        achievedQps: z.number(),
        percentileLatencyNs: z.number(),
        earlyStoppingSatisfied: z.boolean(),
        latencyBoundSatisfied: z.boolean(),
        qpsSatisfied: z.boolean(),
        result: z.enum(['VALID', 'INVALID']),
      }),
    ),
    foundQps: z.number().nullable(),
    /** The reported runs' rate below foundQps, in percent (absent: 0, from before the margin existed). */
    reportMarginPct: z.number().optional(),
    finalQps: z.number(),
    stopReason: z.string(),
  })
  .meta({ id: 'ServerSearch' });
export type ServerSearchView = z.infer<typeof serverSearchViewSchema>;

/** The measured summary (format npubench.latency-summary/v2), recomputed by the server from the raw samples. */
export const latencySummarySchema = z
  .looseObject({
    format: z.string(),
    spec: suiteSpecSchema,
    scenario: z.enum(SCENARIOS),
    result: z.enum(['VALID', 'INVALID']),
    queryCount: z.number().int(),
    sampleCount: z.number().int(),
    durationNs: z.number(),
    qps: z.number(),
    latency: latencyFiguresSchema,
    targetPercentile: z.number(),
    targetLatencyNs: z.number(),
    thermalDriftDetected: z.boolean(),
    runs: z.array(z.looseObject({ slowdownPct: z.number() })),
    power: powerSummarySchema,
    server: z.looseObject({ targetLatencyNs: z.number(), completedQps: z.number(), latencyBoundSatisfied: z.boolean(), qpsSatisfied: z.boolean() }).nullable().optional(),
    serverSearch: serverSearchViewSchema.optional().describe('Server with a rate search: every step, recomputed from its queries on upload, and the rate the reported runs used'),
  })
  .meta({ id: 'LatencySummary' });
export type LatencySummary = z.infer<typeof latencySummarySchema>;

/** What the agent recorded about the machine and runtime. */
export const environmentSchema = z
  .looseObject({
    runtime: z.looseObject({ name: z.string(), version: z.string(), executionProvider: z.string() }).optional(),
    cpu: z.looseObject({ model: z.string() }).optional(),
    harness: z
      .looseObject({ version: z.string(), sourceDigest: z.string(), gitCommit: z.string().nullable(), gitDirty: z.boolean().nullable() })
      .optional()
      .describe('The harness build that measured (docs/certification.md); absent on older reports'),
    runner: z
      .looseObject({
        executable: z.looseObject({ path: z.string(), sha256: z.string() }),
        script: z.looseObject({ path: z.string(), sha256: z.string() }).nullable(),
        claimed: z
          .looseObject({
            runner: z.looseObject({ name: z.string(), version: z.string() }),
            device: z.looseObject({ name: z.string(), vendor: z.string(), firmwareVersion: z.string().optional(), driverVersion: z.string().optional() }).nullable(),
          })
          .nullable(),
      })
      .optional()
      .describe("Runner devices: digests of the runner files the host ran, and what the runner claimed about itself in hello"),
  })
  .meta({ id: 'Environment' });

/** Kernel time per operator, from onnxruntime's profiler (an optional second pass). */
export const operatorProfileSchema = z
  .looseObject({
    iterations: z.number().int(),
    providers: z.array(z.looseObject({ provider: z.string(), nodes: z.number().int(), share: z.number() })),
    byOpType: z.array(z.looseObject({ opType: z.string(), nodes: z.number().int(), meanUsPerIteration: z.number(), share: z.number() })),
  })
  .meta({ id: 'OperatorProfile' });
export type OperatorProfile = z.infer<typeof operatorProfileSchema>;

const identityValue = z.string().nullable();
/**
 * The device's identity as the lab asserts it (device record) beside what the agent observed (host and
 * runtime it read; for runner devices, what the runner claimed), and each comparison. Serial numbers are
 * asserted only: nothing the agent reads names one.
 */
export const deviceIdentitySchema = z
  .strictObject({
    asserted: z.strictObject({ serialNumber: identityValue, firmwareVersion: identityValue, driverVersion: identityValue }),
    observed: z.strictObject({
      cpuModel: z.string(),
      os: z.string(),
      executionProvider: z.string(),
      /** From the runner's hello: claimed, not verified. */
      runnerClaimedFirmwareVersion: identityValue,
      runnerClaimedDriverVersion: identityValue,
    }),
    checks: z.array(
      z.strictObject({
        field: z.enum(['serialNumber', 'firmwareVersion', 'driverVersion']),
        asserted: z.string(),
        observed: identityValue,
        result: z.enum(['match', 'mismatch', 'not-observed']),
      }),
    ),
    /** mismatch: some observed value differs; match: every observed one agrees (at least one); unverified: nothing asserted could be observed; not-asserted: the lab asserted nothing. */
    status: z.enum(['match', 'mismatch', 'unverified', 'not-asserted']),
  })
  .meta({ id: 'DeviceIdentity' });
export type DeviceIdentity = z.infer<typeof deviceIdentitySchema>;

export const reportSchema = z
  .object({
    id: rowId,
    jobId: rowId,
    orgId: rowId,
    visibility: visibilitySchema,
    summary: latencySummarySchema,
    environment: environmentSchema,
    deviceIdentity: deviceIdentitySchema.nullable().describe('Lab-asserted device identity beside what the agent observed; null on older reports'),
    rawSamplesDigest: z.string().describe('SHA-256 of the raw samples, hex'),
    profile: operatorProfileSchema.nullable(),
    resourceUsage: resourceUsageSchema.nullable(),
    envelope: dsseEnvelopeSchema.nullable().describe('The signed statement of the report (DSSE, docs/certification.md)'),
    statementDigest: z.string().nullable(),
    createdAt: timestamp,
    device: z.object({ slug: z.string(), name: z.string(), manufacturer: z.string() }),
    model: z.object({ id: rowId, name: z.string(), version: z.string(), artifactDigest: z.string(), contentDigest: z.string().nullable().describe('Canonical bundle digest (docs/certification.md)') }),
    suite: suiteSpecSchema,
    rawSamplesUrl: z.string().describe('Path of the raw samples download'),
  })
  .meta({ id: 'Report' });
export type Report = z.infer<typeof reportSchema>;

/** [tMs from the run's origin, minW, meanW, maxW] */
const traceBucketSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const powerTraceViewSchema = z
  .object({
    meter: z.looseObject({ kind: z.string(), name: z.string() }),
    idle: z.object({ points: z.array(traceBucketSchema) }).nullable(),
    runs: z.array(
      z.object({
        windowMs: z.tuple([z.number(), z.number()]).describe('The measured window'),
        points: z.array(traceBucketSchema),
        error: z.string().nullable().describe("Why the meter failed during the run"),
      }),
    ),
  })
  .meta({ id: 'PowerTraceView' });
export type PowerTraceView = z.infer<typeof powerTraceViewSchema>;

/**
 * The members of the raw samples (GET /v1/reports/{id}/raw-samples, RAW_SAMPLES_MEDIA_TYPE) that the
 * dashboard reads: each query as LoadGen timed it, in ns (src/harness/report-format.ts writes the file).
 */
export const rawSamplesViewSchema = z.looseObject({
  scenario: z.enum(SCENARIOS),
  runs: z.array(z.looseObject({ queries: z.array(z.array(z.number())) })),
});
export type RawSamples = z.infer<typeof rawSamplesViewSchema>;
