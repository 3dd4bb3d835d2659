// Postgres is the source of truth; Redis only holds the queue. The reconciler closes the gap when they
// disagree: a QUEUED job that Redis no longer holds (Redis lost its data, or crashed between the insert
// and the enqueue) is queued again under the same BullMQ job id, and a RUNNING job whose agent stopped
// sending heartbeats is failed with a reason instead of staying RUNNING forever, as is a RUNNING job
// the queue has given up on (stalled too often while its agent lived on). Every step is
// idempotent, so each API replica may run it on its own timer.
import type { ServiceDeps } from '../deps.js';
import { resolvedSuiteSpecSchema } from '../../harness/suite-spec.js';

/** Job ids checked against Redis per pipelined round trip. */
const RECONCILE_BATCH = 1_000;

export interface ReconcileResult {
  requeued: string[];
  failedAgentVanished: string[];
  failedQueueGaveUp: string[];
}

export async function reconcileJobs(deps: Pick<ServiceDeps, 'db' | 'queues' | 'log'>, opts: { agentDeadlineMs: number; now?: Date }): Promise<ReconcileResult> {
  const now = opts.now ?? new Date();
  const requeued: string[] = [];
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
  const missing = lost.length === 0 ? [] : await deps.db.job.findMany({ where: { id: { in: lost }, status: 'QUEUED' }, include: { device: { select: { slug: true } }, model: { select: { artifactDigest: true } } } });
  for (const job of missing) {
    const suite = resolvedSuiteSpecSchema.safeParse(job.suite);
    if (!suite.success) {
      await deps.db.job.updateMany({
        where: { id: job.id, status: 'QUEUED' },
        data: { status: 'FAILED', errorCode: 'job.invalid_suite', errorMessage: 'The stored suite no longer validates; the job cannot be queued again.', finishedAt: now },
      });
      continue;
    }
    await deps.queues.enqueue({ jobId: job.id, deviceSlug: job.device.slug, modelDigest: job.model.artifactDigest, suite: suite.data });
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
      data: { status: 'FAILED', errorCode: 'agent.vanished', errorMessage: `The agent stopped sending heartbeats for more than ${Math.round(opts.agentDeadlineMs / 1000)} s during the run.`, finishedAt: now },
    });
    if (res.count === 1) failedAgentVanished.push(id);
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
      data: { status: 'FAILED', errorCode: 'agent.retries_exhausted', errorMessage: `The queue gave up after ${queued.attemptsMade} attempts: ${queued.reason}`.slice(0, 4000), finishedAt: now },
    });
    if (res.count === 1) failedQueueGaveUp.push(job.id);
  }
  if (requeued.length + failedAgentVanished.length + failedQueueGaveUp.length > 0) deps.log.warn({ requeued, failedAgentVanished, failedQueueGaveUp }, 'reconciler repaired jobs');
  return { requeued, failedAgentVanished, failedQueueGaveUp };
}
