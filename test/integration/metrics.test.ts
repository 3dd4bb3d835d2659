// Observability: the Prometheus exposition after real traffic and a real job through a real agent,
// parsed line by line, and the submit request's id travelling into the queued job and the agent's logs.
import { beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { spawn, spawnSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { benchQueueName, type BenchJobPayload } from '../../src/queue/bench-jobs.js';
import type { Agent, AgentEvents } from '../../src/workers/agent/agent.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface MetricFamily {
  type: string;
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL_PAIR = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/;
const SAMPLE_SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

/** Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes "Nan"). */
function parseValue(text: string): number {
  const special = ({ '+inf': Infinity, inf: Infinity, '-inf': -Infinity, nan: NaN } as Record<string, number>)[text.toLowerCase()];
  if (special !== undefined) return special;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`bad sample value ${text}`);
  return value;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = LABEL_PAIR.exec(rest);
    if (!m?.[1] || m[2] === undefined) throw new Error(`bad labels {${text}}`);
    if (m[1] in labels) throw new Error(`duplicate label ${m[1]}`);
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return labels;
}

/** A strict parser for the Prometheus text format (0.0.4): every sample must follow its family's TYPE. */
function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  let current: { name: string; family: MetricFamily } | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (comment) {
      const [, kind, name = '', rest = ''] = comment;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      let family = families.get(name);
      if (!family) {
        family = { type: 'untyped', help: '', samples: [] };
        families.set(name, family);
      }
      if (kind === 'HELP') family.help = rest;
      else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) family.type = rest;
      else throw new Error(`bad TYPE in: ${line}`);
      current = { name, family };
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment: ${line}`);
    const m = SAMPLE_LINE.exec(line);
    if (!m?.[1] || m[3] === undefined) throw new Error(`bad sample line: ${line}`);
    const sampleName = m[1];
    if (!current) throw new Error(`sample before any TYPE: ${line}`);
    const suffixes = SAMPLE_SUFFIXES[current.family.type] ?? [''];
    if (!suffixes.some((suffix) => sampleName === current!.name + suffix)) throw new Error(`sample ${sampleName} outside its family ${current.name}`);
    current.family.samples.push({ name: sampleName, labels: parseLabels(m[2] ?? ''), value: parseValue(m[3]) });
  }
  return families;
}

function family(families: Map<string, MetricFamily>, name: string, type: string): MetricFamily {
  const found = families.get(name);
  expect(found, `metric ${name}`).toBeDefined();
  expect(found!.type).toBe(type);
  return found!;
}

/** The value of the one sample with exactly these labels (histogram `le` aside). */
function sampleValue(fam: MetricFamily, name: string, labels: Record<string, string>): number | undefined {
  return fam.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()))?.value;
}

let t: TestApi;
let agent: Agent;
let vendor: { key: string };
let modelId: string;
const agentLogLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  for (const slug of ['cpu-metrics', 'cpu-idle']) {
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug, name: 'CPU', manufacturer: 'test' } });
  }
  const log = pino({ level: 'info' }, { write: (line: string) => void agentLogLines.push(JSON.parse(line) as Record<string, unknown>) });
  agent = await startTestAgent(t, ['cpu-metrics'], { log });
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
});

const submit = (device: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...bearer(vendor.key), ...headers }, payload: { modelId, device, suite: { preset: 'smoke' } } });

async function scrape(headers: Record<string, string> = {}) {
  const res = await t.app.inject({ method: 'GET', url: '/metrics', headers });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.body);
}

describe('GET /metrics', () => {
  it('reports HTTP timings, queue depth and wait, the job outcome, heartbeat age and run duration after a real job', async () => {
    const finished = once(agent, 'job-finished') as Promise<AgentEvents['job-finished']>;
    const res = await submit('cpu-metrics', { 'x-request-id': 'metrics-run-1' });
    expect(res.statusCode).toBe(201);
    const jobId = (res.json() as { id: string }).id;
    // The agent emits job-finished after the result upload answered, which is after the API recorded the outcome.
    const [outcome] = await finished;
    expect(outcome).toMatchObject({ jobId, outcome: 'succeeded' });
    expect((await t.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}`, headers: bearer(vendor.key) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/no-such-route' })).statusCode).toBe(404);

    const families = await scrape();

    const http = family(families, 'npubench_http_request_duration_seconds', 'histogram');
    expect(sampleValue(http, 'npubench_http_request_duration_seconds_count', { method: 'POST', route: '/v1/jobs', status_code: '201' })).toBe(1);
    expect(sampleValue(http, 'npubench_http_request_duration_seconds_count', { method: 'GET', route: '/v1/jobs/:id', status_code: '200' })).toBe(1);
    expect(sampleValue(http, 'npubench_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    // Route patterns, never raw URLs: no job id may become a label value.
    expect(http.samples.filter((s) => s.labels.route?.includes(jobId))).toEqual([]);

    const depth = family(families, 'npubench_queue_jobs', 'gauge');
    // The finished job may still be "active" for a moment: BullMQ completes it after the agent's processor returns.
    for (const device of ['cpu-metrics', 'cpu-idle']) {
      for (const state of ['waiting', 'active', 'delayed']) expect(sampleValue(depth, 'npubench_queue_jobs', { device, state }), `${device} ${state}`).toBeOneOf([0, 1]);
    }
    expect(sampleValue(depth, 'npubench_queue_jobs', { device: 'cpu-metrics', state: 'waiting' })).toBe(0);

    const wait = family(families, 'npubench_queue_wait_seconds', 'histogram');
    expect(sampleValue(wait, 'npubench_queue_wait_seconds_count', { device: 'cpu-metrics' })).toBe(1);

    const outcomes = family(families, 'npubench_jobs_finished_total', 'counter');
    expect(sampleValue(outcomes, 'npubench_jobs_finished_total', { device: 'cpu-metrics', status: 'SUCCEEDED' })).toBe(1);

    const agentRow = await t.deps.db.agent.findFirstOrThrow();
    const heartbeat = family(families, 'npubench_agent_heartbeat_age_seconds', 'gauge');
    const age = sampleValue(heartbeat, 'npubench_agent_heartbeat_age_seconds', { agent: agentRow.name });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(10);

    const run = family(families, 'npubench_job_run_duration_seconds', 'histogram');
    const job = await t.deps.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(sampleValue(run, 'npubench_job_run_duration_seconds_count', { device: 'cpu-metrics', scenario: 'single-stream' })).toBe(1);
    expect(sampleValue(run, 'npubench_job_run_duration_seconds_sum', { device: 'cpu-metrics', scenario: 'single-stream' })).toBeCloseTo(
      (job.finishedAt!.getTime() - job.startedAt!.getTime()) / 1000,
      6,
    );

    family(families, 'process_cpu_user_seconds_total', 'counter');
    family(families, 'nodejs_heap_size_used_bytes', 'gauge');
    // prom-client's three "_total" gauges, under names Prometheus' conventions allow.
    for (const name of ['nodejs_active_handles', 'nodejs_active_requests', 'nodejs_active_resources']) {
      expect(families.has(`${name}_total`), `${name}_total`).toBe(false);
      family(families, `${name}_all`, 'gauge');
    }
    // Prometheus naming: "_total" only on counters; "_count", "_sum", "_bucket" only inside histograms and summaries.
    for (const [name, { type }] of families) {
      if (name.endsWith('_total')) expect(type, name).toBe('counter');
      if (/_(count|sum|bucket)$/.test(name)) expect(type, name).toBeOneOf(['histogram', 'summary']);
    }

    // The agent's log lines for the job carry the submit request's id.
    const jobLines = agentLogLines.filter((line) => line.jobId === jobId);
    expect(jobLines.map((line) => line.msg)).toContain('job succeeded');
    expect(jobLines.every((line) => line.requestId === 'metrics-run-1')).toBe(true);
  });

  it('counts a canceled job and shows it waiting in the queue until then', async () => {
    const jobId = ((await submit('cpu-idle')).json() as { id: string }).id;
    const depth = family(await scrape(), 'npubench_queue_jobs', 'gauge');
    expect(sampleValue(depth, 'npubench_queue_jobs', { device: 'cpu-idle', state: 'waiting' })).toBe(1);

    expect((await t.app.inject({ method: 'POST', url: `/v1/jobs/${jobId}/cancel`, headers: bearer(vendor.key) })).json()).toMatchObject({ status: 'CANCELED' });
    const families = await scrape();
    expect(sampleValue(family(families, 'npubench_queue_jobs', 'gauge'), 'npubench_queue_jobs', { device: 'cpu-idle', state: 'waiting' })).toBe(0);
    expect(sampleValue(family(families, 'npubench_jobs_finished_total', 'counter'), 'npubench_jobs_finished_total', { device: 'cpu-idle', status: 'CANCELED' })).toBe(1);
  });
});

/** Debian's `prometheus` package ships promtool (.ci/run installs it). */
const promtoolInstalled = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error === undefined;

/** `promtool check metrics` on a body piped to it: its exit status and what it printed. */
function promtoolCheckMetrics(body: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(body);
  });
}

describe('GET /metrics and promtool', () => {
  it.skipIf(!promtoolInstalled)(`passes promtool check metrics${promtoolInstalled ? '' : ' (SKIPPED: promtool is not installed; apt-get install prometheus)'}`, async () => {
    // Over real HTTP, after the job above, so the histograms and counters have series.
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    const body = await res.text();
    // promtool passes empty input, so make sure it reads the real thing.
    expect(body).toContain('\nnpubench_jobs_finished_total{');
    expect(body).toContain('\nnodejs_heap_size_used_bytes ');
    expect(await promtoolCheckMetrics(body)).toEqual({ code: 0, output: '' });
  });
});

describe('GET /metrics with NPUBENCH_METRICS_TOKEN set', () => {
  const token = 'metrics-token-0123456789';
  let guarded: TestApi;
  // A second app in the same process: its own registry, so its metrics collide with nothing of the first.
  beforeAll(async () => {
    guarded = await startTestApi({ env: { NPUBENCH_METRICS_TOKEN: token } });
  });

  it('answers 401 problem+json without the token and the metrics with it', async () => {
    expectProblem(await guarded.app.inject({ method: 'GET', url: '/metrics' }), 401, 'auth.missing_credentials');
    expectProblem(await guarded.app.inject({ method: 'GET', url: '/metrics', headers: bearer('metrics-token-wrong-value') }), 401, 'auth.invalid_metrics_token');
    const ok = await guarded.app.inject({ method: 'GET', url: '/metrics', headers: bearer(token) });
    expect(ok.statusCode).toBe(200);
    expect(parseExposition(ok.body).has('npubench_jobs_finished_total')).toBe(true);
  });
});

describe('request ids', () => {
  it('puts the submit request id into the queued BullMQ job', async () => {
    const queue = new Queue<BenchJobPayload>(benchQueueName('cpu-idle'), { connection: t.deps.redis, prefix: t.queuePrefix });
    try {
      const given = await submit('cpu-idle', { 'x-request-id': 'submit-abc.123' });
      expect(given.headers['x-request-id']).toBe('submit-abc.123');
      const givenId = (given.json() as { id: string }).id;
      expect((await queue.getJob(givenId))?.data).toMatchObject({ jobId: givenId, requestId: 'submit-abc.123' });

      // Without the header the API makes an id up, and that one travels.
      const generated = await submit('cpu-idle');
      const generatedId = (generated.json() as { id: string }).id;
      expect((await queue.getJob(generatedId))?.data.requestId).toBe(generated.headers['x-request-id']);
    } finally {
      await queue.close();
    }
  });

  it('keeps /readyz checking the database and Redis', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
  });
});
