// `npubench report <id> --format json|csv|mlperf|condition-grid`: a stored report in the form a vendor's tooling wants.
import { ApiHttpClient } from '../../lib/http-client.js';
import { reportSchema, type Report } from '../../contracts/reports.js';
import { resolveCliCredentials } from '../cli-credentials.js';

export interface ReportOptions {
  format: 'json' | 'csv' | 'mlperf' | 'condition-grid';
  apiUrl?: string;
  apiKey?: string;
}

type ReportView = Report;

const CSV_COLUMNS: [string, (r: ReportView) => string | number][] = [
  ['report_id', (r) => r.id],
  ['created_at', (r) => r.createdAt],
  ['device', (r) => r.device.slug],
  ['model', (r) => `${r.model.name}@${r.model.version}`],
  ['scenario', (r) => r.summary.scenario],
  ['result', (r) => r.summary.result],
  ['queries', (r) => r.summary.queryCount],
  ['duration_s', (r) => r.summary.durationNs / 1e9],
  ['qps', (r) => r.summary.qps],
  ['target_percentile', (r) => r.summary.targetPercentile],
  ['target_latency_ms', (r) => r.summary.targetLatencyNs / 1e6],
  ...(['p50Ns', 'p90Ns', 'p95Ns', 'p99Ns', 'minNs', 'meanNs', 'maxNs'] as const).map(
    (k): [string, (r: ReportView) => number] => [`${k.replace('Ns', '')}_ms`, (r) => r.summary.latency[k] / 1e6],
  ),
  ['power_avg_w', (r) => (r.summary.power.measured ? (r.summary.power.avgW ?? '') : '')],
  ['energy_per_query_mj', (r) => (r.summary.power.measured ? (r.summary.power.energyPerQueryMj ?? '') : '')],
];

/** RFC 4180 quoting. */
const csvCell = (value: string | number) => (typeof value === 'string' && /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : String(value));

export async function reportCommand(id: string, opts: ReportOptions): Promise<number> {
  const creds = resolveCliCredentials(opts);
  const api = new ApiHttpClient(creds.apiUrl, creds.apiKey);
  if (opts.format === 'condition-grid') {
    process.stdout.write(await api.requestText('GET', `/v1/reports/${id}/condition-grid.csv`));
    return 0;
  }
  if (opts.format === 'mlperf') {
    process.stdout.write(await api.requestText('GET', `/v1/reports/${id}/mlperf-summary`));
    return 0;
  }
  const report = await api.request(reportSchema, 'GET', `/v1/reports/${id}`);
  if (opts.format === 'json') console.log(JSON.stringify(report, null, 2));
  else console.log(`${CSV_COLUMNS.map(([name]) => name).join(',')}\n${CSV_COLUMNS.map(([, read]) => csvCell(read(report))).join(',')}`);
  return 0;
}
