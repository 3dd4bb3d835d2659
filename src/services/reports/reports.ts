import { z } from 'zod';
import type { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { Prisma } from '@prisma/client';
import type { ServiceDeps } from '../deps.js';
import { writeJsonExactly, type Db } from '../../lib/database.js';
import { badRequest, conflict, forbidden, gone, notFound, payloadTooLarge, unprocessable } from '../../lib/errors.js';
import { BlobTooLargeError, type StagedBlob } from '../../lib/artifact-store.js';
import { isDeepStrictEqual } from 'node:util';
import { environmentSchema, formatMlperfSummary, harnessBuildSchema, latencySummaryReportSchema, operatorProfileSchema, RAW_SAMPLES_FORMAT, rawSamplesSchema, verifySummaryAgainstRawSamples } from '../../harness/schemas.js';
import { seesAllOrgs, visibleWhere, type UserPrincipal } from '../auth/principal.js';
import { signReport } from './report-statement.js';
import { compareDeviceIdentity } from './device-identity.js';
import { modelContentsSchema, modelPrecision } from '../../contracts/models.js';
import { jobSucceeded, type JobServiceDeps } from '../jobs/job-changes.js';
import type { UploadPart } from '../models/models.js';
import { InvalidatedCache, type CacheInvalidation } from '../../lib/cache-invalidation.js';
import { RAW_SAMPLES_MEDIA_TYPE } from '../../contracts/reports.js';
import { activeSigner } from '../signing/service-key.js';
import { extractRuleFacts } from '../../lib/certificates/rule-facts.js';
import { conditionGridCsv, qualityOfFacts } from '../../lib/reports/condition-grid.js';
import { resourceUsageSchema } from '../../contracts/agent-protocol.js';

export { RAW_SAMPLES_MEDIA_TYPE };

const resultFields = z.strictObject({
  summary: latencySummaryReportSchema,
  // Optional in stored reports (older ones lack it); a new result must say which harness build measured.
  environment: environmentSchema.extend({ harness: harnessBuildSchema }),
  resourceUsage: resourceUsageSchema.optional(),
  profile: operatorProfileSchema.optional(),
});

const firstIssue = (e: z.ZodError) => e.issues[0] ? `${e.issues[0].path.join('.')}: ${e.issues[0].message}` : '';

function parseJsonField(name: string, value: unknown): unknown {
  if (typeof value !== 'string') throw badRequest('result.malformed_field', `Field ${name} must be a JSON string.`);
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest('result.malformed_field', `Field ${name} is not valid JSON.`);
  }
}

/**
 * Stores an agent's result: raw samples become a content-addressed artifact, the latency statistics
 * are recomputed here from those samples (the agent's own figures must agree), and report + job
 * status are written in one transaction. Uploading the same job's result again returns the first
 * report, so an agent that retries after a lost response never creates a second one.
 */
export async function recordResult(deps: JobServiceDeps, agentId: string, jobId: string, parts: AsyncIterable<UploadPart>) {
  const job = await deps.db.job.findUnique({ where: { id: jobId }, include: { report: true, model: { include: { artifact: true } }, device: true, org: true, agent: true } });
  if (!job) throw notFound('job.not_found', 'No such job.');
  if (job.agentId !== agentId) throw forbidden('agent.not_job_owner', 'This job was claimed by another agent.');
  if (job.report) return { report: job.report, created: false };
  if (job.status !== 'RUNNING') throw conflict('job.not_running', `The job is ${job.status}; its result is not accepted.`, { jobStatus: job.status });

  const fields: Record<string, unknown> = {};
  let staged: StagedBlob | undefined;
  try {
    for await (const part of parts) {
      if (part.type === 'field') {
        fields[part.fieldname] = parseJsonField(part.fieldname, part.value);
      } else if (part.fieldname === 'raw' && !staged) {
        staged = await deps.store.stage(part.file, deps.config.env.NPUBENCH_MAX_RESULT_BYTES);
      } else {
        part.file.resume();
        throw badRequest('result.unexpected_file', 'Send exactly one file, in the form field "raw".');
      }
    }
    if (!staged) throw badRequest('result.missing_raw_samples', 'The raw samples file (field "raw") is missing.');
    const parsed = resultFields.safeParse(fields);
    if (!parsed.success) throw unprocessable('result.invalid', `The summary or environment is not valid: ${firstIssue(parsed.error)}`);
    if (job.device.backendKind === 'runner' && !parsed.data.environment.runner) {
      throw unprocessable('result.invalid', 'A runner device\'s result must name the runner executable the host ran (environment.runner).');
    }
    if (!isDeepStrictEqual(parsed.data.summary.spec, job.suite)) {
      throw unprocessable('result.spec_mismatch', 'The summary was measured with a different suite spec than the job asked for.');
    }

    let rawJson: unknown;
    try {
      rawJson = JSON.parse(await readFile(staged.path, 'utf8'));
    } catch {
      throw unprocessable('result.invalid_raw_samples', 'The raw samples file is not valid JSON.');
    }
    const raw = rawSamplesSchema.safeParse(rawJson);
    if (!raw.success) throw unprocessable('result.invalid_raw_samples', `The raw samples do not match ${RAW_SAMPLES_FORMAT}: ${firstIssue(raw.error)}`);
    // Every measured figure must follow from the raw samples; the server does not take the agent's word.
    const mismatched = verifySummaryAgainstRawSamples(parsed.data.summary, raw.data);
    if (mismatched.length > 0) {
      throw unprocessable('result.summary_mismatch', `The summary does not follow from the raw samples (${mismatched.join(', ')}).`, { fields: mismatched });
    }
    const summary = parsed.data.summary;

    const deviceIdentity = compareDeviceIdentity(
      { serialNumber: job.device.serialNumber, firmwareVersion: job.device.firmwareVersion, driverVersion: job.device.driverVersion },
      parsed.data.environment,
    );
    const blob = await staged.commit();
    staged = undefined;
    const reportId = randomUUID();
    const now = new Date();
    const signed = signReport(
      {
        reportId,
        jobId,
        recordedAt: now.toISOString(),
        vendor: { orgId: job.orgId, name: job.org.name },
        device: {
          slug: job.device.slug,
          name: job.device.name,
          manufacturer: job.device.manufacturer,
          soc: job.device.soc,
          npu: job.device.npu,
          backendKind: job.device.backendKind,
          executionProvider: job.device.executionProvider,
        },
        model: {
          id: job.model.id,
          name: job.model.name,
          version: job.model.version,
          digest: { sha256: job.model.artifactDigest },
          sizeBytes: Number(job.model.artifact.size),
          contentDigest: job.model.contentDigest === null ? null : { sha256: job.model.contentDigest },
          files: job.model.contents === null ? null : modelContentsSchema.parse(job.model.contents),
        },
        suite: summary.spec,
        environment: parsed.data.environment,
        deviceIdentity,
        results: summary,
        resourceUsage: parsed.data.resourceUsage ?? null,
        operatorProfile: parsed.data.profile ?? null,
        rawSamples: { digest: { sha256: blob.digest }, mediaType: RAW_SAMPLES_MEDIA_TYPE, url: `${deps.config.publicUrl}/v1/reports/${reportId}/raw-samples` },
        agent: { id: agentId, name: job.agent?.name ?? 'unknown', version: job.agent?.version ?? null },
        timestamps: { queuedAt: job.createdAt.toISOString(), startedAt: job.startedAt?.toISOString() ?? null, finishedAt: now.toISOString() },
      },
      (await activeSigner(deps)).key,
    );
    const report = await deps.db.$transaction(async (tx) => {
      await tx.artifact.createMany({
        data: [{ digest: blob.digest, size: BigInt(blob.size), mediaType: RAW_SAMPLES_MEDIA_TYPE, storageKey: blob.storageKey }],
        skipDuplicates: true,
      });
      const moved = await tx.job.updateMany({
        where: { id: jobId, agentId, status: 'RUNNING' },
        data: { status: 'SUCCEEDED', progress: 1, phase: 'done', finishedAt: now },
      });
      if (moved.count === 0) throw conflict('job.not_running', 'The job is no longer running; its result is not accepted.');
      const created = await tx.report.create({
        data: {
          id: reportId,
          envelope: signed.envelope as unknown as Prisma.InputJsonObject,
          statementDigest: signed.statementDigest,
          createdAt: now,
          jobId,
          orgId: job.orgId,
          visibility: job.model.visibility,
          summary: summary as Prisma.InputJsonObject,
          environment: parsed.data.environment,
          deviceIdentity,
          resourceUsage: parsed.data.resourceUsage ?? Prisma.DbNull,
          profile: parsed.data.profile ?? Prisma.DbNull,
          rawSamplesDigest: blob.digest,
        },
      });
      await writeJsonExactly(tx, 'reports', reportId, { summary, profile: parsed.data.profile });
      return created;
    });
    await jobSucceeded(deps, jobId, report.id);
    return { report, created: true };
  } catch (err) {
    if (err instanceof BlobTooLargeError) throw payloadTooLarge('result.too_large', `The raw samples exceed ${err.limit} bytes.`);
    throw err;
  } finally {
    await staged?.discard();
  }
}

function canSee(principal: UserPrincipal | null, report: { orgId: string; visibility: string }): boolean {
  if (!principal) return report.visibility === 'PUBLIC';
  return seesAllOrgs(principal) || report.orgId === principal.orgId || report.visibility === 'PUBLIC';
}

/** A report as the API presents it, for whoever may see it (visibility is the caller's to check). */
async function reportView(db: Db, id: string) {
  const report = await db.report.findUnique({
    where: { id },
    include: { job: { include: { device: { select: { slug: true, name: true, manufacturer: true } }, model: { select: { id: true, name: true, version: true, artifactDigest: true, contentDigest: true } } } } },
  });
  if (!report) return null;
  const { job, ...rest } = report;
  return {
    ...rest,
    device: job.device,
    model: job.model,
    suite: job.suite,
    rawSamplesUrl: `/v1/reports/${report.id}/raw-samples`,
  };
}

export async function getReport(db: Db, principal: UserPrincipal | null, id: string) {
  const report = await reportView(db, id);
  if (!report || !canSee(principal, report)) throw notFound('report.not_found', 'No such report.');
  return report;
}

/** GET /v1/reports/:id's answer, serialised once and kept, with what the visibility rule needs. */
export interface CachedReport {
  orgId: string;
  visibility: string;
  json: Buffer;
}
export type ReportCache = InvalidatedCache<CachedReport>;

/**
 * Reports are written once, so their answer can be kept as bytes; what it shows of other rows (device
 * and model names, the job's suite) drops the whole cache when those change (triggers in the migration
 * cache_invalidation_notify).
 */
export function createReportCache(invalidation: CacheInvalidation, maxBytes = 32 * 1024 ** 2): ReportCache {
  return new InvalidatedCache<CachedReport>(invalidation, {
    maxBytes,
    ttlMs: 10 * 60_000,
    sizeOf: (r) => r.json.length + 200,
    affected: (table, id) => (table === 'reports' ? (id === '*' ? 'all' : { key: id }) : table === 'devices' || table === 'models' || table === 'jobs' ? 'all' : null),
  });
}

/**
 * The report as JSON bytes: from the cache when it holds them (synchronously: no promise on the hot
 * path), else read, serialised and cached.
 */
export function getReportJson(db: Db, principal: UserPrincipal | null, id: string, cache?: ReportCache): Buffer | Promise<Buffer> {
  const visibleJson = (entry: CachedReport) => {
    if (!canSee(principal, entry)) throw notFound('report.not_found', 'No such report.');
    return entry.json;
  };
  const cached = cache?.get(id);
  if (cached) return visibleJson(cached);
  const readToken = cache?.readToken() ?? null;
  return reportView(db, id).then((report) => {
    if (!report) throw notFound('report.not_found', 'No such report.');
    const entry = { orgId: report.orgId, visibility: report.visibility, json: Buffer.from(JSON.stringify(report)) };
    cache?.set(readToken, id, entry);
    return visibleJson(entry);
  });
}

/** The report as LoadGen's mlperf_log_summary.txt, with the device as SUT name. */
export async function mlperfSummaryText(db: Db, principal: UserPrincipal | null, id: string): Promise<string> {
  const report = await getReport(db, principal, id);
  const summary = latencySummaryReportSchema.safeParse(report.summary);
  const environment = environmentSchema.safeParse(report.environment);
  if (!summary.success || !environment.success) throw unprocessable('report.legacy_format', 'This report predates the MLPerf export format.');
  return formatMlperfSummary(summary.data, environment.data, { sutName: `${report.device.name} (${report.device.slug})` });
}

/** GET /v1/reports/:id/condition-grid.csv: the report as one row of the condition grid (src/lib/reports/condition-grid.ts). */
export async function conditionGridText(db: Db, principal: UserPrincipal | null, id: string): Promise<string> {
  const report = await getReport(db, principal, id);
  const extracted = extractRuleFacts({ summary: report.summary, resourceUsage: report.resourceUsage ?? null, operatorProfile: report.profile ?? null });
  if (!('facts' in extracted)) throw unprocessable('report.legacy_format', 'This report predates the condition-grid export format.');
  const { facts } = extracted;
  const [model, device] = await Promise.all([
    db.model.findUniqueOrThrow({ where: { id: report.model.id }, select: { signature: true, suiteWorkload: true, variantTechnique: true, division: true } }),
    db.job.findUniqueOrThrow({ where: { id: report.jobId }, select: { status: true, errorCode: true, device: { select: { executionProvider: true } } } }),
  ]);
  return conditionGridCsv([
    {
      suite: null,
      // As the leaderboard ranks it: the suite workload, else the model's own bytes.
      workload: model.suiteWorkload ?? `model:sha256:${report.model.artifactDigest}`,
      device: { slug: report.device.slug, executionProvider: device.device.executionProvider },
      model: { name: report.model.name, version: report.model.version, digest: report.model.artifactDigest, precision: modelPrecision(model.signature), technique: model.variantTechnique, division: model.division },
      scenario: facts.latency.scenario,
      job: { status: device.status, errorCode: device.errorCode },
      reportId: report.id,
      facts,
      quality: qualityOfFacts(facts),
      fidelity: facts.fidelity,
    },
  ]);
}


export async function openRawSamples(deps: ServiceDeps, principal: UserPrincipal | null, id: string): Promise<{ stream: Readable; size: number; digest: string }> {
  const report = await deps.db.report.findFirst({ where: { AND: [{ id }, visibleWhere(principal)] }, include: { rawSamples: true } });
  if (!report) throw notFound('report.not_found', 'No such report.');
  if (report.rawSamples.prunedAt) throw gone('report.raw_samples_pruned', `The raw samples were deleted by the retention policy on ${report.rawSamples.prunedAt.toISOString()}; the summary and signature remain.`);
  return { stream: await deps.store.open(report.rawSamples.storageKey), size: Number(report.rawSamples.size), digest: report.rawSamplesDigest };
}
