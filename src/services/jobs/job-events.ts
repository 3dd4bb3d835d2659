// Live job progress for the dashboard across API replicas. Whichever replica records a change (submit,
// claim, progress, result, failure, cancel, reconciler) publishes a snapshot of the job row on a Redis
// channel; every replica holds one subscriber connection and fans the messages out to its own SSE
// clients. A snapshot rather than a delta: a client that missed a message is right again at the next
// one, and Postgres stays the source of truth (docs/DECISIONS.md §15).
import type { z } from 'zod';
import type { Redis } from 'ioredis';
import type { Db } from '../../lib/database.js';
import type { Logger } from '../../lib/logger.js';
import { jobSchema } from '../../contracts/jobs.js';
import { rowId } from '../../contracts/common.js';
import { presentJob } from './job-view.js';

export interface JobEventDeps {
  db: Db;
  redis: Redis;
  log: Logger;
  config: { env: { NPUBENCH_QUEUE_PREFIX: string } };
}

/** What crosses the Redis channel: a job snapshot with its report id, parsed again on the way in. */
const jobEventSchema = jobSchema.extend({ reportId: rowId.nullable() });
export type JobEvent = z.infer<typeof jobEventSchema>;

export const jobEventsChannel = (queuePrefix: string) => `${queuePrefix}:job-events`;

/** Publishes the job's current state. Never throws: live progress is a convenience, the job is not. */
export async function publishJobChange(deps: JobEventDeps, jobId: string): Promise<void> {
  try {
    const job = await deps.db.job.findUnique({ where: { id: jobId }, include: { device: { select: { slug: true } }, report: { select: { id: true } } } });
    if (!job) return;
    const event: JobEvent = { ...presentJob(job), reportId: job.report?.id ?? null };
    await deps.redis.publish(jobEventsChannel(deps.config.env.NPUBENCH_QUEUE_PREFIX), JSON.stringify(event));
  } catch (err) {
    deps.log.warn({ err: (err as Error).message, jobId }, 'could not publish a job event');
  }
}

type Listener = (event: JobEvent) => void;

/** One Redis subscription per process, shared by every SSE client of that process. */
export class JobEventHub {
  private subscriber: Redis | undefined;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly deps: JobEventDeps) {}

  /** Resolves once the subscription is active, so nothing published after it is missed. */
  async subscribe(listener: Listener): Promise<() => void> {
    this.listeners.add(listener);
    if (!this.subscriber) {
      // Its own connection (a subscribed connection can do nothing else), retrying forever like a worker.
      const subscriber = this.deps.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      subscriber.on('error', (err: Error) => this.deps.log.warn({ err: err.message }, 'job event subscriber error'));
      subscriber.on('message', (_channel: string, message: string) => this.dispatch(message));
      this.subscriber = subscriber;
    }
    await this.subscriber.subscribe(jobEventsChannel(this.deps.config.env.NPUBENCH_QUEUE_PREFIX));
    return () => this.listeners.delete(listener);
  }

  private dispatch(message: string) {
    // Another replica (maybe another version) wrote it: a message off the contract is dropped, not fanned out.
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    const event = jobEventSchema.safeParse(parsed);
    if (!event.success) {
      this.deps.log.warn({ issues: event.error.issues.slice(0, 3) }, 'dropped a job event off the contract');
      return;
    }
    for (const listener of this.listeners) listener(event.data);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }
}

/** The jobs of a snapshot with their report ids, in the same shape as the events that follow. */
export async function withReportIds<T extends { id: string }>(db: Db, jobs: T[]): Promise<(T & { reportId: string | null })[]> {
  const reports = await db.report.findMany({ where: { jobId: { in: jobs.map((j) => j.id) } }, select: { id: true, jobId: true } });
  const byJob = new Map(reports.map((r) => [r.jobId, r.id]));
  return jobs.map((j) => ({ ...j, reportId: byJob.get(j.id) ?? null }));
}
