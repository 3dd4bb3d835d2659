// Human-readable summary of a report for terminals.
import type { EnvironmentInfo } from '../harness/index.js';
import type { PowerSummary } from '../harness/power/power-measurement.js';
const ms = (ns: unknown) => (typeof ns === 'number' ? `${(ns / 1e6).toFixed(3)} ms` : 'n/a');

interface SummaryLike {
  scenario?: string;
  queryCount?: number;
  durationNs?: number;
  qps?: number;
  latency?: Record<string, number>;
  power?: PowerSummary;
  targetPercentile?: number;
}

export function formatReportSummary(report: { summary: unknown; environment: unknown; device?: { slug: string } }, url: string): string {
  const s = report.summary as SummaryLike;
  const l = s.latency ?? {};
  const rows: [string, string][] = [
    ['scenario', s.scenario ?? 'n/a'],
    ['device', report.device?.slug ?? 'n/a'],
    ['queries', String(s.queryCount ?? 'n/a')],
    ['duration', typeof s.durationNs === 'number' ? `${(s.durationNs / 1e9).toFixed(2)} s` : 'n/a'],
    ['throughput', typeof s.qps === 'number' ? `${s.qps.toFixed(1)} queries/s` : 'n/a'],
    ['latency p50', ms(l.p50Ns)],
    ['latency p90', ms(l.p90Ns)],
    ['latency p99', ms(l.p99Ns)],
    ['latency min / mean / max', `${ms(l.minNs)} / ${ms(l.meanNs)} / ${ms(l.maxNs)}`],
    ['power', describePower(s.power)],
    ['environment', describeEnvironment(report.environment as Partial<EnvironmentInfo>)],
    ['report', url],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

function describeEnvironment(env: Partial<EnvironmentInfo>): string {
  return [
    env.cpu ? `${env.cpu.model} (${env.cpu.logicalCores} cores)` : undefined,
    env.os ? `${env.os.type} ${env.os.release} ${env.arch ?? ''}`.trim() : undefined,
    env.totalMemoryBytes ? `${(env.totalMemoryBytes / 1024 ** 3).toFixed(1)} GiB` : undefined,
    env.nodeVersion ? `node ${env.nodeVersion}` : undefined,
    env.runtime ? `${env.runtime.name} ${env.runtime.version}, EP ${env.runtime.executionProvider}` : undefined,
  ]
    .filter(Boolean)
    .join('; ');
}

function describePower(power: PowerSummary | undefined): string {
  if (!power) return 'n/a';
  if (!power.measured) return power.reason;
  const perQuery = `${power.energyPerQueryMj.toFixed(3)} mJ/query`;
  const idle = power.idleSubtractedEnergyPerQueryMj === null ? '' : ` (${power.idleSubtractedEnergyPerQueryMj.toFixed(3)} above idle)`;
  const verdict = power.result === 'VALID' ? '' : `, INVALID: ${power.invalidReasons.join('; ')}`;
  return `${power.avgW.toFixed(2)} W avg, ${power.peakW.toFixed(2)} W peak, ${perQuery}${idle}; ${power.meter.kind} ${power.meter.name}${verdict}`;
}
