import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { benchQueueName } from '../../src/queue/bench-jobs.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';

let t: TestApi;
let vendor: { key: string; orgId: string };
let modelId: string;
let queue: Queue;

beforeAll(async () => {
  t = await startTestApi();
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-a', name: 'NPU A', manufacturer: 'Acme' } });
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(benchQueueName('npu-a'), { connection, prefix: t.queuePrefix });
  return async () => {
    await queue.close();
    await connection.quit();
  };
});

const submit = (payload: unknown, key?: string) =>
  t.app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...bearer(vendor.key), ...(key ? { 'idempotency-key': key } : {}) }, payload: payload as object });

describe('POST /v1/jobs', () => {
  it('stores the job with its resolved suite and queues it under the job id', async () => {
    const res = await submit({ modelId, device: 'npu-a', suite: { preset: 'quick' } });
    expect(res.statusCode, res.body).toBe(201);
    const job = res.json() as { id: string; status: string; suite: Record<string, unknown> };
    expect(job.status).toBe('QUEUED');
    expect(job.suite).toMatchObject({ scenario: 'single-stream', minQueryCount: 128, minDurationMs: 10_000 });
    const queued = await queue.getJob(job.id);
    expect(queued?.data).toMatchObject({ jobId: job.id, deviceSlug: 'npu-a' });
    expect(JSON.stringify(queued?.data)).not.toMatch(/npb_|npba_/); // no credentials in payloads
    // The answer carries exactly the Job contract's members (the row's idempotency key and request
    // hash stay inside), with its times as ISO strings of the stored instants.
    expect(Object.keys(job).sort()).toEqual(['agentId', 'attempts', 'createdAt', 'device', 'error', 'finishedAt', 'id', 'modelId', 'orgId', 'phase', 'progress', 'startedAt', 'status', 'suite']);
    const row = await t.deps.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(res.json()).toMatchObject({ createdAt: row.createdAt.toISOString(), startedAt: null, finishedAt: null, device: 'npu-a', error: null });
  });

  it('honours Idempotency-Key: the same request returns the same job, a different body is refused', async () => {
    const body = { modelId, device: 'npu-a', suite: { minQueryCount: 50 } };
    const first = await submit(body, 'key-1');
    const second = await submit(body, 'key-1');
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect((second.json() as { id: string }).id).toBe((first.json() as { id: string }).id);
    expect(await t.deps.db.job.count({ where: { idempotencyKey: 'key-1' } })).toBe(1);
    expectProblem(await submit({ ...body, suite: { minQueryCount: 51 } }, 'key-1'), 422, 'idempotency.key_reused');
  });

  it('compares an idempotent retry by meaning: the same body with its keys in another order is the same request', async () => {
    const first = await submit({ modelId, device: 'npu-a', suite: { minQueryCount: 50, minDurationMs: 0, dynamicDims: { batch: 1, seq: 8 } } }, 'key-order');
    expect(first.statusCode, first.body).toBe(201);
    // The same JSON value, written by a client that orders object members differently.
    const retry = await submit({ suite: { dynamicDims: { seq: 8, batch: 1 }, minDurationMs: 0, minQueryCount: 50 }, device: 'npu-a', modelId }, 'key-order');
    expect(retry.statusCode, retry.body).toBe(200);
    expect((retry.json() as { id: string }).id).toBe((first.json() as { id: string }).id);
    // The stored hash is SHA-256 over the RFC 8785 form, written out here by hand (members sorted by key).
    const canonical = `{"device":"npu-a","modelId":"${modelId}","suite":{"dynamicDims":{"batch":1,"seq":8},"minDurationMs":0,"minQueryCount":50}}`;
    const stored = await t.deps.db.job.findFirstOrThrow({ where: { idempotencyKey: 'key-order' } });
    expect(stored.requestHash).toBe(createHash('sha256').update(canonical).digest('hex'));
    expectProblem(await submit({ suite: { dynamicDims: { seq: 8, batch: 2 }, minDurationMs: 0, minQueryCount: 50 }, device: 'npu-a', modelId }, 'key-order'), 422, 'idempotency.key_reused');
  });

  it('never stores a suite that claims a preset it does not follow', async () => {
    const refused = expectProblem(await submit({ modelId, device: 'npu-a', suite: { preset: 'submission', minDurationMs: 1 } }), 400, 'suite.invalid');
    expect(refused.errors).toEqual([{ path: 'suite.minDurationMs', message: expect.stringMatching(/submission/) as unknown }]);
    const res = await submit({ modelId, device: 'npu-a', suite: { preset: 'quick', minDurationMs: 1 } });
    expect(res.statusCode, res.body).toBe(201);
    // quick is minQueryCount 128 and minDurationMs 10 000 (SUITE_PRESETS); only the duration was changed.
    expect((res.json() as { suite: unknown }).suite).toMatchObject({ preset: 'custom', basedOn: 'quick', overriddenFields: ['minDurationMs'], minDurationMs: 1, minQueryCount: 128 });
  });

  it('validates the suite spec, the device and the model', async () => {
    const bad = expectProblem(await submit({ modelId, device: 'npu-a', suite: { minQueryCount: -1, bogus: true } }), 400, 'suite.invalid');
    expect(JSON.stringify(bad.errors)).toContain('suite');
    expectProblem(await submit({ modelId, device: 'no-such-npu' }), 404, 'device.not_found');
    expectProblem(await submit({ modelId: '00000000-0000-4000-8000-000000000000', device: 'npu-a' }), 404, 'model.not_found');
    expectProblem(await submit({ modelId: 'not-a-uuid', device: 'npu-a' }), 400, 'validation.failed');
  });
});

describe('POST /v1/jobs/:id/cancel', () => {
  it('cancels a queued job and removes it from the queue', async () => {
    const job = (await submit({ modelId, device: 'npu-a' })).json() as { id: string };
    expect(await queue.getJob(job.id)).toBeTruthy();
    const res = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: bearer(vendor.key) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: job.id, status: 'CANCELED', error: { code: 'job.canceled' } });
    expect(await queue.getJob(job.id)).toBeUndefined();
    expectProblem(await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: bearer(vendor.key) }), 409, 'job.already_finished');
  });

  it('lists jobs newest first with cursor pagination', async () => {
    const page1 = (await t.app.inject({ method: 'GET', url: '/v1/jobs?limit=2', headers: bearer(vendor.key) })).json() as { items: { id: string }[]; nextCursor: string };
    expect(page1.items).toHaveLength(2);
    const page2 = (await t.app.inject({ method: 'GET', url: `/v1/jobs?limit=2&cursor=${page1.nextCursor}`, headers: bearer(vendor.key) })).json() as { items: { id: string }[] };
    expect(page2.items.map((j) => j.id)).not.toContain(page1.items[0]!.id);
  });

  it('walks every job exactly once in that order, and the last page says so, even when it is full', async () => {
    for (let i = 0; i < 3; i++) await submit({ modelId, device: 'npu-a' });
    const expected = (await t.deps.db.job.findMany({ where: { orgId: vendor.orgId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { id: true } })).map((j) => j.id);
    expect(expected.length).toBeGreaterThan(2);
    const walk = async (limit: number) => {
      const ids: string[] = [];
      let pages = 0;
      for (let cursor: string | null = ''; cursor !== null && pages <= expected.length; pages++) {
        const res = await t.app.inject({ method: 'GET', url: `/v1/jobs?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, headers: bearer(vendor.key) });
        const page = res.json() as { items: { id: string }[]; nextCursor: string | null };
        ids.push(...page.items.map((j) => j.id));
        cursor = page.nextCursor;
      }
      return { ids, pages };
    };
    expect(await walk(2)).toEqual({ ids: expected, pages: Math.ceil(expected.length / 2) });
    // A page exactly as long as what is left is the last one: no cursor to an empty page.
    expect(await walk(expected.length)).toEqual({ ids: expected, pages: 1 });
  });
});
