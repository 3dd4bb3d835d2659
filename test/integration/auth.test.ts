import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { revokeApiKey } from '../../src/services/orgs/api-keys.js';
import { createAgent } from '../../src/services/agents/agents.js';

let t: TestApi;
let admin: { key: string };
let vendor: { key: string; keyId: string };

beforeAll(async () => {
  t = await startTestApi();
  admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
});

describe('authentication', () => {
  it('rejects a request without a key', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/models' });
    expectProblem(res, 401, 'auth.missing_credentials');
  });

  it('rejects an unknown key, a malformed header and a key of the wrong shape', async () => {
    const forged = 'npb_AAAAAAAA_' + 'A'.repeat(32);
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(forged) }), 401, 'auth.invalid_credentials');
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer('garbage') }), 401, 'auth.invalid_credentials');
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Basic abc' } }), 401, 'auth.malformed_header');
  });

  it('rejects a key whose secret part was altered', async () => {
    const altered = vendor.key.slice(0, -1) + (vendor.key.endsWith('A') ? 'B' : 'A');
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(altered) }), 401, 'auth.invalid_credentials');
  });

  it('accepts a valid key and stores only its hash', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(vendor.key) });
    expect(res.statusCode).toBe(200);
    const stored = await t.deps.db.apiKey.findUniqueOrThrow({ where: { id: vendor.keyId } });
    // The key is npb_<8-char id>_<32-char secret>, both base64url, so either part may contain '_':
    // take the parts by position, not by splitting on '_'.
    expect(vendor.key).toMatch(/^npb_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{32}$/);
    const secret = vendor.key.slice(-32);
    expect(stored.prefix).toBe(vendor.key.slice(0, 12));
    expect(stored.secretHash).toBe(createHash('sha256').update(vendor.key).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('rejects a revoked key', async () => {
    const victim = await t.createOrgWithKey('VENDOR');
    expect((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(victim.key) })).statusCode).toBe(200);
    const res = await t.app.inject({ method: 'POST', url: `/v1/keys/${victim.keyId}/revoke`, headers: bearer(admin.key) });
    expect(res.statusCode).toBe(204);
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(victim.key) }), 401, 'auth.key_revoked');
    await revokeApiKey(t.deps.db, victim.keyId); // revoking twice is harmless
  });

  it('enforces roles: a vendor cannot create devices, agents, organizations or keys', async () => {
    const device = { slug: 'npu-x', name: 'NPU X', manufacturer: 'Acme' };
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(vendor.key), payload: device }), 403, 'auth.forbidden_role');
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/agents', headers: bearer(vendor.key), payload: { name: 'a', devices: ['npu-x'] } }), 403, 'auth.forbidden_role');
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: bearer(vendor.key), payload: { slug: 'x', name: 'x', kind: 'VENDOR' } }), 403, 'auth.forbidden_role');
    const created = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: device });
    expect(created.statusCode).toBe(201);
  });

  it('keeps agent tokens and user keys apart', async () => {
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-y', name: 'NPU Y', manufacturer: 'Acme' } });
    const agent = await createAgent(t.deps.db, { name: 'agent-y', devices: ['npu-y'] });
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(agent.token) }), 401, 'auth.invalid_credentials');
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/agent/heartbeat', headers: bearer(vendor.key) }), 401, 'auth.invalid_agent_token');
    expect((await t.app.inject({ method: 'POST', url: '/v1/agent/heartbeat', headers: bearer(agent.token) })).statusCode).toBe(204);
    // An agent may only register for devices the lab assigned to it.
    const res = await t.app.inject({ method: 'POST', url: '/v1/agent/register', headers: bearer(agent.token), payload: { version: '1', hostname: 'h', devices: ['npu-x'] } });
    expectProblem(res, 403, 'agent.device_not_assigned');
  });

  it('answers unknown routes and invalid bodies with problem+json', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/nope' }), 404, 'route.not_found');
    const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: { ...bearer(admin.key), 'content-type': 'application/json' }, payload: '{"slug":' });
    expectProblem(res, 400, 'request.invalid_json');
    const bad = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'Bad Slug', name: '', manufacturer: 'x', extra: 1 } });
    const body = expectProblem(bad, 400, 'validation.failed');
    expect(JSON.stringify(body.errors)).toContain('slug');
  });

  it('serves health, readiness and the OpenAPI document without a key', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/models', '/v1/jobs', '/v1/jobs/{id}/cancel', '/v1/reports/{id}', '/v1/devices']));
  });
});
