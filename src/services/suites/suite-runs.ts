// Suite runs (#17 item 3): `POST /v1/suite-runs {suite, device}` runs every workload × required scenario
// of a published suite on one device as ordinary jobs (so retries, leases, progress, cancellation and the
// reconciler are the job machinery's), each workload's first scenario with its accuracy pass on the
// suite's dataset and its fidelity pass against the FP32 reference. suite-run-progress.ts resubmits
// entries lost with their agent and signs the one suite report when all have finished.
import type { Job, Prisma } from '@prisma/client';
import { z } from 'zod';
import { badRequest, notFound, unprocessable, conflict } from '../../lib/errors.js';
import { resolveSuiteSpec } from '../../harness/schemas.js';
import { parseCanonicalJson } from '../../lib/crypto/canonical-json.js';
import { seesAllOrgs, visibleWhere, type UserPrincipal } from '../auth/principal.js';
import { submitJob } from '../jobs/jobs.js';
import type { JobServiceDeps } from '../jobs/job-changes.js';
import { getSuite } from './suite-catalog.js';
import { ensureReferenceModel, ensureSuiteDataset, type SuiteDatasetRef } from './suite-references.js';
import { advanceSuiteRun, entriesOf } from './suite-run-progress.js';
import { MODEL_BUNDLE_FORMAT } from '../../lib/bundles/model-bundle.js';
import { conditionGridCsv, type ConditionGridEntry } from '../../lib/reports/condition-grid.js';
import { modelPrecision } from '../../contracts/models.js';
import type { SuiteDocument, SuiteWorkload } from '../../contracts/suites.js';
import {
  suiteReportPredicateSchema,
  suiteRunPlanSchema,
  type SuiteReport,
  type SuiteRun,
  type SuiteRunPlan,
  type SuiteRunRequest,
} from '../../contracts/suite-runs.js';

/** Why a workload's catalog metric cannot be scored by this version, when it cannot: its dataset has a
 *  format no evaluator reads. */
function qualityNotMeasured(dataset: SuiteDatasetRef | null): string | null {
  return dataset === null ? 'not measured: no evaluator reads this dataset format; the fidelity pass against the reference is reported' : null;
}

/** The reported run goes 10 % below the found rate: the found rate is within the search's 5 % tolerance of a
 *  failing one, so a rerun right at it misses the bound about as often as it meets it. */
const SUITE_REPORT_MARGIN_PCT = 10;

/** How a Server entry finds its rate (#17 item 3): the highest Poisson rate whose run meets the workload's
 *  latency bound, searched from the serial probe's throughput. Steps keep the early-stopping minimum of
 *  queries (fewer could never pass at the workload's percentile); what the reduced presets shorten is the
 *  time: fewer steps, each capped, and a capped reported run, so a loaded machine where every step fails
 *  (each halving doubles a step's length) still finishes well inside the agent's harness timeout, with an
 *  INVALID entry the suite report shows instead of a timed-out job. */
export const SUITE_SERVER_SEARCH = {
  catalog: { search: { maxSteps: 8, stepMaxDurationMs: 120_000, reportMarginPct: SUITE_REPORT_MARGIN_PCT }, reportedMaxDurationMs: undefined },
  reduced: { search: { maxSteps: 4, stepMinDurationMs: 0, stepMaxDurationMs: 30_000, reportMarginPct: SUITE_REPORT_MARGIN_PCT }, reportedMaxDurationMs: 120_000 },
} as const;

/** The suite spec of one entry: the catalog's settings (or the reduced preset), the reference's dims, on a
 *  Server entry the rate search against the workload's bound, and on the workload's first scenario its
 *  accuracy pass and, for LMs, TTFT/TPOT at the catalog's lengths. */
export function entrySpec(workload: SuiteWorkload, index: number, dataset: SuiteDatasetRef | null, reducedPreset: SuiteRunRequest['reducedPreset']): Record<string, unknown> {
  const { scenario, settings } = workload.scenarios[index]!;
  const { preset, ...rest } = settings;
  const spec: Record<string, unknown> = { scenario, ...rest, preset: reducedPreset ?? preset, dynamicDims: workload.referenceModel.dynamicDims };
  if (rest.offlineSampleCount !== undefined && reducedPreset) delete spec.offlineSampleCount;
  if (scenario === 'server') {
    // The catalog's bound is the workload's (the catalog schema gives one exactly when it runs Server).
    const { search, reportedMaxDurationMs } = SUITE_SERVER_SEARCH[reducedPreset ? 'reduced' : 'catalog'];
    spec.targetLatencyMs = workload.serverLatencyBoundMs ?? rest.targetLatencyMs;
    spec.serverSearch = { ...search };
    if (reportedMaxDurationMs !== undefined) spec.maxDurationMs = reportedMaxDurationMs;
  }
  if (index > 0) return spec;
  const isLm = workload.llmLengths !== null;
  spec.accuracy = {
    ...(dataset && { [dataset.kind]: { dataset: dataset.ref } }),
    // Synthetic inputs compared with the reference: as many as the quality target's least sample count.
    ...(isLm ? {} : { fidelitySamples: workload.quality.minSamples }),
  };
  if (workload.llmLengths) spec.llm = { promptTokens: workload.llmLengths.promptTokens, outputTokens: workload.llmLengths.outputTokens };
  return spec;
}

function conformanceOf(suite: SuiteDocument, input: SuiteRunRequest, workloads: SuiteRunPlan['workloads']): SuiteRunPlan['conformance'] {
  const deviations: string[] = [];
  if (input.reducedPreset) deviations.push(`every scenario ran the ${input.reducedPreset} preset instead of the catalog's settings`);
  const skipped = suite.workloads.filter((w) => !workloads.some((p) => p.id === w.id)).map((w) => w.id);
  if (skipped.length) deviations.push(`workloads not run: ${skipped.join(', ')}`);
  for (const w of workloads) if (w.qualityNotMeasured) deviations.push(`${w.id}: quality ${w.qualityNotMeasured}`);
  return { conforming: deviations.length === 0, deviations };
}

export async function createSuiteRun(deps: JobServiceDeps, principal: UserPrincipal, input: SuiteRunRequest, { requestId }: { requestId?: string | undefined } = {}): Promise<SuiteRun> {
  const suite = getSuite(input.suite);
  const unknown = [...(input.workloads ?? []), ...Object.keys(input.models ?? {})].filter((id) => !suite.workloads.some((w) => w.id === id));
  if (unknown.length) throw badRequest('suite_run.unknown_workload', `Not a workload of ${suite.id}: ${[...new Set(unknown)].join(', ')}.`, { errors: [...new Set(unknown)].map((id) => ({ path: 'workloads', message: `${id} is not in ${suite.id}` })) });
  const workloads = suite.workloads.filter((w) => !input.workloads || input.workloads.includes(w.id));
  const unrun = Object.keys(input.models ?? {}).filter((id) => !workloads.some((w) => w.id === id));
  if (unrun.length) throw badRequest('suite_run.unknown_workload', `A model is named for workloads this run leaves out: ${unrun.join(', ')}.`, { errors: unrun.map((id) => ({ path: `models.${id}`, message: 'not among the workloads run' })) });
  const device = await deps.db.device.findUnique({ where: { slug: input.device } });
  if (!device || (!device.isPublic && !seesAllOrgs(principal))) throw notFound('device.not_found', `No device ${input.device}.`);
  for (const [workloadId, modelId] of Object.entries(input.models ?? {})) {
    const model = await deps.db.model.findFirst({ where: { AND: [{ id: modelId }, visibleWhere(principal)] }, select: { format: true } });
    if (!model) throw notFound('model.not_found', `No model ${modelId} (named for ${workloadId}).`);
    const lm = suite.workloads.find((w) => w.id === workloadId)!.llmLengths !== null;
    if (lm !== (model.format === MODEL_BUNDLE_FORMAT)) throw unprocessable('suite.reference_mismatch', `${workloadId} needs ${lm ? 'an LLM bundle' : 'a single .onnx model'}; model ${modelId} is ${model.format}.`);
  }
  // Every entry's spec is resolved before anything is written, so a catalog the harness refuses fails here.
  for (const w of workloads) {
    w.scenarios.forEach((_, i) => {
      const spec = entrySpec(w, i, null, input.reducedPreset);
      try {
        resolveSuiteSpec(spec);
      } catch (err) {
        if (err instanceof z.ZodError) throw badRequest('suite.invalid', `The catalog's ${w.id} settings do not resolve.`, { errors: err.issues.map((is) => ({ path: is.path.join('.'), message: is.message })) });
        throw err;
      }
    });
  }

  // Side effects from here: the references and datasets (idempotent), the run, its jobs.
  const planned: SuiteRunPlan['workloads'] = [];
  for (const w of workloads) {
    const referenceModelId = await ensureReferenceModel(deps, suite, w);
    const dataset = await ensureSuiteDataset(deps, suite, w);
    planned.push({
      id: w.id,
      modelId: input.models?.[w.id] ?? referenceModelId,
      referenceModelId,
      scenarios: w.scenarios.map((s, i) => ({ scenario: s.scenario, suite: entrySpec(w, i, dataset, input.reducedPreset) })),
      qualityNotMeasured: qualityNotMeasured(dataset),
    });
  }
  const plan: SuiteRunPlan = suiteRunPlanSchema.parse({ workloads: planned, conformance: conformanceOf(suite, input, planned) });
  const run = await deps.db.suiteRun.create({ data: { orgId: principal.orgId, deviceId: device.id, suiteId: suite.id, suiteDigest: suite.digest, plan: plan as unknown as Prisma.InputJsonObject } });
  const created: string[] = [];
  try {
    for (const w of plan.workloads) {
      for (const [i, s] of w.scenarios.entries()) {
        const { job } = await submitJob(
          deps,
          principal,
          // The first scenario's accuracy pass compares with the reference on the CPU EP.
          { modelId: w.modelId, device: device.slug, suite: s.suite, ...(i === 0 && { referenceModelId: w.referenceModelId }) },
          { requestId, suiteRun: { id: run.id, entry: `${w.id}/${s.scenario}` } },
        );
        created.push(job.id);
      }
    }
  } catch (err) {
    // A run missing entries would never finish: take back what was queued and the run itself.
    for (const id of created) await deps.queues.removeWaiting(device.slug, id).catch(() => false);
    await deps.db.job.deleteMany({ where: { suiteRunId: run.id, status: 'QUEUED' } });
    await deps.db.job.updateMany({ where: { suiteRunId: run.id }, data: { status: 'CANCELED', errorCode: 'job.canceled', errorMessage: 'Its suite run could not be queued.', finishedAt: new Date() } });
    if ((await deps.db.job.count({ where: { suiteRunId: run.id } })) === 0) await deps.db.suiteRun.delete({ where: { id: run.id } });
    throw err;
  }
  return getSuiteRun(deps, principal, run.id);
}

const withJobs = { jobs: { include: { report: { select: { id: true } } } }, device: { select: { slug: true } } } as const;

async function visibleRun(deps: JobServiceDeps, principal: UserPrincipal, id: string) {
  const run = await deps.db.suiteRun.findFirst({ where: { AND: [{ id }, seesAllOrgs(principal) ? {} : { orgId: principal.orgId }] }, include: withJobs });
  if (!run) throw notFound('suite_run.not_found', 'No such suite run.');
  return run;
}

/** A run with progress per workload. A RUNNING run is advanced first (resubmits, signature), so a process
 *  that died between a job's end and the suite report leaves nothing stuck. */
export async function getSuiteRun(deps: JobServiceDeps, principal: UserPrincipal, id: string): Promise<SuiteRun> {
  let run = await visibleRun(deps, principal, id);
  if (run.status === 'RUNNING') {
    await advanceSuiteRun(deps, id);
    run = await visibleRun(deps, principal, id);
  }
  const plan = suiteRunPlanSchema.parse(run.plan);
  const entries = entriesOf(plan, run.jobs);
  const progressOf = (job: Job | undefined) => (!job ? 0 : job.status === 'QUEUED' || job.status === 'RUNNING' ? job.progress : 1);
  const workloads = plan.workloads.map((w) => {
    const own = entries.filter((e) => e.workload === w.id);
    return {
      id: w.id,
      modelId: w.modelId,
      referenceModelId: w.referenceModelId,
      progress: own.reduce((sum, e) => sum + progressOf(e.latest), 0) / own.length,
      entries: own.map((e) => {
        const job = e.latest;
        if (!job) throw new Error(`suite run ${id} has no job for ${e.entry}`);
        return {
          scenario: e.scenario,
          jobId: job.id,
          status: job.status,
          progress: progressOf(job),
          phase: job.phase,
          jobs: e.jobs.length,
          reportId: job.report?.id ?? null,
          error: job.errorCode ? { code: job.errorCode, message: job.errorMessage } : null,
        };
      }),
    };
  });
  return {
    id: run.id,
    orgId: run.orgId,
    suite: { id: run.suiteId, digest: run.suiteDigest },
    device: run.device.slug,
    status: run.status === 'FINISHED' ? 'FINISHED' : 'RUNNING',
    conforming: plan.conformance.conforming,
    deviations: plan.conformance.deviations,
    progress: entries.reduce((sum, e) => sum + progressOf(e.latest), 0) / entries.length,
    workloads,
    reportDigest: run.statementDigest,
    createdAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

/** The signed suite report, with its predicate decoded from the signed bytes (not from the row). */
export async function getSuiteReport(deps: JobServiceDeps, principal: UserPrincipal, id: string): Promise<SuiteReport> {
  await getSuiteRun(deps, principal, id);
  const run = await visibleRun(deps, principal, id);
  if (run.status !== 'FINISHED' || !run.envelope || !run.statementDigest) throw conflict('suite_run.not_finished', 'The suite run is still running; its report is signed when every entry has finished.');
  const envelope = run.envelope as { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] };
  const statement = parseCanonicalJson(Buffer.from(envelope.payload, 'base64')) as { predicate: unknown };
  return { suiteRunId: run.id, statementDigest: run.statementDigest, envelope, predicate: suiteReportPredicateSchema.parse(statement.predicate) };
}

/** GET /v1/suite-runs/:id/condition-grid.csv: the signed suite report as a condition grid, one row per
 *  workload × scenario run (a failed entry keeps its row, with its job's status and error). Read from the
 *  signed predicate, so the grid says what the suite report says; each workload's quality (the suite's
 *  verdict) and fidelity come from its accuracy pass and repeat on each of its scenarios. */
export async function suiteConditionGridText(deps: JobServiceDeps, principal: UserPrincipal, id: string): Promise<string> {
  const { predicate } = await getSuiteReport(deps, principal, id);
  const modelIds = predicate.workloads.flatMap((w) => (w.model ? [w.model.id] : []));
  const models = new Map((await deps.db.model.findMany({ where: { id: { in: modelIds } }, select: { id: true, signature: true, variantTechnique: true } })).map((m) => [m.id, m]));
  const entries: ConditionGridEntry[] = predicate.workloads.flatMap((w) => {
    const model = w.model;
    if (!model) return [];
    const stored = models.get(model.id);
    const fidelity = w.scenarios[0]?.facts?.fidelity ?? null;
    const quality = w.quality && { metric: w.quality.metric, candidate: w.quality.candidate, reference: w.quality.reference, relative: w.quality.relative, samples: w.quality.samples, meetsTarget: w.quality.meetsTarget };
    return w.scenarios.map((s) => ({
      suite: predicate.suite,
      workload: `${predicate.suite.id}/${w.id}`,
      device: { slug: predicate.device.slug, executionProvider: predicate.device.executionProvider },
      model: { name: model.name, version: model.version, digest: model.digest, precision: modelPrecision(stored?.signature ?? null), technique: stored?.variantTechnique ?? null, division: model.division },
      scenario: s.scenario,
      job: { status: s.status, errorCode: s.error?.code ?? null },
      reportId: s.reportId,
      facts: s.facts,
      quality,
      fidelity,
    }));
  });
  return conditionGridCsv(entries);
}
