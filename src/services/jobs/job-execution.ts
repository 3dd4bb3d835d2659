// The agent's side of a job's life: claim → progress → result or failure. Every transition is a
// conditional update on the current status, so a canceled job cannot be revived by a late agent
// message and two agents cannot both finish the same job; the update that made a change is followed by
// its consequences (job-changes.ts).
import type { Db } from '../../lib/database.js';
import { declaredFailure, forbidden, notFound } from '../../lib/errors.js';
import { agentServesDevice } from '../agents/agents.js';
import { JobNotClaimableError } from './jobs.js';
import { jobChanged, jobFinished, type JobChangeDeps } from './job-changes.js';
import { claimedJobSchema, type ClaimedJob, type FailureRecorded, type JobFailure, type JobProgress, type JobReleased, type ProgressAccepted } from '../../contracts/agent-protocol.js';

async function jobForAgent(db: Db, agentId: string, jobId: string) {
  const job = await db.job.findUnique({ where: { id: jobId }, include: { device: true, model: { include: { artifact: true } } } });
  if (!job) throw notFound('job.not_found', 'No such job.');
  if (!(await agentServesDevice(db, agentId, job.deviceId))) {
    throw forbidden('agent.device_not_assigned', 'This agent does not serve the job\'s device.');
  }
  return job;
}

/**
 * Moves the job to RUNNING for this agent and returns what the agent needs to run it. The first claim
 * also records how long the job waited in the queue.
 */
export async function claimJob(deps: JobChangeDeps, agentId: string, jobId: string): Promise<ClaimedJob> {
  const { db } = deps;
  const job = await jobForAgent(db, agentId, jobId);
  // Parsed, not cast: the JSON columns (suite, backend options, power meter) are read back as what the
  // agent will be sent, so a stored value the contract does not allow fails here, before the job
  // changes state, not on the agent.
  const assignment = claimedJobSchema.parse({
    jobId: job.id,
    suite: job.suite,
    model: { id: job.model.id, digest: job.model.artifactDigest, sizeBytes: Number(job.model.artifact.size) },
    device: {
      slug: job.device.slug,
      backendKind: job.device.backendKind,
      executionProvider: job.device.executionProvider,
      backendOptions: job.device.backendOptions,
      powerMeter: job.device.powerMeter,
    },
  });
  const claimedAt = new Date();
  // RUNNING is claimable again: a retry after the previous agent process died mid-run.
  const res = await db.job.updateMany({
    where: { id: jobId, status: { in: ['QUEUED', 'RUNNING'] } },
    data: { status: 'RUNNING', agentId, startedAt: claimedAt, attempts: { increment: 1 }, progress: 0, phase: 'claimed', errorCode: null, errorMessage: null },
  });
  if (res.count === 0) throw new JobNotClaimableError(job.status);
  // A re-claim's time since submission includes earlier runs, so only the first claim is queue wait.
  const queueWaitSeconds = job.attempts === 0 ? (claimedAt.getTime() - job.createdAt.getTime()) / 1000 : null;
  if (queueWaitSeconds !== null) deps.metrics?.observeQueueWait(job.device.slug, queueWaitSeconds);
  await jobChanged(deps, jobId);
  return assignment;
}

/** Records progress; tells the agent whether to keep going (false once the job was canceled). */
export async function reportProgress(deps: JobChangeDeps, agentId: string, jobId: string, input: JobProgress): Promise<ProgressAccepted> {
  const res = await deps.db.job.updateMany({ where: { id: jobId, agentId, status: 'RUNNING' }, data: { progress: input.fraction, phase: input.phase } });
  if (res.count === 1) {
    await jobChanged(deps, jobId);
    return { continue: true, status: 'RUNNING' as const };
  }
  const job = await jobForAgent(deps.db, agentId, jobId);
  return { continue: false, status: job.status };
}

export async function failJob(deps: JobChangeDeps, agentId: string, jobId: string, input: JobFailure): Promise<FailureRecorded> {
  // Vendors read the stored code, so only declared ones are stored; an agent's other codes (another
  // version's, the HTTP client's `http.<status>`) become agent.failed.
  const { code, message } = declaredFailure(input.code, input.message, 'agent.failed');
  const res = await deps.db.job.updateMany({
    where: { id: jobId, agentId, status: 'RUNNING' },
    data: { status: 'FAILED', errorCode: code, errorMessage: message, finishedAt: new Date() },
  });
  if (res.count === 1) await jobFinished(deps, jobId);
  const job = await jobForAgent(deps.db, agentId, jobId);
  return { recorded: res.count === 1, status: job.status };
}

/** An agent that shuts down hands its running job back: QUEUED again, for the next claim. */
export async function releaseJob(deps: JobChangeDeps, agentId: string, jobId: string): Promise<JobReleased> {
  const res = await deps.db.job.updateMany({
    where: { id: jobId, agentId, status: 'RUNNING' },
    data: { status: 'QUEUED', agentId: null, progress: 0, phase: 'handed back' },
  });
  if (res.count === 1) await jobChanged(deps, jobId);
  const job = await jobForAgent(deps.db, agentId, jobId);
  return { released: res.count === 1, status: job.status };
}
