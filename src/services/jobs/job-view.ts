// How a job row is shown (API answers and live events alike), in a module of its own so the service
// that changes jobs and the one that publishes the changes can both use it without importing each other.
import type { Job as JobRow, JobStatus } from '@prisma/client';
import { suiteSpecSchema, TERMINAL_JOB_STATUSES, type Job } from '../../contracts/jobs.js';

export const TERMINAL_STATUSES: readonly JobStatus[] = TERMINAL_JOB_STATUSES;

/**
 * The row as the Job contract says, dates as ISO strings and the suite column parsed at read. A stored
 * suite that no longer parses (written by an older version, or by hand) is shown empty rather than
 * breaking every list and event that contains the job; the reconciler fails such a job with
 * job.invalid_suite.
 */
export function presentJob(job: JobRow & { device: { slug: string } }): Job {
  const suite = suiteSpecSchema.safeParse(job.suite);
  return {
    id: job.id,
    orgId: job.orgId,
    modelId: job.modelId,
    device: job.device.slug,
    suite: suite.success ? suite.data : {},
    status: job.status,
    progress: job.progress,
    phase: job.phase,
    attempts: job.attempts,
    agentId: job.agentId,
    error: job.errorCode ? { code: job.errorCode, message: job.errorMessage } : null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}
