// Jobs are never lost: after Redis loses every queued job (FLUSHALL on a private Redis, so other test
// files are not disturbed), the reconciler queues them again from Postgres and an agent runs each
// exactly once; a running job whose agent went silent is failed with a reason, not left RUNNING.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker } from 'bullmq';
import { benchQueueName } from '../../src/queue/bench-jobs.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/lib/redis.js';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { reconcileJobs } from '../../src/services/jobs/reconciler.js';
import { createAgent } from '../../src/services/agents/agents.js';

let redis: PrivateRedis;
let t: TestApi;
let vendor: { key: string };
let modelId: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
  t = await startTestApi({ listen: true, redisUrl: redis.url });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-r', name: 'NPU', manufacturer: 'test' } });
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-q', name: 'NPU', manufacturer: 'test' } });
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
});
afterAll(async () => redis.stop());

const submit = async () =>
  ((await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'npu-r', suite: { preset: 'smoke' } } })).json() as { id: string }).id;

describe('reconciler', () => {
  it('re-queues jobs Redis lost, and an agent then runs each exactly once', async () => {
    const ids = [await submit(), await submit(), await submit()];
    const admin = new Redis(redis.url);
    await admin.flushall();
    await admin.quit();
    expect(await t.deps.queues.held('npu-r', [ids[0]!])).toEqual(new Set());

    const first = await reconcileJobs(t.deps, { agentDeadlineMs: 60_000 });
    expect(first.requeued.sort()).toEqual([...ids].sort());
    expect((await reconcileJobs(t.deps, { agentDeadlineMs: 60_000 })).requeued).toEqual([]); // idempotent

    await startTestAgent(t, ['npu-r']);
    const done = await Promise.all(ids.map((id) => waitForJob(t, id)));
    expect(done.map((job) => [job.status, job.attempts])).toEqual(ids.map(() => ['SUCCEEDED', 1]));
    expect(await t.deps.db.report.count({ where: { jobId: { in: ids } } })).toBe(3);
  });

  it('fails a running job whose agent stopped sending heartbeats', async () => {
    // An agent that died mid-run: its job is RUNNING in Postgres and its last heartbeat is old. (A
    // separate agent record, so the live agent of the previous test cannot touch this job.)
    const dead = await createAgent(t.deps.db, { name: 'dead-agent', devices: ['npu-r'] });
    await t.deps.db.agent.update({ where: { id: dead.id }, data: { lastHeartbeatAt: new Date(Date.now() - 10 * 60_000) } });
    const org = await t.deps.db.model.findUniqueOrThrow({ where: { id: modelId } });
    const device = await t.deps.db.device.findUniqueOrThrow({ where: { slug: 'npu-r' } });
    const stranded = await t.deps.db.job.create({
      data: { orgId: org.orgId, modelId, deviceId: device.id, suite: {}, status: 'RUNNING', agentId: dead.id, startedAt: new Date(Date.now() - 5 * 60_000) },
    });

    const result = await reconcileJobs(t.deps, { agentDeadlineMs: 60_000 });
    expect(result.failedAgentVanished).toEqual([stranded.id]);
    const job = await t.deps.db.job.findUniqueOrThrow({ where: { id: stranded.id } });
    expect(job).toMatchObject({ status: 'FAILED', errorCode: 'agent.vanished' });
    expect(job.errorMessage).toMatch(/heartbeats for more than 60 s/);
  });

  it('fails a running job the queue gave up on, although its agent is alive', async () => {
    // An agent that keeps sending heartbeats, and a job BullMQ failed itself (as after too many stalls).
    const alive = await createAgent(t.deps.db, { name: 'alive-agent', devices: ['npu-r'] });
    await t.deps.db.agent.update({ where: { id: alive.id }, data: { lastHeartbeatAt: new Date() } });
    const model = await t.deps.db.model.findUniqueOrThrow({ where: { id: modelId } });
    // A device no running agent serves, so only the worker below touches its queue.
    const device = await t.deps.db.device.findUniqueOrThrow({ where: { slug: 'npu-q' } });
    const job = await t.deps.db.job.create({ data: { orgId: model.orgId, modelId, deviceId: device.id, suite: {}, status: 'RUNNING', agentId: alive.id, startedAt: new Date() } });
    await t.deps.queues.enqueue({ jobId: job.id, deviceSlug: 'npu-q' });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const worker = new Worker(benchQueueName('npu-q'), () => Promise.reject(new UnrecoverableError('job stalled more than allowable limit')), { connection, prefix: t.queuePrefix });
    for (let i = 0; i < 100 && (await t.deps.queues.failureOf('npu-q', job.id))?.state !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
    await worker.close();
    await connection.quit();
    expect((await t.deps.queues.failureOf('npu-q', job.id))?.state).toBe('failed');

    const result = await reconcileJobs(t.deps, { agentDeadlineMs: 60_000 });
    expect(result.failedQueueGaveUp).toEqual([job.id]);
    expect(result.failedAgentVanished).toEqual([]);
    const failed = await t.deps.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'agent.retries_exhausted' });
    expect(failed.errorMessage).toMatch(/stalled more than allowable limit/);
  });
});
