// Postgres is the source of truth; Redis only holds the queue. The reconciler closes the gap when they
// disagree: a QUEUED job that Redis no longer holds (Redis lost its data, or crashed between the insert
// and the enqueue) is queued again under the same BullMQ job id, and a RUNNING job whose agent stopped
// sending heartbeats is failed with a reason instead of staying RUNNING forever, as is a RUNNING job
// the queue has given up on (stalled too often while its agent lived on). Every step is
// idempotent, so each API replica may run it on its own timer. A job it fails is counted and
// published like any other finished job (job-changes.ts).
import type { ServiceDeps } from '../deps.js';
import { resolvedSuiteSpecSchema } from '../../harness/schemas.js';
import { jobFinished, type JobChangeDeps } from './job-changes.js';
import type { ErrorCode } from '../../lib/errors.js';

/** Job ids checked against Redis per pipelined round trip. */
const RECONCILE_BATCH = 1_000;

export interface ReconcileResult {
  requeued: string[];
  failedAgentVanished: string[];
  failedQueueGaveUp: string[];
  /** QUEUED jobs whose stored suite no longer validates, so they cannot be queued again. */
  failedInvalidSuite: string[];
}

export async function reconcileJobs(deps: JobChangeDeps & Pick<ServiceDeps, 'queues'>, opts: { agentDeadlineMs: number; now?: Date }): Promise<ReconcileResult> {
  const now = opts.now ?? new Date();
  const requeued: string[] = [];
  const failedInvalidSuite: string[] = [];
  // A backlog can be thousands of jobs: read only ids per device, ask Redis about them in batches, and
  // load the full row only for the (rare) jobs Redis lost.
  const queuedIds = await deps.db.job.findMany({ where: { status: 'QUEUED' }, select: { id: true, device: { select: { slug: true } } } });
  const byDevice = new Map<string, string[]>();
  for (const job of queuedIds) {
    const ids = byDevice.get(job.device.slug);
    if (ids) ids.push(job.id);
    else byDevice.set(job.device.slug, [job.id]);
  }
  const lost: string[] = [];
  for (const [slug, jobIds] of byDevice) {
    for (let i = 0; i < jobIds.length; i += RECONCILE_BATCH) {
      const ids = jobIds.slice(i, i + RECONCILE_BATCH);
      const held = await deps.queues.held(slug, ids);
      lost.push(...ids.filter((id) => !held.has(id)));
    }
  }
  const missing = lost.length === 0 ? [] : await deps.db.job.findMany({ where: { id: { in: lost }, status: 'QUEUED' }, include: { device: { select: { slug: true } } } });
  for (const job of missing) {
    const suite = resolvedSuiteSpecSchema.safeParse(job.suite);
    if (!suite.success) {
      const res = await deps.db.job.updateMany({
        where: { id: job.id, status: 'QUEUED' },
        data: { status: 'FAILED', errorCode: 'job.invalid_suite' satisfies ErrorCode, errorMessage: 'The stored suite no longer validates; the job cannot be queued again.', finishedAt: now },
      });
      if (res.count === 1) {
        failedInvalidSuite.push(job.id);
        await jobFinished(deps, job.id);
      }
      continue;
    }
    await deps.queues.enqueue({ jobId: job.id, deviceSlug: job.device.slug });
    requeued.push(job.id);
  }

  // An agent that has been silent past the deadline is gone: its running jobs will not finish.
  const deadline = new Date(now.getTime() - opts.agentDeadlineMs);
  const stranded = await deps.db.job.findMany({
    where: { status: 'RUNNING', OR: [{ agent: null }, { agent: { OR: [{ lastHeartbeatAt: null }, { lastHeartbeatAt: { lt: deadline } }] } }] },
    select: { id: true },
  });
  const failedAgentVanished: string[] = [];
  for (const { id } of stranded) {
    const res = await deps.db.job.updateMany({
      where: { id, status: 'RUNNING' },
      data: { status: 'FAILED', errorCode: 'agent.vanished' satisfies ErrorCode, errorMessage: `The agent stopped sending heartbeats for more than ${Math.round(opts.agentDeadlineMs / 1000)} s during the run.`, finishedAt: now },
    });
    if (res.count === 1) {
      failedAgentVanished.push(id);
      await jobFinished(deps, id);
    }
  }
  // BullMQ failed the job itself (it stalled more than maxStalledCount times, or the agent could not
  // record the failure): nobody runs it any more, whatever the agent's heartbeats say.
  const running = await deps.db.job.findMany({ where: { status: 'RUNNING' }, select: { id: true, device: { select: { slug: true } } } });
  const failedQueueGaveUp: string[] = [];
  for (const job of running) {
    const queued = await deps.queues.failureOf(job.device.slug, job.id);
    if (queued?.state !== 'failed') continue;
    const res = await deps.db.job.updateMany({
      where: { id: job.id, status: 'RUNNING' },
      data: { status: 'FAILED', errorCode: 'agent.retries_exhausted' satisfies ErrorCode, errorMessage: `The queue gave up after ${queued.attemptsMade} attempts: ${queued.reason}`.slice(0, 4000), finishedAt: now },
    });
    if (res.count === 1) {
      failedQueueGaveUp.push(job.id);
      await jobFinished(deps, job.id);
    }
  }
  if (requeued.length + failedAgentVanished.length + failedQueueGaveUp.length + failedInvalidSuite.length > 0) {
    deps.log.warn({ requeued, failedAgentVanished, failedQueueGaveUp, failedInvalidSuite }, 'reconciler repaired jobs');
  }
  return { requeued, failedAgentVanished, failedQueueGaveUp, failedInvalidSuite };
}
