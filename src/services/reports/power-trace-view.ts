// The power trace for display: the stored trace keeps every sample for recomputation, a chart wants a
// few hundred points. Buckets keep min, mean and max, so short peaks stay visible after downsampling.
import { text } from 'node:stream/consumers';
import type { ServiceDeps } from '../deps.js';
import type { UserPrincipal } from '../auth/principal.js';
import { notFound } from '../../lib/errors.js';
import { rawSamplesSchema } from '../../harness/schemas.js';
import { openRawSamples } from './reports.js';
import type { PowerTraceView } from '../../contracts/reports.js';

/** [tMs from the run's origin, minW, meanW, maxW] */
export type TraceBucket = [number, number, number, number];

export function downsampleTrace(samples: readonly (readonly [number, number])[], points: number): TraceBucket[] {
  if (samples.length === 0) return [];
  const first = samples[0]![0];
  const span = samples[samples.length - 1]![0] - first || 1;
  const buckets: { t: number; min: number; max: number; sum: number; n: number }[] = [];
  for (const [t, w] of samples) {
    const i = Math.min(points - 1, Math.floor(((t - first) / span) * points));
    const bucket = (buckets[i] ??= { t, min: w, max: w, sum: 0, n: 0 });
    bucket.min = Math.min(bucket.min, w);
    bucket.max = Math.max(bucket.max, w);
    bucket.sum += w;
    bucket.n += 1;
  }
  return buckets.filter(Boolean).map((b) => [b.t / 1e6, b.min, b.sum / b.n, b.max]);
}

export async function powerTraceView(deps: ServiceDeps, principal: UserPrincipal | null, reportId: string, points: number): Promise<PowerTraceView> {
  const { stream } = await openRawSamples(deps, principal, reportId);
  const raw = rawSamplesSchema.parse(JSON.parse(await text(stream)));
  if (!raw.power || 'notMeasured' in raw.power) throw notFound('report.no_power_trace', raw.power ? raw.power.notMeasured : 'Power was not measured for this report.');
  const trace = raw.power;
  return {
    meter: trace.meter,
    idle: trace.idle && { points: downsampleTrace(trace.idle.samples, points) },
    runs: trace.runs.map((run, r) => {
      const queries = raw.runs[r]?.queries ?? [];
      const startNs = Math.min(...queries.map((q) => q[0]));
      const endNs = Math.max(...queries.map((q) => q[q.length - 1] as number));
      // The measured window, so a chart can shade it.
      return { windowMs: [startNs / 1e6, endNs / 1e6], points: downsampleTrace(run.samples, points), error: run.error };
    }),
  };
}
