// Prometheus metrics of one API instance. Each instance owns its registry (never prom-client's global
// one), so several apps in one process do not collide and a scrape shows exactly this instance.
// Counters and histograms are observed where things happen; gauges that mirror state kept elsewhere
// (queue depth in Redis, agent heartbeats in Postgres) are read at scrape time so they are never stale.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { TerminalJobStatus } from '../contracts/job-vocabulary.js';

export interface QueueDepth {
  device: string;
  waiting: number;
  active: number;
  delayed: number;
}

export interface AgentHeartbeat {
  agent: string;
  lastHeartbeatAt: Date;
}

/** Where the scrape-time gauges read from; a failing source leaves its gauge empty for that scrape. */
export interface MetricSources {
  queueDepths(): Promise<QueueDepth[]>;
  agentHeartbeats(): Promise<AgentHeartbeat[]>;
  onCollectError(metric: string, err: unknown): void;
}

export interface FinishedJob {
  device: string;
  status: TerminalJobStatus;
  errorCode: string | null;
  scenario: string;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * Error codes come from agents, so the label could grow without bound: the first codes seen keep
 * their name, later new ones are counted as "other".
 */
const MAX_ERROR_CODE_LABELS = 32;

type HttpLabels = { method: string; route: string; status_code: string };
type Sample = { metricName: string; labels: Record<string, string | number>; value: number };

/**
 * The request-duration histogram, observed on every request. prom-client's Histogram.observe builds,
 * validates and hashes a label object each call (with the hook around it, ~3% of a cached report
 * read's CPU: docs/PERFORMANCE.md); this finds the series with one Map lookup and exposes the same
 * Prometheus histogram through the registry (test/unit/api-metrics.test.ts compares the two
 * expositions).
 */
export class HttpDurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: HttpLabels; buckets: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registers: Registry[],
  ) {
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${statusCode} ${route}`;
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { method, route, status_code: String(statusCode) }, buckets: this.upperBounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.upperBounds.length && seconds > this.upperBounds[bucket]!) bucket++;
    if (bucket < this.upperBounds.length) series.buckets[bucket]!++;
    series.sum += seconds;
    series.count++;
  }

  /** prom-client's metric interface: the registry formats these values for a scrape. */
  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] }> {
    const values: Sample[] = [];
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (const [i, le] of this.upperBounds.entries()) {
        cumulative += buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...labels }, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...labels }, value: count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    this.series.clear();
  }
}

/**
 * prom-client's defaults include three gauges named like counters (`nodejs_active_handles_total`,
 * `..._requests_total`, `..._resources_total`), which `promtool check metrics` rejects: `_total` means a
 * counter, and `_count`/`_sum` are reserved for histograms and summaries. prom-client 15 has no option
 * to rename them, so each is taken out of the registry and its value re-exposed as `<name>_all`.
 */
export const RENAMED_DEFAULT_GAUGES: Readonly<Record<string, string>> = {
  nodejs_active_handles_total: 'nodejs_active_handles_all',
  nodejs_active_requests_total: 'nodejs_active_requests_all',
  nodejs_active_resources_total: 'nodejs_active_resources_all',
};

function renameTotalGauges(registry: Registry): void {
  for (const [from, to] of Object.entries(RENAMED_DEFAULT_GAUGES)) {
    const original = registry.getSingleMetric(from);
    // Absent on Node versions without the process API behind it.
    if (original === undefined) continue;
    registry.removeSingleMetric(from);
    new Gauge({
      name: to,
      help: `${(original as unknown as { help: string }).help.replace(/\.$/, '')}; prom-client's ${from}, renamed, as a gauge must not end in _total.`,
      registers: [registry],
      async collect() {
        this.reset();
        for (const { labels, value } of (await original.get()).values) this.set(labels, value);
      },
    });
  }
}

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly httpDuration: HttpDurationHistogram;
  private readonly queueWait: Histogram<'device'>;
  private readonly jobsFinished: Counter<'device' | 'status' | 'error_code'>;
  private readonly jobRunDuration: Histogram<'device' | 'scenario'>;
  private readonly errorCodeLabels = new Set<string>();

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    renameTotalGauges(this.registry);
    this.httpDuration = new HttpDurationHistogram(
      'npubench_http_request_duration_seconds',
      'HTTP request duration by method, route pattern and status code.',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    );
    this.queueWait = new Histogram({
      name: 'npubench_queue_wait_seconds',
      help: 'Time from job submission to its first claim by an agent.',
      labelNames: ['device'],
      buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400],
      registers,
    });
    this.jobsFinished = new Counter({
      name: 'npubench_jobs_finished_total',
      help: 'Jobs that reached a final status, by device, status and (for FAILED) error code.',
      labelNames: ['device', 'status', 'error_code'],
      registers,
    });
    this.jobRunDuration = new Histogram({
      name: 'npubench_job_run_duration_seconds',
      help: 'Run time of succeeded jobs, from claim (startedAt) to stored result (finishedAt).',
      labelNames: ['device', 'scenario'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200],
      registers,
    });
    new Gauge({
      name: 'npubench_queue_jobs',
      help: 'Jobs in each device queue by BullMQ state (read from Redis at scrape time).',
      labelNames: ['device', 'state'],
      registers,
      async collect() {
        this.reset();
        try {
          for (const depth of await sources.queueDepths()) {
            this.set({ device: depth.device, state: 'waiting' }, depth.waiting);
            this.set({ device: depth.device, state: 'active' }, depth.active);
            this.set({ device: depth.device, state: 'delayed' }, depth.delayed);
          }
        } catch (err) {
          sources.onCollectError('npubench_queue_jobs', err);
        }
      },
    });
    new Gauge({
      name: 'npubench_agent_heartbeat_age_seconds',
      help: 'Seconds since each non-revoked agent last sent a heartbeat (read from Postgres at scrape time).',
      labelNames: ['agent'],
      registers,
      async collect() {
        this.reset();
        try {
          const now = Date.now();
          for (const beat of await sources.agentHeartbeats()) this.set({ agent: beat.agent }, Math.max(0, (now - beat.lastHeartbeatAt.getTime()) / 1000));
        } catch (err) {
          sources.onCollectError('npubench_agent_heartbeat_age_seconds', err);
        }
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  /** `route` is the matched route pattern; requests that matched none share one label value. */
  observeHttpRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.httpDuration.observe(method, route ?? 'unmatched', statusCode, seconds);
  }

  observeQueueWait(device: string, seconds: number): void {
    this.queueWait.observe({ device }, seconds);
  }

  observeJobFinished(job: FinishedJob): void {
    const labels = job.status === 'FAILED' ? { device: job.device, status: job.status, error_code: this.errorCodeLabel(job.errorCode) } : { device: job.device, status: job.status };
    this.jobsFinished.inc(labels);
    if (job.status === 'SUCCEEDED' && job.startedAt && job.finishedAt) {
      this.jobRunDuration.observe({ device: job.device, scenario: job.scenario }, (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000);
    }
  }

  private errorCodeLabel(code: string | null): string {
    if (!code) return 'unknown';
    if (this.errorCodeLabels.has(code)) return code;
    if (this.errorCodeLabels.size >= MAX_ERROR_CODE_LABELS) return 'other';
    this.errorCodeLabels.add(code);
    return code;
  }
}
