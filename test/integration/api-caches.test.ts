// The API's in-process caches (valid API keys and agent tokens, serialised report answers) must never answer with what
// Postgres no longer says: revocations and changes made outside this process (another replica, the
// CLI, SQL) arrive through the triggers' notifications, and without a live listener nothing is cached.
import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createApiKey, revokeApiKey } from '../../src/services/orgs/api-keys.js';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { createAgent, rotateAgentToken } from '../../src/services/agents/agents.js';
import { CacheInvalidation } from '../../src/lib/cache-invalidation.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { join } from 'node:path';

let t: TestApi;
let admin: { key: string };
let vendor: { key: string; orgId: string };
let reportId: string;

/** Polls until `check` holds: notifications are asynchronous, but arrive within milliseconds. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const getReport = (key?: string) => t.app.inject({ method: 'GET', url: `/v1/reports/${reportId}`, headers: key ? bearer(key) : {} });

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-cache', name: 'Acme NPU 1', manufacturer: 'Acme' } });
  await startTestAgent(t, ['npu-cache']);
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  const modelId = (up.json() as { id: string }).id;
  const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'npu-cache', suite: { preset: 'smoke' } } })).json() as { id: string };
  expect((await waitForJob(t, job.id)).status).toBe('SUCCEEDED');
  reportId = (await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } })).id;
});

describe('API key cache', () => {
  it('rejects a key revoked outside this process once the notification arrives', async () => {
    const victim = await t.createOrgWithKey('VENDOR');
    expect((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(victim.key) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(victim.key) })).statusCode).toBe(200); // now cached
    // As the CLI or another replica would: straight to the database, no call into this app.
    await revokeApiKey(t.deps.db, victim.keyId);
    await eventually(async () => (await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(victim.key) })).statusCode === 401);
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(victim.key) }), 401, 'auth.key_revoked');
  });

  it('rejects a key revoked through this API at once', async () => {
    const victim = await t.createOrgWithKey('VENDOR');
    for (let i = 0; i < 2; i++) expect((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(victim.key) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: `/v1/keys/${victim.keyId}/revoke`, headers: bearer(admin.key) })).statusCode).toBe(204);
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(victim.key) }), 401, 'auth.key_revoked');
  });
});

/** GET over one keep-alive connection (the agent holds a single socket), as a browser or SDK would. */
function overOneConnection() {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, key: string) =>
    new Promise<{ status: number; code?: string; reusedSocket: boolean }>((resolve, reject) => {
      const req = httpRequest(`${t.url}${path}`, { agent, headers: bearer(key) }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, code: res.statusCode === 200 ? undefined : (JSON.parse(body) as { code: string }).code, reusedSocket: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end();
    });
  return { get, close: () => agent.destroy() };
}

describe('API key known to a keep-alive connection', () => {
  it('is refused on that same connection from the next request once it is revoked', async () => {
    const victim = await createApiKey(t.deps.db, { orgId: vendor.orgId, role: 'VENDOR', name: 'keep-alive victim' });
    const connection = overOneConnection();
    try {
      // Checked through the database, then through the cache, then known to the connection.
      for (let i = 0; i < 3; i++) expect(await connection.get(`/v1/reports/${reportId}`, victim.token)).toMatchObject({ status: 200 });
      expect(await connection.get('/v1/me', victim.token)).toMatchObject({ status: 200, reusedSocket: true });
      await revokeApiKey(t.deps.db, victim.id);
      await eventually(async () => (await connection.get(`/v1/reports/${reportId}`, victim.token)).status === 401);
      expect(await connection.get(`/v1/reports/${reportId}`, victim.token)).toEqual({ status: 401, code: 'auth.key_revoked', reusedSocket: true });
      expect(await connection.get('/v1/me', victim.token)).toEqual({ status: 401, code: 'auth.key_revoked', reusedSocket: true });
    } finally {
      connection.close();
    }
  });

  it('never answers another key on the same connection as the key it knows', async () => {
    const stranger = await t.createOrgWithKey('VENDOR');
    const connection = overOneConnection();
    try {
      for (let i = 0; i < 3; i++) {
        expect(await connection.get(`/v1/reports/${reportId}`, vendor.key)).toMatchObject({ status: 200 });
        // The private report stays hidden from the other organisation's key, and a forged key is refused.
        expect(await connection.get(`/v1/reports/${reportId}`, stranger.key)).toMatchObject({ status: 404, code: 'report.not_found', reusedSocket: true });
        expect(await connection.get(`/v1/reports/${reportId}`, `${vendor.key.slice(0, -1)}${vendor.key.endsWith('A') ? 'B' : 'A'}`)).toMatchObject({ status: 401, code: 'auth.invalid_credentials' });
      }
    } finally {
      connection.close();
    }
  });
});

describe('agent token cache', () => {
  it('rejects a revoked agent, and an old agent token after rotation, once the notification arrives', async () => {
    const { id, token } = await createAgent(t.deps.db, { name: 'cache-agent', devices: ['npu-cache'] });
    const heartbeat = (tok: string) => t.app.inject({ method: 'POST', url: '/v1/agent/heartbeat', headers: bearer(tok) });
    for (let i = 0; i < 2; i++) expect((await heartbeat(token)).statusCode).toBe(204);
    const rotated = await rotateAgentToken(t.deps.db, id);
    await eventually(async () => (await heartbeat(token)).statusCode === 401);
    expect((await heartbeat(rotated)).statusCode).toBe(204);
    // Heartbeats update the row too; they must not be what evicts the token.
    await t.deps.db.agent.update({ where: { id }, data: { revokedAt: new Date() } });
    await eventually(async () => (await heartbeat(rotated)).statusCode === 401);
    expectProblem(await heartbeat(rotated), 401, 'auth.agent_revoked');
  });
});

describe('report answer cache', () => {
  it('answers the same bytes as a fresh read, and applies the visibility rule to cached answers', async () => {
    const first = await getReport(vendor.key);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    const second = await getReport(vendor.key);
    expect(second.body).toBe(first.body);
    expect(second.json()).toMatchObject({ id: reportId, orgId: vendor.orgId, device: { slug: 'npu-cache', name: 'Acme NPU 1' }, rawSamplesUrl: `/v1/reports/${reportId}/raw-samples` });
    // The report is private: the cache holds it now, and still nobody else may read it.
    const other = await t.createOrgWithKey('VENDOR');
    expectProblem(await getReport(other.key), 404, 'report.not_found');
    expectProblem(await getReport(), 404, 'report.not_found');
    expect((await getReport(admin.key)).statusCode).toBe(200);
  });

  it('shows a device renamed after the answer was cached', async () => {
    expect((await getReport(vendor.key)).json()).toMatchObject({ device: { name: 'Acme NPU 1' } });
    const patched = await t.app.inject({ method: 'PATCH', url: '/v1/devices/npu-cache', headers: bearer(admin.key), payload: { name: 'Acme NPU 1 rev B' } });
    expect(patched.statusCode).toBe(200);
    await eventually(async () => ((await getReport(vendor.key)).json() as { device: { name: string } }).device.name === 'Acme NPU 1 rev B');
  });

  it('follows a change made with plain SQL (a report made public by an operator)', async () => {
    expectProblem(await getReport(), 404, 'report.not_found');
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      await client.query(`UPDATE reports SET visibility = 'PUBLIC' WHERE id = $1`, [reportId]);
      await eventually(async () => (await getReport()).statusCode === 200);
      await client.query(`UPDATE reports SET visibility = 'PRIVATE' WHERE id = $1`, [reportId]);
      await eventually(async () => (await getReport()).statusCode === 404);
    } finally {
      await client.end();
    }
  });
});

describe('cache invalidation listener', () => {
  it('is live while listening, and after close() a cache serves nothing', async () => {
    const listener = new CacheInvalidation(t.databaseUrl, createLogger('silent'));
    await listener.start();
    expect(listener.live).toBe(true);
    const seen: string[] = [];
    listener.on('change', (table, id) => seen.push(`${table}:${id}`));
    const victim = await t.createOrgWithKey('VENDOR');
    await revokeApiKey(t.deps.db, victim.keyId);
    await eventually(async () => seen.includes(`api_keys:${victim.keyId}`));
    await listener.close();
    expect(listener.live).toBe(false);
  });

  it('stays off on a database that accepts LISTEN but does not deliver other sessions\' notifications (PGlite over its socket)', async () => {
    // PGlite served over pglite-socket (and PgBouncer in transaction mode) behave like this.
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const db = await PGlite.create(join(await createTempDir('npubench-pglite'), 'pglite'));
    const socket = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
    await socket.start();
    try {
      const listener = new CacheInvalidation(`postgresql://postgres:postgres@${socket.getServerConn()}/postgres`, createLogger('silent'));
      await listener.start();
      expect(listener.live).toBe(false);
      await listener.close();
    } finally {
      await socket.stop();
      await db.close();
    }
  });

  it('stays off, without failing, when it cannot connect', async () => {
    const url = new URL(t.databaseUrl);
    url.pathname = '/npubench_no_such_database';
    const listener = new CacheInvalidation(url.toString(), createLogger('silent'));
    await listener.start();
    expect(listener.live).toBe(false);
    await listener.close();
  });
});
