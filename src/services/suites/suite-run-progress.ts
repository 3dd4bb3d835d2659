// What happens to a suite run when one of its jobs finishes: an entry whose job was lost with its agent
// (the reconciler failed it, or the queue gave up) gets a fresh job, up to MAX_ENTRY_ATTEMPTS jobs, so a
// run resumes after an agent dies and a finished entry is never rerun; once every entry's latest job has
// finished, the service signs ONE suite report over the workload reports and the run is FINISHED.
// Called from jobFinished (job-changes.ts) whoever finished the job, and again when a run is read, so a
// process that died between a job's end and the signature leaves nothing stuck.
import { createHash } from 'node:crypto';
import type { Job, Prisma } from '@prisma/client';
import { z } from 'zod';
import type { ServiceDeps } from '../deps.js';
import { errorMessage, type ErrorCode } from '../../lib/errors.js';
import { buildStatement, signStatement, type InTotoSubject } from '../../lib/crypto/dsse.js';
import { extractRuleFacts, type RuleFacts } from '../../lib/certificates/rule-facts.js';
import { isTerminalJobStatus } from '../../contracts/job-vocabulary.js';
import { MAX_ENTRY_ATTEMPTS, SUITE_REPORT_PREDICATE_TYPE, suiteReportPredicateSchema, suiteRunPlanSchema, type ServerSearchOutcome, type SuiteReportPredicate, type SuiteRunPlan } from '../../contracts/suite-runs.js';
import { latencySummaryReportSchema } from '../../harness/schemas.js';
import { publishJobChange, type JobEventDeps } from '../jobs/job-events.js';
import { activeSigner, signingTimeFor } from '../signing/service-key.js';
import { getSuite } from './suite-catalog.js';
import { isUniqueViolation } from '../prisma-errors.js';
import type { SuiteWorkload } from '../../contracts/suites.js';
import { drawServiceSampleSeeds } from '../jobs/jobs.js';

export type SuiteRunDeps = JobEventDeps & Pick<ServiceDeps, 'queues' | 'signer'> & { config: ServiceDeps['config'] };

export function isSuiteRunDeps(deps: JobEventDeps): deps is SuiteRunDeps {
  return 'signer' in deps && 'queues' in deps && 'signingKeyDir' in deps.config;
}

/** Failures that say nothing about the model or device: the agent went away. Its entry gets a new job. */
const LOST_WITH_AGENT: readonly string[] = ['agent.vanished', 'agent.retries_exhausted'] satisfies ErrorCode[];

/** The entries of a run, each with its jobs oldest first. */
export function entriesOf<J extends Job>(plan: SuiteRunPlan, jobs: readonly J[]) {
  return plan.workloads.flatMap((w) =>
    w.scenarios.map((s) => {
      const entry = `${w.id}/${s.scenario}`;
      const own = jobs.filter((j) => j.suiteEntry === entry).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      return { workload: w.id, scenario: s.scenario, entry, jobs: own, latest: own[own.length - 1] };
    }),
  );
}

/** jobFinished's hook: advances the job's suite run, if it has one. Never throws. */
export async function advanceSuiteRunOf(deps: SuiteRunDeps, jobId: string): Promise<void> {
  try {
    const job = await deps.db.job.findUnique({ where: { id: jobId }, select: { suiteRunId: true } });
    if (job?.suiteRunId) await advanceSuiteRun(deps, job.suiteRunId);
  } catch (err) {
    deps.log.error({ jobId, err: errorMessage(err) }, 'could not advance the suite run');
  }
}

export async function advanceSuiteRun(deps: SuiteRunDeps, runId: string): Promise<void> {
  const run = await deps.db.suiteRun.findUnique({ where: { id: runId }, include: { jobs: true, device: { select: { slug: true } } } });
  if (!run || run.status !== 'RUNNING') return;
  const plan = suiteRunPlanSchema.parse(run.plan);
  const entries = entriesOf(plan, run.jobs);
  let waiting = false;
  for (const e of entries) {
    const latest = e.latest;
    if (!latest || !isTerminalJobStatus(latest.status)) {
      waiting = true;
      continue;
    }
    if (latest.status === 'FAILED' && LOST_WITH_AGENT.includes(latest.errorCode ?? '') && e.jobs.length < MAX_ENTRY_ATTEMPTS) {
      await resubmitEntry(deps, run.device.slug, latest, run.id, e.entry);
      waiting = true;
    }
  }
  if (!waiting) await signSuiteReport(deps, runId);
}

/** A new job for an entry whose job was lost with its agent: the same stored (already resolved) spec with
 *  fresh service seeds, as any job gets (the lost job's were visible to the vendor in its job view). */
async function resubmitEntry(deps: SuiteRunDeps, deviceSlug: string, lost: Job, runId: string, entry: string): Promise<void> {
  // One new job per lost one, even when two finishers race here: the lost job's id keys it.
  const idempotencyKey = `suite-run:${runId}:resubmit:${lost.id}`;
  let job: Job;
  try {
    job = await deps.db.job.create({
      data: { orgId: lost.orgId, modelId: lost.modelId, deviceId: lost.deviceId, suite: { ...(lost.suite as Prisma.JsonObject), sampleSeeds: drawServiceSampleSeeds() }, suiteRunId: runId, suiteEntry: entry, idempotencyKey },
    });
  } catch (err) {
    if (isUniqueViolation(err)) return;
    throw err;
  }
  await deps.queues.enqueue({ jobId: job.id, deviceSlug });
  deps.log.warn({ runId, entry, lostJobId: lost.id, jobId: job.id, lostCode: lost.errorCode }, 'suite run resubmitted an entry lost with its agent');
  await publishJobChange(deps, job.id);
}

/** The stored summary's search and bound (the full summary was parsed with the report format on upload). */
const storedSearchReader = z.object({ targetPercentile: z.number(), server: z.object({ targetLatencyNs: z.number() }).nullable(), serverSearch: latencySummaryReportSchema.shape.serverSearch });

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);

/** Quality of a workload against the catalog's target, from the accuracy pass's report (the first scenario's). */
export function qualityOf(workload: SuiteWorkload, facts: RuleFacts | null, notMeasured: string | null): SuiteReportPredicate['workloads'][number]['quality'] {
  const target = { minRelativeToReference: workload.quality.minRelativeToReference, minSamples: workload.quality.minSamples };
  const outputs = facts?.fidelity?.outputs ?? [];
  const minCosine = outputs.length ? Math.min(...outputs.map((o) => o.minCosine)) : null;
  const top1 = outputs.find((o) => o.top1Agreement !== null)?.top1Agreement ?? null;
  const answerAgreement = facts?.fidelity?.answerAgreement?.share ?? null;
  const tokenAgreement = facts?.fidelity?.tokenAgreement?.share ?? null;
  const floor = workload.quality.fidelityFloor;
  const bounds: [number | undefined, number | null][] = [
    [floor.minCosine, minCosine],
    [floor.minTop1Agreement, top1],
    [floor.minTokenAgreement, tokenAgreement],
  ];
  const applicable = bounds.filter(([bound]) => bound !== undefined);
  const meetsFidelityFloor = applicable.some(([, v]) => v === null) || applicable.length === 0 ? null : applicable.every(([bound, v]) => v! >= bound!);
  const fidelity = { minCosine, top1Agreement: top1, answerAgreement, tokenAgreement };
  const accuracy = facts?.accuracy ?? null;
  if (notMeasured !== null || !accuracy) {
    return { metric: workload.quality.metric, measured: false, note: notMeasured ?? 'the accuracy pass reported no score against the reference', candidate: null, reference: null, relative: null, samples: null, target, meetsTarget: null, fidelity, meetsFidelityFloor };
  }
  const relative = ratio(accuracy.candidate, accuracy.reference);
  const meetsTarget = relative !== null && relative >= target.minRelativeToReference && accuracy.samples >= target.minSamples;
  return { metric: workload.quality.metric, measured: true, note: null, candidate: accuracy.candidate, reference: accuracy.reference, relative, samples: accuracy.samples, target, meetsTarget, fidelity, meetsFidelityFloor };
}

/** The search of a searched Server report, in the suite report's terms; undefined for any other report.
 *  The stored summary was recomputed from the raw samples on upload (the search replayed with it). */
function serverSearchOutcomeOf(summary: unknown): ServerSearchOutcome | undefined {
  const parsed = storedSearchReader.safeParse(summary);
  if (!parsed.success || !parsed.data.serverSearch || !parsed.data.server) return undefined;
  const { serverSearch: search, server, targetPercentile } = parsed.data;
  return {
    // The bound (the summary's own targetLatencyNs is the latency measured at the target percentile).
    targetLatencyNs: server.targetLatencyNs,
    targetPercentile,
    steps: search.steps.map((s) => ({ targetQps: s.targetQps, achievedQps: s.achievedQps, percentileLatencyNs: s.percentileLatencyNs, result: s.result })),
    foundQps: search.foundQps,
    finalQps: search.finalQps,
    stopReason: search.stopReason,
  };
}

function factsOf(report: { summary: unknown; resourceUsage: unknown; profile: unknown } | null) {
  if (!report) return null;
  const extracted = extractRuleFacts({ summary: report.summary, resourceUsage: report.resourceUsage ?? null, operatorProfile: report.profile ?? null });
  return 'facts' in extracted ? extracted.facts : null;
}

async function signSuiteReport(deps: SuiteRunDeps, runId: string): Promise<void> {
  const run = await deps.db.suiteRun.findUniqueOrThrow({
    where: { id: runId },
    include: { org: { select: { name: true } }, device: true, jobs: { include: { report: true, model: true } } },
  });
  if (run.status !== 'RUNNING') return;
  const plan = suiteRunPlanSchema.parse(run.plan);
  const suite = getSuite(run.suiteId);
  const entries = entriesOf(plan, run.jobs);
  const references = await deps.db.model.findMany({ where: { id: { in: plan.workloads.map((w) => w.referenceModelId) } }, select: { id: true, artifactDigest: true } });
  const workloads = suite.workloads.map((w): SuiteReportPredicate['workloads'][number] => {
    const planned = plan.workloads.find((p) => p.id === w.id);
    if (!planned) return { id: w.id, status: 'not-run', model: null, referenceModelDigest: null, scenarios: [], quality: null };
    const own = entries.filter((e) => e.workload === w.id);
    const scenarios = own.map((e) => {
      const job = e.latest!;
      const facts = factsOf(job.report);
      const compliance = (job.report?.summary as { compliance?: { invalidReasons?: string[] } } | null)?.compliance;
      const serverSearch = serverSearchOutcomeOf(job.report?.summary);
      return {
        scenario: e.scenario,
        jobId: job.id,
        status: job.status,
        error: job.errorCode ? { code: job.errorCode, message: job.errorMessage } : null,
        reportId: job.report?.id ?? null,
        reportStatementDigest: job.report?.statementDigest ?? null,
        facts,
        complianceInvalidReasons: compliance?.invalidReasons ?? null,
        ...(serverSearch && { serverSearch }),
      };
    });
    const model = own[0]!.latest!.model;
    // The first scenario carries the accuracy pass.
    const first = own[0]!.latest!;
    return {
      id: w.id,
      status: scenarios.every((s) => s.status === 'SUCCEEDED') ? 'succeeded' : 'failed',
      model: { id: model.id, name: model.name, version: model.version, digest: model.artifactDigest, division: model.suiteWorkload === `${suite.id}/${w.id}` ? model.division : 'open', variantOf: model.variantOf },
      referenceModelDigest: references.find((r) => r.id === planned.referenceModelId)?.artifactDigest ?? null,
      scenarios,
      quality: first.status === 'SUCCEEDED' ? qualityOf(w, factsOf(first.report), planned.qualityNotMeasured) : null,
    };
  });
  const signer = await activeSigner(deps);
  const now = signingTimeFor(signer);
  const predicate = suiteReportPredicateSchema.parse({
    suiteRunId: run.id,
    suite: { id: run.suiteId, digest: run.suiteDigest },
    recordedAt: now.toISOString(),
    vendor: { orgId: run.orgId, name: run.org.name },
    device: { slug: run.device.slug, name: run.device.name, backendKind: run.device.backendKind, executionProvider: run.device.executionProvider },
    conformance: plan.conformance,
    workloads,
  } satisfies SuiteReportPredicate);
  const envelope = signStatement(buildStatement(suiteReportSubjects(predicate), SUITE_REPORT_PREDICATE_TYPE, predicate), signer.key);
  const statementDigest = createHash('sha256').update(Buffer.from(envelope.payload, 'base64')).digest('hex');
  const res = await deps.db.suiteRun.updateMany({
    where: { id: runId, status: 'RUNNING' },
    data: { status: 'FINISHED', envelope: envelope as unknown as Prisma.InputJsonObject, statementDigest, finishedAt: now },
  });
  if (res.count === 1) deps.log.info({ runId, statementDigest }, 'suite report signed');
}

/** Subjects: the suite catalog's digest, then every workload report's signed statement. */
export function suiteReportSubjects(p: SuiteReportPredicate): InTotoSubject[] {
  const subjects: InTotoSubject[] = [{ name: `npubench-suite:${p.suite.id}`, digest: { sha256: p.suite.digest.replace(/^sha256:/, '') } }];
  for (const w of p.workloads) {
    for (const s of w.scenarios) {
      if (s.reportStatementDigest) subjects.push({ name: `npubench-report:${w.id}/${s.scenario}`, digest: { sha256: s.reportStatementDigest } });
    }
  }
  return subjects;
}

/** What a certified result measured, for its certificate and its leaderboard row. */
export interface ResultWorkloadAttribution {
  /** `<suite>/<workload>` for a closed result, `<suite>/<workload>:open` for an open one, else null (not a suite run). */
  suite: { id: string; digest: string; workloadId: string; title: string } | null;
  division: 'closed' | 'open';
  /** Why the division is what it is, in words. */
  note: string;
}

/** Whether `model` is the workload's reference or a declared variant of it (the lineage may name another
 *  suite version whose workload is the same object, e.g. npubench-edge@2 reusing @1's). */
function closedModelFor(model: { division: string; suiteWorkload: string | null }, workload: SuiteWorkload): boolean {
  if (model.division !== 'closed' || model.suiteWorkload === null) return false;
  const [suiteId, workloadId] = [model.suiteWorkload.slice(0, model.suiteWorkload.lastIndexOf('/')), model.suiteWorkload.slice(model.suiteWorkload.lastIndexOf('/') + 1)];
  const declared = getSuite(suiteId).workloads.find((w) => w.id === workloadId);
  return declared !== undefined && declared.referenceModel.files.map((f) => f.sha256).join() === workload.referenceModel.files.map((f) => f.sha256).join();
}

/**
 * The workload and division of a job's result. Closed needs all of: the job ran as a suite workload, the
 * model is that workload's reference or a declared variant of it, and the service measured the workload's
 * quality target as met (with its fidelity floor) on the suite run's accuracy pass. Anything else is open.
 */
export async function resultWorkloadOf(db: SuiteRunDeps['db'], job: { suiteRunId: string | null; suiteEntry: string | null; model: { division: string; suiteWorkload: string | null } }): Promise<ResultWorkloadAttribution> {
  if (!job.suiteRunId || !job.suiteEntry) return { suite: null, division: 'open', note: 'not run as a suite workload' };
  const run = await db.suiteRun.findUniqueOrThrow({ where: { id: job.suiteRunId }, include: { jobs: { include: { report: true } } } });
  const suite = getSuite(run.suiteId);
  const workloadId = job.suiteEntry.slice(0, job.suiteEntry.lastIndexOf('/'));
  const workload = suite.workloads.find((w) => w.id === workloadId);
  if (!workload) return { suite: null, division: 'open', note: `the suite run's entry ${job.suiteEntry} is not a workload of ${suite.id}` };
  const attributed = { id: suite.id, digest: run.suiteDigest, workloadId, title: workload.title };
  if (!closedModelFor(job.model, workload)) return { suite: attributed, division: 'open', note: 'the model is not the workload\'s reference or a declared variant of it' };
  const plan = suiteRunPlanSchema.parse(run.plan);
  const planned = plan.workloads.find((p) => p.id === workloadId);
  // The accuracy pass is the workload's first scenario; its latest successful job is the one that counts.
  const firstEntry = `${workloadId}/${workload.scenarios[0]!.scenario}`;
  const accuracyJob = run.jobs.filter((j) => j.suiteEntry === firstEntry && j.status === 'SUCCEEDED' && j.report).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  const quality = accuracyJob ? qualityOf(workload, factsOf(accuracyJob.report), planned?.qualityNotMeasured ?? null) : null;
  if (!quality?.measured) return { suite: attributed, division: 'open', note: `quality not measured by the service${quality?.note ? ` (${quality.note})` : ''}` };
  if (!quality.meetsTarget) return { suite: attributed, division: 'open', note: `quality ${quality.relative?.toFixed(4) ?? '?'} of the reference misses the target ${quality.target.minRelativeToReference}` };
  if (quality.meetsFidelityFloor === false) return { suite: attributed, division: 'open', note: 'the fidelity floor is not met' };
  return { suite: attributed, division: 'closed', note: `quality ${quality.relative!.toFixed(4)} of the reference meets the target ${quality.target.minRelativeToReference}, measured by the service` };
}
