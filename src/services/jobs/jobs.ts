import { createHash, randomInt } from 'node:crypto';
import { z } from 'zod';
import type { Job, JobStatus, Prisma } from '@prisma/client';
import type { Db } from '../../lib/database.js';
import { AppError, badRequest, conflict, notFound, serviceUnavailable, unprocessable, type ErrorCode } from '../../lib/errors.js';
import { resolveSuiteSpec, type ServiceSampleSeeds } from '../../harness/schemas.js';
import { MODEL_BUNDLE_FORMAT } from '../../lib/bundles/model-bundle.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { presentJob, TERMINAL_STATUSES } from './job-view.js';
import { jobChanged, jobFinished, type JobServiceDeps } from './job-changes.js';
import { CanonicalJsonError, canonicalBytes } from '../../lib/crypto/canonical-json.js';
import { seesAllOrgs, visibleWhere, type UserPrincipal } from '../auth/principal.js';
import { cursorPage, cursorPageArgs } from '../cursor-page.js';
import { deviceSlug } from '../devices/devices.js';
import { checkDatasetRef, LABELLED_INPUTS_DATASET_FORMAT, MMLU_DATASET_FORMAT, TEXT_LINES_DATASET_FORMAT, TEXT_PAGES_DATASET_FORMAT, VAD_FRAMES_DATASET_FORMAT } from '../datasets/datasets.js';

export const jobSubmission = z.strictObject({
  modelId: z.uuid(),
  device: deviceSlug,
  /** Suite spec; see the harness's suite-spec for fields, presets and defaults. */
  suite: z.record(z.string(), z.unknown()).default({}),
  /** The FP32 original of this model: the agent also runs it on the CPU EP and the report compares both
   *  (needs suite.accuracy). */
  referenceModelId: z.uuid().optional(),
});

export { presentJob, TERMINAL_STATUSES };

/** The latency run's QSL, sample-index and schedule seeds for one job, drawn here so that the vendor can
 *  neither choose them nor know them before the job runs (issue #16; DECISIONS.md). */
export function drawServiceSampleSeeds(): ServiceSampleSeeds {
  const draw = () => randomInt(0, 2 ** 32);
  return { qslSeed: draw(), sampleIndexSeed: draw(), scheduleSeed: draw(), chosenBy: 'service' };
}

const withDevice = { device: { select: { slug: true } } } as const;

/** Over the RFC 8785 form, so a retry that orders the same members differently is the same request. */
function requestHash(body: unknown): string {
  let bytes: Buffer;
  try {
    bytes = canonicalBytes(body);
  } catch (err) {
    // JSON.parse reads 1e400 as Infinity, which no JSON text can say back.
    if (err instanceof CanonicalJsonError) throw badRequest('validation.failed', `The request body cannot be read as exact JSON: ${err.message}.`);
    throw err;
  }
  return createHash('sha256').update(bytes).digest('hex');
}

/** What requestHash was before it canonicalised: a key stored then still matches a byte-identical retry. */
function legacyRequestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/**
 * Records the job in Postgres (the source of truth) and then queues it for the device's agents.
 * With an Idempotency-Key, a repeated request returns the first job instead of running twice; the
 * same key with a different body is refused. The request id travels with the queued job so the
 * agent's log lines can be matched to the submit request.
 */
export async function submitJob(
  deps: JobServiceDeps,
  principal: UserPrincipal,
  input: z.infer<typeof jobSubmission>,
  { idempotencyKey, requestId, suiteRun }: { idempotencyKey?: string | undefined; requestId?: string | undefined; suiteRun?: { id: string; entry: string } | undefined } = {},
): Promise<{ job: ReturnType<typeof presentJob>; created: boolean }> {
  const hash = requestHash(input);
  if (idempotencyKey) {
    const existing = await findByIdempotencyKey(deps.db, principal.orgId, idempotencyKey);
    if (existing) return { job: replay(existing, input), created: false };
  }
  // Every API job can back a certificate, so its seeds are the service's, always: a client that names them is refused.
  if ('sampleSeeds' in input.suite) {
    throw badRequest('suite.seeds_service_chosen', 'The service chooses the sample seeds of every job; leave out suite.sampleSeeds.', {
      errors: [{ path: 'suite.sampleSeeds', message: 'chosen by the service' }],
    });
  }
  let suite;
  try {
    suite = resolveSuiteSpec(input.suite);
  } catch (err) {
    if (err instanceof z.ZodError) {
      throw badRequest('suite.invalid', 'Invalid suite spec.', { errors: err.issues.map((i) => ({ path: ['suite', ...i.path].join('.'), message: i.message })) });
    }
    throw err;
  }
  // The reference is named by model id, so visibility is checked; a raw digest could name anyone's model.
  if (suite.accuracy?.reference) {
    throw badRequest('suite.invalid', 'Name the reference model with referenceModelId, not suite.accuracy.reference.', { errors: [{ path: 'suite.accuracy.reference', message: 'use referenceModelId' }] });
  }
  if (input.referenceModelId !== undefined && !suite.accuracy) {
    throw badRequest('suite.invalid', 'referenceModelId needs suite.accuracy (e.g. {} for output fidelity, or {"mmlu": {}}).', { errors: [{ path: 'suite.accuracy', message: 'required with referenceModelId' }] });
  }
  if (suite.accuracy?.gate && input.referenceModelId === undefined) {
    throw badRequest('suite.invalid', 'An accuracy gate compares with a reference: name it with referenceModelId.', { errors: [{ path: 'referenceModelId', message: 'required with suite.accuracy.gate' }] });
  }
  if (suite.accuracy?.mmlu) await checkDatasetRef(deps.db, principal, suite.accuracy.mmlu.dataset, MMLU_DATASET_FORMAT);
  if (suite.accuracy?.classification) await checkDatasetRef(deps.db, principal, suite.accuracy.classification.dataset, LABELLED_INPUTS_DATASET_FORMAT);
  if (suite.accuracy?.textRecognition) await checkDatasetRef(deps.db, principal, suite.accuracy.textRecognition.dataset, TEXT_LINES_DATASET_FORMAT);
  if (suite.accuracy?.textDetection) await checkDatasetRef(deps.db, principal, suite.accuracy.textDetection.dataset, TEXT_PAGES_DATASET_FORMAT);
  if (suite.accuracy?.voiceActivity) await checkDatasetRef(deps.db, principal, suite.accuracy.voiceActivity.dataset, VAD_FRAMES_DATASET_FORMAT);
  const device = await deps.db.device.findUnique({ where: { slug: input.device } });
  if (!device || (!device.isPublic && !seesAllOrgs(principal))) throw notFound('device.not_found', `No device ${input.device}.`);
  // Every evaluation runs on runner devices too: fidelity and classification through `run`, MMLU and LLM latency through `lm_forward`.
  const model = await deps.db.model.findFirst({
    where: { AND: [{ id: input.modelId }, visibleWhere(principal)] },
  });
  if (!model) throw notFound('model.not_found', 'No such model.');
  if ((suite.accuracy?.mmlu || suite.llm) && model.format !== MODEL_BUNDLE_FORMAT) {
    throw unprocessable('suite.needs_llm_bundle', `${suite.llm ? 'LLM latency' : 'MMLU'} needs an LLM bundle (model with tokenizer.json, tokenizer_config.json and config.json); this model is a single .onnx file.`);
  }
  if (input.referenceModelId !== undefined) {
    const reference = await deps.db.model.findFirst({
      where: { AND: [{ id: input.referenceModelId }, visibleWhere(principal)] },
    });
    if (!reference) throw notFound('model.not_found', 'No such reference model.');
    if (reference.format !== model.format) throw unprocessable('suite.reference_mismatch', `The reference model is ${reference.format} and the model is ${model.format}; both must be of one kind.`);
    suite = { ...suite, accuracy: { ...suite.accuracy!, reference: { modelDigest: reference.artifactDigest } } };
  }

  suite = { ...suite, sampleSeeds: drawServiceSampleSeeds() };

  let job: Job & { device: { slug: string } };
  try {
    job = await deps.db.job.create({
      data: {
        orgId: principal.orgId,
        modelId: model.id,
        deviceId: device.id,
        suite,
        idempotencyKey: idempotencyKey ?? null,
        requestHash: hash,
        suiteRunId: suiteRun?.id ?? null,
        suiteEntry: suiteRun?.entry ?? null,
      },
      include: withDevice,
    });
  } catch (err) {
    // A concurrent request with the same key won the race: answer with its job.
    if (idempotencyKey && isUniqueViolation(err)) {
      const existing = await findByIdempotencyKey(deps.db, principal.orgId, idempotencyKey);
      if (existing) return { job: replay(existing, input), created: false };
    }
    throw err;
  }
  try {
    await deps.queues.enqueue({ jobId: job.id, deviceSlug: device.slug, requestId });
  } catch (err) {
    // Without the queue the job would wait forever: remove it so the client can simply retry.
    await deps.db.job.delete({ where: { id: job.id } });
    deps.log.error({ err, jobId: job.id }, 'enqueue failed');
    throw serviceUnavailable('queue.unavailable', 'The job queue is unavailable; retry later.');
  }
  await jobChanged(deps, job.id);
  return { job: presentJob(job), created: true };
}

async function findByIdempotencyKey(db: Db, orgId: string, key: string) {
  return db.job.findUnique({ where: { orgId_idempotencyKey: { orgId, idempotencyKey: key } }, include: withDevice });
}

function replay(job: Job & { device: { slug: string } }, input: unknown) {
  if (job.requestHash !== requestHash(input) && job.requestHash !== legacyRequestHash(input)) {
    throw unprocessable('idempotency.key_reused', 'This Idempotency-Key was already used with a different request body.');
  }
  return presentJob(job);
}

/** Vendors read only their own jobs; the lab reads all. Others get 404, not 403, so ids do not leak. */
function visibleJobs(principal: UserPrincipal): Prisma.JobWhereInput {
  return seesAllOrgs(principal) ? {} : { orgId: principal.orgId };
}

export async function getJob(db: Db, principal: UserPrincipal, id: string) {
  const job = await db.job.findFirst({ where: { AND: [{ id }, visibleJobs(principal)] }, include: { ...withDevice, report: { select: { id: true } } } });
  if (!job) throw notFound('job.not_found', 'No such job.');
  return { ...presentJob(job), reportId: job.report?.id ?? null };
}

export async function listJobs(db: Db, principal: UserPrincipal, page: { limit: number; cursor?: string | undefined; status?: JobStatus | undefined }) {
  const rows = await db.job.findMany({
    where: { AND: [visibleJobs(principal), page.status ? { status: page.status } : {}] },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    ...cursorPageArgs(page),
    include: withDevice,
  });
  return cursorPage(rows, page, presentJob);
}

/**
 * Cancels a job. A queued job is removed from its queue; a running one is marked CANCELED and its
 * agent stops the harness at its next progress report. `canceled` is false when the job reached
 * another final status first.
 */
export async function cancelJob(deps: JobServiceDeps, principal: UserPrincipal, id: string) {
  const job = await deps.db.job.findFirst({ where: { AND: [{ id }, visibleJobs(principal)] }, include: withDevice });
  if (!job) throw notFound('job.not_found', 'No such job.');
  if (TERMINAL_STATUSES.includes(job.status)) {
    throw conflict('job.already_finished', `The job is already ${job.status}.`, { jobStatus: job.status });
  }
  const res = await deps.db.job.updateMany({
    where: { id, status: { in: ['QUEUED', 'RUNNING'] } },
    data: { status: 'CANCELED', finishedAt: new Date(), errorCode: 'job.canceled' satisfies ErrorCode, errorMessage: 'Canceled by request.' },
  });
  if (res.count === 0) return { job: await getJob(deps.db, principal, id), canceled: false };
  await jobFinished(deps, id);
  if (job.status === 'QUEUED') {
    await deps.queues.removeWaiting(job.device.slug, id).catch((err: unknown) => deps.log.warn({ err, jobId: id }, 'could not remove canceled job from queue'));
  }
  return { job: await getJob(deps.db, principal, id), canceled: true };
}

export class JobNotClaimableError extends AppError {
  constructor(status: JobStatus) {
    super('job.not_claimable', `The job is ${status} and cannot be run.`, { jobStatus: status });
  }
}
