// The signed form of a report: an in-toto Statement v1 whose subjects are what was measured (the
// uploaded model artifact, its canonical bundle digest and every file in it) and whose predicate holds
// everything needed to judge and recompute the result. docs/certification.md lists what each subject binds. The zod schema is the single
// source of the format; docs/schemas/benchmark-report-predicate.v1.schema.json is generated from it.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { buildStatement, signStatement, type DsseEnvelope, type InTotoSubject } from '../../lib/crypto/dsse.js';
import type { SigningKey } from '../../lib/crypto/signing-keys.js';
import { modelContentsSchema } from '../../contracts/models.js';
import { deviceIdentitySchema } from '../../contracts/reports.js';
import { environmentSchema, latencySummaryReportSchema, operatorProfileSchema, resolvedSuiteSpecSchema } from '../../harness/schemas.js';
import { REPORT_STATEMENT_PREDICATE_TYPE } from '../../lib/certificates/certificate-rules-check.js';

/** Declared beside the certificate checks, which read report statements offline. */
export const REPORT_PREDICATE_TYPE = REPORT_STATEMENT_PREDICATE_TYPE;

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
  model: z.strictObject({
    id: z.uuid(),
    name: z.string(),
    version: z.string(),
    /** sha256 of the uploaded file (archive or .onnx). */
    digest: sha256Digest,
    sizeBytes: z.number().int(),
    /** Canonical bundle digest (packaging-independent); null for bundles stored before it existed. */
    contentDigest: sha256Digest.nullable(),
    files: modelContentsSchema.nullable(),
  }),
  suite: resolvedSuiteSpecSchema,
  environment: environmentSchema,
  /** The lab-asserted device identity beside what the agent observed, and whether they agree. */
  deviceIdentity: deviceIdentitySchema,
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
  const statement = buildStatement(reportSubjects(parsed), REPORT_PREDICATE_TYPE, parsed);
  const envelope = signStatement(statement, key);
  return { envelope, statementDigest: createHash('sha256').update(Buffer.from(envelope.payload, 'base64')).digest('hex') };
}

/**
 * The statement's subjects. The first is the uploaded artifact (as before); then the canonical bundle
 * digest and one subject per file, so a verifier holding the unpacked files (from any packing) can match
 * each of them without the archive.
 */
export function reportSubjects(p: ReportPredicate): InTotoSubject[] {
  const model = `${p.model.name}@${p.model.version}`;
  const subjects: InTotoSubject[] = [{ name: model, digest: { sha256: p.model.digest.sha256 } }];
  if (p.model.contentDigest) subjects.push({ name: `${SUBJECT_PREFIX.bundle}${model}`, digest: { sha256: p.model.contentDigest.sha256 } });
  for (const file of p.model.files ?? []) subjects.push({ name: `${SUBJECT_PREFIX.file}${file.path}`, digest: { sha256: file.sha256 } });
  const harness = p.environment.harness;
  if (harness) {
    subjects.push({ name: `${SUBJECT_PREFIX.harness}${harness.version}`, digest: { sha256: harness.sourceDigest, ...(harness.gitCommit && { gitCommit: harness.gitCommit }) } });
  }
  const runner = p.environment.runner;
  if (runner) {
    subjects.push({ name: `${SUBJECT_PREFIX.runnerExecutable}${runner.executable.path}`, digest: { sha256: runner.executable.sha256 } });
    if (runner.script) subjects.push({ name: `${SUBJECT_PREFIX.runnerScript}${runner.script.path}`, digest: { sha256: runner.script.sha256 } });
  }
  return subjects;
}

/** Subject names say what each digest is of (docs/certification.md, "What a report binds"). */
export const SUBJECT_PREFIX = { bundle: 'npubench-bundle:', file: 'model-file:', harness: 'npubench-harness@', runnerExecutable: 'runner-executable:', runnerScript: 'runner-script:' } as const;

/** JSON Schema of the predicate, for docs and for consumers outside TypeScript. */
export function reportPredicateJsonSchema(): unknown {
  return z.toJSONSchema(reportPredicateSchema, { target: 'draft-2020-12', unrepresentable: 'any' });
}
