// Producer side of the per-device benchmark queues: one BullMQ Queue per device, created on first use.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BENCH_JOB_NAME, benchJobOptions, benchJobPayload, benchQueueName, type BenchJobPayload } from './bench-jobs.js';

export class BenchQueues {
  private readonly queues = new Map<string, Queue<BenchJobPayload>>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  private queue(deviceSlug: string): Queue<BenchJobPayload> {
    let q = this.queues.get(deviceSlug);
    if (!q) {
      q = new Queue<BenchJobPayload>(benchQueueName(deviceSlug), { connection: this.connection, prefix: this.prefix });
      this.queues.set(deviceSlug, q);
    }
    return q;
  }

  /** Parsed here as the agent parses it, so a payload the consumer would refuse never enters Redis. */
  async enqueue(input: BenchJobPayload): Promise<void> {
    const payload = benchJobPayload.parse(input);
    await this.queue(payload.deviceSlug).add(BENCH_JOB_NAME, payload, benchJobOptions(payload.jobId));
  }

  /** State and, for a failed job, BullMQ's reason (e.g. stalled too often); null when Redis does not hold it. */
  async failureOf(deviceSlug: string, jobId: string): Promise<{ state: string; reason: string; attemptsMade: number } | null> {
    const job = await this.queue(deviceSlug).getJob(jobId);
    return job ? { state: await job.getState(), reason: job.failedReason, attemptsMade: job.attemptsMade } : null;
  }

  /**
   * Which of `jobIds` Redis holds (in any state): one pipelined EXISTS per job hash, so the reconciler
   * can check a backlog of thousands of jobs in a few round trips instead of one getJob each.
   */
  async held(deviceSlug: string, jobIds: string[]): Promise<Set<string>> {
    const queue = this.queue(deviceSlug);
    const pipeline = this.connection.pipeline();
    for (const id of jobIds) pipeline.exists(queue.toKey(id));
    const answers = (await pipeline.exec()) ?? [];
    const held = new Set<string>();
    answers.forEach(([err, exists], i) => {
      if (err) throw err;
      if (exists === 1) held.add(jobIds[i]!);
    });
    return held;
  }

  /** Removes a job that no agent has taken yet; returns false when it is already active or gone. */
  async removeWaiting(deviceSlug: string, jobId: string): Promise<boolean> {
    const job = await this.queue(deviceSlug).getJob(jobId);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    return (await this.queue(deviceSlug).remove(jobId)) === 1;
  }

  /** How many of a device's jobs wait, run or sit in backoff right now (read at metrics scrape time). */
  async jobCounts(deviceSlug: string): Promise<{ waiting: number; active: number; delayed: number }> {
    const counts = await this.queue(deviceSlug).getJobCounts('waiting', 'active', 'delayed');
    return { waiting: counts.waiting ?? 0, active: counts.active ?? 0, delayed: counts.delayed ?? 0 };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
