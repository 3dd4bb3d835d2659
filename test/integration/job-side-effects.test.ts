// Side effects happen where a job or certificate changes state, whoever changed it (issue #19 items 2
// and 3): jobs the reconciler fails are counted in npubench_jobs_finished_total and published on the
// live event stream; certificates issued automatically leave an audit row; automatic certification
// that meets a real database failure is logged and counted, and the API keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import pg from 'pg';
import { UnrecoverableError, Worker } from 'bullmq';
import { benchQueueName } from '../../src/queue/bench-jobs.js';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';
import { reconcileJobs } from '../../src/services/jobs/reconciler.js';
import { createAgent } from '../../src/services/agents/agents.js';

let t: TestApi;
let admin: { key: string };
let vendor: { key: string };
let modelId: string;
let sql: pg.Client;
let subscriber: Redis;
const events: { id: string; status: string; error: { code: string } | null }[] = [];
const channel = () => `${t.queuePrefix}:job-events`;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  for (const slug of ['npu-live', 'npu-dead', 'npu-stalled']) {
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug, name: 'NPU', manufacturer: 'test' } });
  }
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
  sql = new pg.Client({ connectionString: t.databaseUrl });
  await sql.connect();
  // A subscriber of our own on the channel the API publishes on, independent of the API's hub.
  subscriber = new Redis(TEST_REDIS_URL);
  subscriber.on('message', (_channel: string, message: string) => events.push(JSON.parse(message) as (typeof events)[number]));
  await subscriber.subscribe(channel());
});
afterAll(async () => {
  await subscriber.quit();
  await sql.end();
});

/** Every event published before this call has been received: Redis delivers a channel's messages in order. */
async function eventsSoFar() {
  const marker = `marker-${events.length}-${Math.random()}`;
  const publisher = new Redis(TEST_REDIS_URL);
  await publisher.publish(channel(), JSON.stringify({ id: marker, status: 'MARKER', error: null }));
  await publisher.quit();
  while (!events.some((e) => e.id === marker)) await new Promise((r) => setTimeout(r, 20));
  return events.filter((e) => e.status !== 'MARKER');
}

/** The value of one sample of the Prometheus exposition, read by our own parser. */
async function sample(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  for (const line of res.body.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...m[2]!.matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.keys(labels).length === Object.keys(found).length && Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const submit = async (device: string) => {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device, suite: { preset: 'smoke' } } });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { id: string }).id;
};

describe('jobs the reconciler fails', () => {
  it('are counted and published like any other finished job', async () => {
    const model = await t.deps.db.model.findUniqueOrThrow({ where: { id: modelId } });
    const dead = await t.deps.db.device.findUniqueOrThrow({ where: { slug: 'npu-dead' } });
    // agent.vanished: RUNNING on an agent whose last heartbeat is ten minutes old.
    const gone = await createAgent(t.deps.db, { name: 'gone-agent', devices: ['npu-dead'] });
    await t.deps.db.agent.update({ where: { id: gone.id }, data: { lastHeartbeatAt: new Date(Date.now() - 10 * 60_000) } });
    const vanished = await t.deps.db.job.create({ data: { orgId: model.orgId, modelId, deviceId: dead.id, suite: {}, status: 'RUNNING', agentId: gone.id, startedAt: new Date() } });
    // job.invalid_suite: QUEUED, not in Redis, with a suite that no longer validates.
    const invalid = await t.deps.db.job.create({ data: { orgId: model.orgId, modelId, deviceId: dead.id, suite: { bogus: true }, status: 'QUEUED' } });
    // agent.retries_exhausted: RUNNING on a live agent, and BullMQ failed the job itself.
    const stalledDevice = await t.deps.db.device.findUniqueOrThrow({ where: { slug: 'npu-stalled' } });
    const alive = await createAgent(t.deps.db, { name: 'alive-agent', devices: ['npu-stalled'] });
    await t.deps.db.agent.update({ where: { id: alive.id }, data: { lastHeartbeatAt: new Date() } });
    const exhausted = await t.deps.db.job.create({ data: { orgId: model.orgId, modelId, deviceId: stalledDevice.id, suite: {}, status: 'RUNNING', agentId: alive.id, startedAt: new Date() } });
    await t.deps.queues.enqueue({ jobId: exhausted.id, deviceSlug: 'npu-stalled' });
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker(benchQueueName('npu-stalled'), () => Promise.reject(new UnrecoverableError('job stalled more than allowable limit')), { connection, prefix: t.queuePrefix });
    while ((await t.deps.queues.failureOf('npu-stalled', exhausted.id))?.state !== 'failed') await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    await connection.quit();

    const result = await reconcileJobs(t.deps, { agentDeadlineMs: 60_000 });
    expect(result.failedAgentVanished).toEqual([vanished.id]);
    expect(result.failedQueueGaveUp).toEqual([exhausted.id]);

    // One job of each: the counter says 1 for each device and code.
    expect(await sample('npubench_jobs_finished_total', { device: 'npu-dead', status: 'FAILED', error_code: 'agent.vanished' })).toBe(1);
    expect(await sample('npubench_jobs_finished_total', { device: 'npu-dead', status: 'FAILED', error_code: 'job.invalid_suite' })).toBe(1);
    expect(await sample('npubench_jobs_finished_total', { device: 'npu-stalled', status: 'FAILED', error_code: 'agent.retries_exhausted' })).toBe(1);
    const published = await eventsSoFar();
    for (const [id, code] of [
      [vanished.id, 'agent.vanished'],
      [invalid.id, 'job.invalid_suite'],
      [exhausted.id, 'agent.retries_exhausted'],
    ] as const) {
      expect(published.filter((e) => e.id === id).map((e) => [e.status, e.error?.code])).toEqual([['FAILED', code]]);
    }
    // A second run finds nothing to do and counts nothing twice.
    await reconcileJobs(t.deps, { agentDeadlineMs: 60_000 });
    expect(await sample('npubench_jobs_finished_total', { device: 'npu-dead', status: 'FAILED', error_code: 'agent.vanished' })).toBe(1);
  });
});

describe('automatic certification', () => {
  beforeAll(async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/profiles',
      headers: bearer(admin.key),
      payload: { name: 'auto-smoke', version: 1, title: 'Auto smoke', description: 'At least 32 queries.', rules: { minQueryCount: 32 }, validityDays: 7, autoIssue: true },
    });
    expect(res.statusCode, res.body).toBe(201);
    const agent = await startTestAgent(t, ['npu-live']);
    agent.on('job-finished', (e: { jobId: string }) => uploaded.add(e.jobId));
  });
  const uploaded = new Set<string>();

  const runToSuccess = async () => {
    const id = await submit('npu-live');
    expect((await waitForJob(t, id)).status).toBe('SUCCEEDED');
    // The agent has its answer to the upload, so the API has started certifying (in the background,
    // after the answer); wait for that work itself.
    while (!uploaded.has(id)) await new Promise((r) => setTimeout(r, 20));
    await t.deps.background?.drain();
    return (await t.deps.db.report.findUniqueOrThrow({ where: { jobId: id } })).id;
  };

  it('leaves an audit row for the certificate it issues, by the service itself', async () => {
    const reportId = await runToSuccess();
    const cert = await t.deps.db.certificate.findUniqueOrThrow({ where: { reportId_profileId: { reportId, profileId: 'auto-smoke@1' } } });
    const rows = await t.deps.db.auditEvent.findMany({ where: { action: 'certificate.issued', subjectId: cert.id } });
    expect(rows.map((r) => ({ actorType: r.actorType, actorId: r.actorId, subjectType: r.subjectType, details: r.details }))).toEqual([
      { actorType: 'system', actorId: null, subjectType: 'certificate', details: { reportId, profileId: 'auto-smoke@1' } },
    ]);
  });

  it('counts a database failure while issuing, and the API keeps serving', async () => {
    // A real failure of the table automatic issuance writes.
    await sql.query(`CREATE FUNCTION refuse_certificates() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected: certificates are read-only'; END $$`);
    await sql.query(`CREATE TRIGGER refuse_certificates BEFORE INSERT ON certificates FOR EACH ROW EXECUTE FUNCTION refuse_certificates()`);
    try {
      const reportId = await runToSuccess();
      expect(await t.deps.db.certificate.count({ where: { reportId } })).toBe(0);
      expect(await sample('npubench_background_failures_total', { task: 'certificate.auto_issue' })).toBe(1);
    } finally {
      await sql.query('DROP TRIGGER refuse_certificates ON certificates');
      await sql.query('DROP FUNCTION refuse_certificates()');
    }
    expect((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(vendor.key) })).statusCode).toBe(200);
  });

  it('counts a failure of the profile lookup that starts it (a query no catch covered), and the API keeps serving', async () => {
    await sql.query('ALTER TABLE certification_profiles RENAME COLUMN auto_issue TO auto_issue_moved');
    try {
      const reportId = await runToSuccess();
      expect(await t.deps.db.certificate.count({ where: { reportId } })).toBe(0);
      expect(await sample('npubench_background_failures_total', { task: 'certificate.auto_issue' })).toBe(2);
    } finally {
      await sql.query('ALTER TABLE certification_profiles RENAME COLUMN auto_issue_moved TO auto_issue');
    }
    const jobs = await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(vendor.key) });
    expect(jobs.statusCode).toBe(200);
    // Jobs keep running and being certified once the database is well again.
    const reportId = await runToSuccess();
    expect(await t.deps.db.certificate.count({ where: { reportId } })).toBe(1);
  });
});
