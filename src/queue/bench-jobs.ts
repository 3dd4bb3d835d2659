// The job catalog for benchmark runs: queue naming, payload schema and retry policy live here and
// nowhere else. A job carries ids and the validated suite spec, never credentials; the BullMQ job id is
// our Job.id, so enqueueing the same job twice is a no-op.
import { z } from 'zod';
import { resolvedSuiteSpecSchema } from '../harness/suite-spec.js';

export const benchQueueName = (deviceSlug: string) => `bench.${deviceSlug}`;

export const benchJobPayload = z.object({
  jobId: z.uuid(),
  deviceSlug: z.string().min(1),
  modelDigest: z.string().regex(/^[0-9a-f]{64}$/),
  suite: resolvedSuiteSpecSchema,
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
