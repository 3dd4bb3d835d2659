// Metric-by-metric comparison of two reports (local bench reports or API reports): the basis of
// `npubench bench --compare` and of regression gates in vendors' CI.

export interface MetricDelta {
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
  metric: string;
  unit: string;
  lowerIsBetter: boolean;
  read: (summary: SummaryLike) => number | undefined;
  scale: number;
}

interface SummaryLike {
  qps?: number;
  modelLoadMs?: number;
  firstInferenceMs?: number;
  latency?: Partial<Record<'p50Ns' | 'p90Ns' | 'p95Ns' | 'p99Ns' | 'meanNs' | 'maxNs', number>>;
}

const latencyMetric = (key: 'p50Ns' | 'p90Ns' | 'p95Ns' | 'p99Ns' | 'meanNs', name: string): MetricDef => ({
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
  { metric: 'throughput', unit: 'queries/s', lowerIsBetter: false, read: (s) => s.qps, scale: 1 },
  { metric: 'model load', unit: 'ms', lowerIsBetter: true, read: (s) => s.modelLoadMs, scale: 1 },
  { metric: 'first inference', unit: 'ms', lowerIsBetter: true, read: (s) => s.firstInferenceMs, scale: 1 },
];

export function compareSummaries(base: unknown, current: unknown): MetricDelta[] {
  const b = base as SummaryLike;
  const c = current as SummaryLike;
  const rows: MetricDelta[] = [];
  for (const m of METRICS) {
    const bv = m.read(b);
    const cv = m.read(c);
    if (typeof bv !== 'number' || typeof cv !== 'number') continue;
    const change = bv === 0 ? null : (cv - bv) / bv;
    rows.push({ metric: m.metric, unit: m.unit, base: bv * m.scale, current: cv * m.scale, change, better: m.lowerIsBetter ? cv <= bv : cv >= bv });
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
