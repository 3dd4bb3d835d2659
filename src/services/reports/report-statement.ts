// The signed form of a report: an in-toto Statement v1 whose subject is the model artifact and whose
// predicate holds everything needed to judge and recompute the result. The zod schema is the single
// source of the format; docs/schemas/benchmark-report-predicate.v1.schema.json is generated from it.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { buildStatement, signStatement, type DsseEnvelope } from '../../lib/crypto/dsse.js';
import type { SigningKey } from '../../lib/crypto/signing-keys.js';
import { environmentSchema, latencySummaryReportSchema, operatorProfileSchema, resolvedSuiteSpecSchema } from '../../harness/schemas.js';

export const REPORT_PREDICATE_TYPE = 'https://npubench.dev/attestations/benchmark-report/v1';

const sha256Digest = z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export const reportPredicateSchema = z.strictObject({
  reportId: z.uuid(),
  jobId: z.uuid(),
  /** When the API accepted the result (ISO 8601, UTC). */
  recordedAt: z.iso.datetime(),
  vendor: z.strictObject({ orgId: z.uuid(), name: z.string() }),
  device: z.strictObject({
    slug: z.string(),
    name: z.string(),
    manufacturer: z.string(),
    soc: z.string().nullable(),
    npu: z.string().nullable(),
    backendKind: z.string(),
    executionProvider: z.string(),
  }),
  model: z.strictObject({ id: z.uuid(), name: z.string(), version: z.string(), digest: sha256Digest, sizeBytes: z.number().int() }),
  suite: resolvedSuiteSpecSchema,
  environment: environmentSchema,
  results: latencySummaryReportSchema,
  resourceUsage: z.strictObject({ peakRssBytes: z.number().int(), modelSizeBytes: z.number().int(), method: z.string() }).nullable(),
  operatorProfile: operatorProfileSchema.nullable(),
  /** The raw per-query samples every figure in `results` is recomputed from. */
  rawSamples: z.strictObject({ digest: sha256Digest, mediaType: z.string(), url: z.string() }),
  agent: z.strictObject({ id: z.uuid(), name: z.string(), version: z.string().nullable() }),
  timestamps: z.strictObject({ queuedAt: z.iso.datetime(), startedAt: z.iso.datetime().nullable(), finishedAt: z.iso.datetime() }),
});

export type ReportPredicate = z.infer<typeof reportPredicateSchema>;

export interface SignedReport {
  envelope: DsseEnvelope;
  /** sha256 of the envelope's payload (the canonical statement bytes): what certificates point to. */
  statementDigest: string;
}

export function signReport(predicate: ReportPredicate, key: SigningKey): SignedReport {
  const parsed = reportPredicateSchema.parse(predicate);
  const statement = buildStatement(
    [{ name: `${parsed.model.name}@${parsed.model.version}`, digest: { sha256: parsed.model.digest.sha256 } }],
    REPORT_PREDICATE_TYPE,
    parsed,
  );
  const envelope = signStatement(statement, key);
  return { envelope, statementDigest: createHash('sha256').update(Buffer.from(envelope.payload, 'base64')).digest('hex') };
}

/** JSON Schema of the predicate, for docs and for consumers outside TypeScript. */
export function reportPredicateJsonSchema(): unknown {
  return z.toJSONSchema(reportPredicateSchema, { target: 'draft-2020-12', unrepresentable: 'any' });
}
