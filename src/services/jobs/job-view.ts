// How a job row is shown (API answers and live events alike), in a module of its own so the service
// that changes jobs and the one that publishes the changes can both use it without importing each other.
import type { Job, JobStatus } from '@prisma/client';

export const TERMINAL_STATUSES: JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELED'];

export function presentJob(job: Job & { device?: { slug: string } }) {
  return {
    id: job.id,
    orgId: job.orgId,
    modelId: job.modelId,
    device: job.device?.slug,
    suite: job.suite,
    status: job.status,
    progress: job.progress,
    phase: job.phase,
    attempts: job.attempts,
    agentId: job.agentId,
    error: job.errorCode ? { code: job.errorCode, message: job.errorMessage } : null,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}
