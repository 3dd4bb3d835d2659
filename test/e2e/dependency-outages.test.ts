// Dependency outages under traffic, with private servers (a Postgres cluster and a redis-server of this
// file's own, never the shared ones): while Postgres is down the API answers 503 problem+json
// `database.unavailable` with Retry-After, and it recovers by itself when Postgres is back; while Redis
// is down job submissions fail fast with 503 `queue.unavailable` (leaving no orphaned job), reads that
// need only Postgres go on, and the agent reconnects and runs jobs once Redis is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { applyMigrations } from '../../src/lib/migrations.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/lib/redis.js';

interface Answer {
  at: number;
  status: number;
  code?: string;
  contentType: string;
  retryAfter: string | null;
  ms: number;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  return { at: started, status: res.status, ...(code !== undefined && { code }), contentType: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(process.platform !== 'linux')('Postgres outage', () => {
  let pg: PrivatePostgres;
  let t: TestApi;
  let vendor: { key: string };

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    await applyMigrations(pg.url);
    t = await startTestApi({ listen: true, databaseUrl: pg.url });
    vendor = await t.createOrgWithKey('VENDOR');
  }, 180_000);
  afterAll(async () => pg?.destroy());

  it('answers 503 database.unavailable with Retry-After while Postgres is down, and recovers without a restart', { timeout: 240_000 }, async () => {
    const answers: Answer[] = [];
    let traffic = true;
    const loop = (async () => {
      while (traffic) {
        answers.push(await call(`${t.url}/v1/models`, { headers: bearer(vendor.key) }));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await until('traffic to flow', async () => answers.filter((a) => a.status === 200).length >= 5);

    const stoppedAt = Date.now();
    await pg.stop();
    const downSince = Date.now();
    await until('answers while Postgres is down', async () => answers.filter((a) => a.at > downSince).length >= 10);
    const ready = await call(`${t.url}/readyz`);
    expect(ready).toMatchObject({ status: 503, code: 'service.not_ready' });

    const restartAt = Date.now();
    await pg.start();
    const upSince = Date.now();
    await until('the API to serve again', async () => answers.some((a) => a.at > upSince && a.status === 200));
    traffic = false;
    await loop;

    const whileDown = answers.filter((a) => a.at > downSince && a.at + a.ms < restartAt);
    expect(whileDown.length).toBeGreaterThanOrEqual(10);
    for (const a of whileDown) {
      expect(a).toMatchObject({ status: 503, code: 'database.unavailable', retryAfter: '5' });
      expect(a.contentType).toMatch(/^application\/problem\+json/);
    }
    // Around the stop and the start a request may still succeed or already fail; never a 500.
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    expect(answers.filter((a) => a.at > stoppedAt && a.status === 503).every((a) => a.code === 'database.unavailable')).toBe(true);
    expect((await call(`${t.url}/readyz`)).status).toBe(200);
  });
});

describe('Redis outage', () => {
  let redis: PrivateRedis;
  let port: number;
  let t: TestApi;
  let vendor: { key: string };
  let modelId: string;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    port = Number(new URL(redis.url).port);
    t = await startTestApi({ listen: true, redisUrl: redis.url });
    const admin = await t.createOrgWithKey('ADMIN');
    vendor = await t.createOrgWithKey('VENDOR');
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-redis', name: 'NPU', manufacturer: 'test' } });
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
    modelId = (up.json() as { id: string }).id;
    await startTestAgent(t, ['npu-redis']);
  }, 180_000);
  afterAll(async () => redis?.stop());

  const submit = () =>
    call(`${t.url}/v1/jobs`, { method: 'POST', headers: { ...bearer(vendor.key), 'content-type': 'application/json' }, body: JSON.stringify({ modelId, device: 'npu-redis', suite: { preset: 'smoke' } }) });

  it('fails submissions fast with 503 queue.unavailable while Redis is down, and the agent reconnects after', { timeout: 240_000 }, async () => {
    const before = await submit();
    expect(before.status).toBe(201);
    const first = await t.deps.db.job.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    expect((await waitForJob(t, first.id, 120_000)).status).toBe('SUCCEEDED');

    await redis.stop();
    const jobsBefore = await t.deps.db.job.count();
    for (let i = 0; i < 3; i++) {
      const down = await submit();
      expect(down).toMatchObject({ status: 503, code: 'queue.unavailable', retryAfter: '5' });
      expect(down.contentType).toMatch(/^application\/problem\+json/);
      // Fail fast: the producer connection neither queues commands offline nor retries them for long.
      expect(down.ms).toBeLessThan(15_000);
    }
    expect(await t.deps.db.job.count()).toBe(jobsBefore); // no job left behind that no queue holds
    expect((await call(`${t.url}/v1/models`, { headers: bearer(vendor.key) })).status).toBe(200); // Postgres-only reads go on
    expect(await call(`${t.url}/readyz`)).toMatchObject({ status: 503, code: 'service.not_ready' });

    redis = await startPrivateRedis('redis-server', port); // empty, as after a crash without persistence
    await until('the API to reach Redis again', async () => (await call(`${t.url}/readyz`)).status === 200);
    const after = await submit();
    expect(after.status).toBe(201);
    const job = await t.deps.db.job.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    expect((await waitForJob(t, job.id, 120_000)).status).toBe('SUCCEEDED');
  });
});
