// Metric-by-metric comparison of two reports (local bench reports or API reports): the basis of
// `npubench bench --compare` and of regression gates in vendors' CI.

export interface MetricDelta {
  /** Short name used in --max-regression, e.g. "p90", "qps", "energy". */
  key: string;
  metric: string;
  unit: string;
  base: number;
  current: number;
  /** (current - base) / base, as a fraction; null when base is 0. */
  change: number | null;
  /** Whether the change is an improvement, given the metric's direction. */
  better: boolean;
}

interface MetricDef {
  key: string;
  metric: string;
  unit: string;
  lowerIsBetter: boolean;
  read: (summary: SummaryLike) => number | undefined;
  scale: number;
}

interface SummaryLike {
  qps?: number;
  power?: { measured: boolean; energyPerQueryMj?: number; avgW?: number };
  modelLoadMs?: number;
  firstInferenceMs?: number;
  latency?: Partial<Record<'p50Ns' | 'p90Ns' | 'p95Ns' | 'p99Ns' | 'meanNs' | 'maxNs', number>>;
}

const latencyMetric = (key: 'p50Ns' | 'p90Ns' | 'p95Ns' | 'p99Ns' | 'meanNs', name: string): MetricDef => ({
  key: name,
  metric: `latency ${name}`,
  unit: 'ms',
  lowerIsBetter: true,
  read: (s) => s.latency?.[key],
  scale: 1e-6,
});

const METRICS: MetricDef[] = [
  latencyMetric('p50Ns', 'p50'),
  latencyMetric('p90Ns', 'p90'),
  latencyMetric('p95Ns', 'p95'),
  latencyMetric('p99Ns', 'p99'),
  latencyMetric('meanNs', 'mean'),
  { key: 'qps', metric: 'throughput', unit: 'queries/s', lowerIsBetter: false, read: (s) => s.qps, scale: 1 },
  { key: 'energy', metric: 'energy per query', unit: 'mJ', lowerIsBetter: true, read: (s) => (s.power?.measured ? s.power.energyPerQueryMj : undefined), scale: 1 },
  { key: 'power', metric: 'average power', unit: 'W', lowerIsBetter: true, read: (s) => (s.power?.measured ? s.power.avgW : undefined), scale: 1 },
  { key: 'load', metric: 'model load', unit: 'ms', lowerIsBetter: true, read: (s) => s.modelLoadMs, scale: 1 },
  { key: 'first', metric: 'first inference', unit: 'ms', lowerIsBetter: true, read: (s) => s.firstInferenceMs, scale: 1 },
];

export const METRIC_KEYS = METRICS.map((m) => m.key);

interface WorkloadLike {
  scenario?: string;
  spec?: { scenario?: string; samplesPerQuery?: number };
}

/**
 * Why two reports' figures cannot be compared metric by metric, or null when they can: a query of a
 * different scenario (an offline query is the whole sample set, a server latency includes queueing)
 * or a multi-stream query of another size measures something else, so "+80000%" would mean nothing.
 */
export function workloadMismatch(base: unknown, current: unknown): string | null {
  const b = (base ?? {}) as WorkloadLike;
  const c = (current ?? {}) as WorkloadLike;
  const scenarioOf = (s: WorkloadLike) => s.spec?.scenario ?? s.scenario;
  const [bs, cs] = [scenarioOf(b), scenarioOf(c)];
  if (bs !== undefined && cs !== undefined && bs !== cs) return `the base ran the ${bs} scenario and the current run ${cs}: their latencies and throughput measure different queries`;
  const [bn, cn] = [b.spec?.samplesPerQuery, c.spec?.samplesPerQuery];
  if (bn !== undefined && cn !== undefined && bn !== cn) return `the base ran ${bn} samples per query and the current run ${cn}: their latencies measure different queries`;
  return null;
}

export function compareSummaries(base: unknown, current: unknown): MetricDelta[] {
  const b = base as SummaryLike;
  const c = current as SummaryLike;
  const rows: MetricDelta[] = [];
  for (const m of METRICS) {
    const bv = m.read(b);
    const cv = m.read(c);
    if (typeof bv !== 'number' || typeof cv !== 'number') continue;
    const change = bv === 0 ? null : (cv - bv) / bv;
    rows.push({ key: m.key, metric: m.metric, unit: m.unit, base: bv * m.scale, current: cv * m.scale, change, better: m.lowerIsBetter ? cv <= bv : cv >= bv });
  }
  return rows;
}

export function formatComparison(rows: MetricDelta[]): string {
  const table = [
    ['metric', 'base', 'current', 'change'],
    ...rows.map((r) => [
      `${r.metric} (${r.unit})`,
      r.base.toFixed(3),
      r.current.toFixed(3),
      r.change === null ? 'n/a' : `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}% ${r.change === 0 ? '' : r.better ? '(better)' : '(worse)'}`.trimEnd(),
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => '  ' + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

/** "p90=5%,energy=3%": the largest worsening allowed per metric, as fractions. */
export function parseRegressionLimits(spec: string): Map<string, number> {
  const limits = new Map<string, number>();
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z0-9]+)=(\d+(?:\.\d+)?)%$/.exec(part);
    if (!m || !METRIC_KEYS.includes(m[1]!)) throw new Error(`--max-regression: "${part}" is not <metric>=<percent>% with metric one of ${METRIC_KEYS.join(', ')}`);
    limits.set(m[1]!, Number(m[2]) / 100);
  }
  return limits;
}

export interface RegressionVerdict {
  key: string;
  limit: number;
  worsening: number | null;
  /** The metric is missing on one side: a gate on it cannot pass. */
  missing: boolean;
  passed: boolean;
}

/** Applies the limits: a metric regresses when it got worse by more than its limit (or is missing). */
export function checkRegressions(rows: MetricDelta[], limits: Map<string, number>): RegressionVerdict[] {
  return [...limits].map(([key, limit]) => {
    const row = rows.find((r) => r.key === key);
    if (!row || row.change === null) return { key, limit, worsening: null, missing: true, passed: false };
    const worsening = row.better ? 0 : Math.abs(row.change);
    return { key, limit, worsening, missing: false, passed: worsening <= limit };
  });
}
