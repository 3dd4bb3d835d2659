// The compression view (issue #17 §6): for one device, every variant of a reference model beside the
// reference's own run. A variant is a model whose run measured its fidelity against the reference (the
// job's referenceModelId): the lineage the service measured, not one a vendor claims. Speed is compared
// on the raw samples with bootstrap intervals, so a difference inside the noise is shown as such.
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import type { Prisma } from '@prisma/client';
import type { ServiceDeps } from '../deps.js';
import { visibleWhere, type UserPrincipal } from '../auth/principal.js';
import { notFound } from '../../lib/errors.js';
import { rawSamplesSchema } from '../../harness/schemas.js';
import { extractRuleFacts, type RuleFacts } from '../../lib/certificates/rule-facts.js';
import type { CompressionRun, CompressionView } from '../../contracts/compression.js';
import { MODEL_DIVISIONS, VARIANT_TECHNIQUES } from '../../contracts/models.js';
import { bootstrapMedians, median, percentileInterval } from './bootstrap-median.js';

export const BOOTSTRAP = { resamples: 1000, seed: 20261203, level: 0.95 } as const;

const reportInclude = { rawSamples: true, job: { include: { model: { include: { artifact: true } } } } } satisfies Prisma.ReportInclude;
type ReportRow = Prisma.ReportGetPayload<{ include: typeof reportInclude }>;

interface Measured {
  run: CompressionRun;
  facts: RuleFacts | null;
  /** Bootstrap medians, resample by resample; null without raw samples. */
  medians: Float64Array | null;
}

/** Every query's latency (last timestamp − first: end − start, or end − scheduled for Server). */
async function latenciesOf(deps: ServiceDeps, report: ReportRow): Promise<Float64Array | null> {
  if (report.rawSamples.prunedAt) return null;
  const raw = rawSamplesSchema.parse(JSON.parse(await text(await deps.store.open(report.rawSamples.storageKey))));
  const out: number[] = [];
  for (const run of raw.runs) for (const q of run.queries) out.push(q[q.length - 1]! - q[0]);
  return Float64Array.from(out);
}

const DIVISION = z.enum(MODEL_DIVISIONS);
const TECHNIQUE = z.enum(VARIANT_TECHNIQUES).nullable();

async function measure(deps: ServiceDeps, report: ReportRow, seed: number, referenceDigest: string): Promise<Measured> {
  const extracted = extractRuleFacts({ summary: report.summary, resourceUsage: report.resourceUsage, operatorProfile: report.profile });
  const facts = 'facts' in extracted ? extracted.facts : null;
  const latencies = await latenciesOf(deps, report);
  const medians = latencies && latencies.length > 0 ? bootstrapMedians(latencies, BOOTSTRAP.resamples, seed) : null;
  const power = facts?.power;
  const model = report.job.model;
  return {
    facts,
    medians,
    run: {
      modelId: model.id,
      name: model.name,
      version: model.version,
      artifactDigest: model.artifactDigest,
      division: DIVISION.parse(model.division),
      variantTechnique: TECHNIQUE.parse(model.variantTechnique),
      lineageDeclared: model.variantOf === referenceDigest,
      sizeBytes: Number(model.artifact.size),
      reportId: report.id,
      reportedAt: report.createdAt.toISOString(),
      scenario: facts?.latency.scenario ?? 'unknown',
      result: facts?.latency.result ?? 'INVALID',
      queries: latencies?.length ?? facts?.latency.queryCount ?? 0,
      // Without raw samples the summary's p50 is the same statistic over the same queries.
      medianLatencyNs: latencies && latencies.length > 0 ? median(latencies) : (facts?.latency.percentiles.p50Ns ?? NaN),
      medianLatencyCi95Ns: medians && percentileInterval(medians, BOOTSTRAP.level),
      energyPerQueryMj: power?.measured ? power.energyPerQueryMj : null,
      energyNotMeasured: !power ? 'report format not recognised' : power.measured ? null : power.reason,
    },
  };
}

const overlap = (a: [number, number], b: [number, number]) => a[0] <= b[1] && b[0] <= a[1];

export async function compressionView(deps: ServiceDeps, principal: UserPrincipal, query: { device: string; referenceModelId: string }): Promise<CompressionView> {
  const reference = await deps.db.model.findFirst({ where: { AND: [{ id: query.referenceModelId }, visibleWhere(principal)] }, include: { artifact: true } });
  if (!reference) throw notFound('model.not_found', 'No such reference model.');
  const device = await deps.db.device.findUnique({ where: { slug: query.device } });
  if (!device) throw notFound('device.not_found', `No device ${query.device}.`);

  const reports = await deps.db.report.findMany({
    where: {
      AND: [
        visibleWhere(principal),
        {
          job: {
            deviceId: device.id,
            status: 'SUCCEEDED',
            OR: [{ modelId: reference.id }, { suite: { path: ['accuracy', 'reference', 'modelDigest'], equals: reference.artifactDigest } }],
          },
        },
      ],
    },
    include: reportInclude,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  const base = { device: device.slug, referenceModelId: reference.id, referenceModelDigest: reference.artifactDigest, bootstrap: { ...BOOTSTRAP } };
  const referenceReport = reports.find((r) => r.job.modelId === reference.id);
  if (!referenceReport) return { ...base, reference: null, variants: [] };
  const ref = await measure(deps, referenceReport, BOOTSTRAP.seed, reference.artifactDigest);

  // The latest run per variant model in the reference run's scenario (a Server p99 is not a SingleStream p50).
  const latest = new Map<string, ReportRow>();
  for (const r of reports) {
    if (r.job.model.id === reference.id || latest.has(r.job.model.id)) continue;
    const scenario = extractRuleFacts({ summary: r.summary, resourceUsage: null, operatorProfile: null });
    if ('facts' in scenario && scenario.facts.latency.scenario === ref.run.scenario) latest.set(r.job.model.id, r);
  }

  const variants: CompressionView['variants'] = [];
  let index = 1;
  for (const report of latest.values()) {
    const v = await measure(deps, report, BOOTSTRAP.seed + index++, reference.artifactDigest);
    const variantMedians = v.medians;
    const ratios = ref.medians && variantMedians ? Float64Array.from(ref.medians, (m, i) => m / variantMedians[i]!) : null;
    const energyRatio = ref.run.energyPerQueryMj !== null && v.run.energyPerQueryMj !== null ? v.run.energyPerQueryMj / ref.run.energyPerQueryMj : null;
    const accuracy = v.facts?.accuracy ?? null;
    const fidelity = v.facts?.fidelity?.referenceModelDigest === reference.artifactDigest ? v.facts.fidelity : null;
    const outputs = fidelity?.outputs ?? [];
    const agreements = outputs.map((o) => o.top1Agreement).filter((a): a is number => a !== null);
    variants.push({
      run: v.run,
      speedup: ref.run.medianLatencyNs / v.run.medianLatencyNs,
      speedupCi95: ratios && percentileInterval(ratios, BOOTSTRAP.level),
      indistinguishable: ref.run.medianLatencyCi95Ns && v.run.medianLatencyCi95Ns ? overlap(ref.run.medianLatencyCi95Ns, v.run.medianLatencyCi95Ns) : null,
      sizeRatio: v.run.sizeBytes / ref.run.sizeBytes,
      energyRatio,
      energyNotMeasured: energyRatio !== null ? null : (ref.run.energyNotMeasured ? `reference: ${ref.run.energyNotMeasured}` : `variant: ${v.run.energyNotMeasured ?? 'not measured'}`),
      quality: accuracy
        ? {
            metric: accuracy.metric,
            candidate: accuracy.candidate,
            reference: accuracy.reference,
            retained: accuracy.reference > 0 ? accuracy.candidate / accuracy.reference : 0,
            samples: accuracy.samples,
            minCosine: outputs.length > 0 ? Math.min(...outputs.map((o) => o.minCosine)) : null,
            top1Agreement: agreements.length > 0 ? Math.min(...agreements) : null,
          }
        : null,
    });
  }
  variants.sort((a, b) => b.speedup - a.speedup);
  return { ...base, reference: ref.run, variants };
}
