// The one place a job's change of status has its consequences. Whoever makes the change (a user's
// request, an agent's, the reconciler) calls one of these right after the update that made it, so the
// live event stream, npubench_jobs_finished_total and automatic certification never depend on which
// route or timer caused it (DESIGN.md §4). They run after the change is committed: a process that dies
// in between loses the event and the count, never the job's state, which Postgres holds.
import type { Redis } from 'ioredis';
import type { ServiceDeps } from '../deps.js';
import type { Db } from '../../lib/database.js';
import { errorMessage } from '../../lib/errors.js';
import { runInBackground } from '../../lib/background-tasks.js';
import { suiteSpecSchema } from '../../contracts/jobs.js';
import { isTerminalJobStatus } from '../../contracts/job-vocabulary.js';
import { publishJobChange, type JobEventDeps } from './job-events.js';
import { autoIssueCertificates } from '../certificates/certificates.js';
import { advanceSuiteRunOf, isSuiteRunDeps } from '../suites/suite-run-progress.js';

/** What the job services need: the services' dependencies and the Redis connection events go out on. */
export type JobServiceDeps = ServiceDeps & { redis: Redis };
export type JobChangeDeps = JobEventDeps & Pick<ServiceDeps, 'metrics' | 'background'>;

/** A job changed without finishing (queued, claimed, progressed, handed back): publish its state. */
export async function jobChanged(deps: JobChangeDeps, jobId: string): Promise<void> {
  await publishJobChange(deps, jobId);
}

/** A job reached SUCCEEDED, FAILED or CANCELED: count it and publish it. Never throws. */
export async function jobFinished(deps: JobChangeDeps, jobId: string): Promise<void> {
  if (deps.metrics) {
    try {
      deps.metrics.observeJobFinished(await finishedJobFacts(deps.db, jobId));
    } catch (err) {
      deps.log.warn({ jobId, err: errorMessage(err) }, 'could not record job outcome metrics');
    }
  }
  await publishJobChange(deps, jobId);
  // A suite run's job may complete the run (the suite report is signed) or need a resubmit. Deps without a
  // signer (a bench's) leave that to the next read of the run.
  if (isSuiteRunDeps(deps)) await advanceSuiteRunOf(deps, jobId);
}

/** A job's result was stored as a report: it finished, and auto-issue profiles certify the report in
 *  the background (an upload never waits for, nor fails with, certification). */
export async function jobSucceeded(deps: JobServiceDeps, jobId: string, reportId: string): Promise<void> {
  await jobFinished(deps, jobId);
  runInBackground(deps, 'certificate.auto_issue', () => autoIssueCertificates(deps, reportId));
}

/** The facts metrics record about a job that has just reached a final status. */
export async function finishedJobFacts(db: Db, id: string) {
  const job = await db.job.findUniqueOrThrow({
    where: { id },
    select: { status: true, errorCode: true, suite: true, startedAt: true, finishedAt: true, device: { select: { slug: true } } },
  });
  const { status } = job;
  if (!isTerminalJobStatus(status)) throw new Error(`job ${id} is ${status}, not finished`);
  return {
    device: job.device.slug,
    status,
    errorCode: job.errorCode,
    // A job failed for a suite that does not validate (job.invalid_suite) is still counted; only succeeded jobs use the label.
    scenario: suiteSpecSchema.safeParse(job.suite).data?.scenario ?? 'unknown',
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}
