// The job catalog for benchmark runs: queue naming, payload schema and retry policy live here and
// nowhere else. A job carries only what its consumer (the agent) reads: ids, never credentials, never
// the suite or the model (the claim answer hands over those, as the API holds them at that moment).
// The payload is parsed on enqueue and on consume. The BullMQ job id is our Job.id, so enqueueing the
// same job twice is a no-op.
import { z } from 'zod';

export const benchQueueName = (deviceSlug: string) => `bench.${deviceSlug}`;

// Not strict: jobs enqueued by an older API (which also carried modelDigest and suite) still parse.
export const benchJobPayload = z.object({
  jobId: z.uuid(),
  deviceSlug: z.string().min(1),
  /** The submit request's id, so the agent's log lines for this job can be matched to the API's. */
  requestId: z.string().max(128).optional(),
});
export type BenchJobPayload = z.infer<typeof benchJobPayload>;

export const BENCH_JOB_NAME = 'bench';

export const benchJobOptions = (jobId: string) => ({
  jobId,
  // Transient failures (agent died, API unreachable) are retried; bad input throws UnrecoverableError.
  attempts: 3,
  backoff: { type: 'exponential' as const, delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
});
