// The audit log: security-relevant actions are recorded with the acting key and the request id, and
// only admins can read them.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';

let t: TestApi;
let admin: { key: string; keyId: string };
let certifier: { key: string; keyId: string };

beforeAll(async () => {
  t = await startTestApi();
  admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER');
});

const as = (key: string, requestId: string) => ({ ...bearer(key), 'x-request-id': requestId });

describe('audit log', () => {
  it('records who created and revoked keys, devices, agents and profiles, from which request', async () => {
    const org = (await t.app.inject({ method: 'POST', url: '/v1/orgs', headers: as(admin.key, 'req-org'), payload: { slug: 'acme', name: 'Acme', kind: 'VENDOR' } })).json() as { id: string };
    const key = (await t.app.inject({ method: 'POST', url: `/v1/orgs/${org.id}/keys`, headers: as(admin.key, 'req-key'), payload: { name: 'ci', role: 'VENDOR' } })).json() as { id: string; token: string };
    expect((await t.app.inject({ method: 'POST', url: `/v1/keys/${key.id}/revoke`, headers: as(admin.key, 'req-revoke') })).statusCode).toBe(204);
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: as(admin.key, 'req-device'), payload: { slug: 'npu-audit', name: 'NPU', manufacturer: 'Acme' } });
    await t.app.inject({ method: 'PATCH', url: '/v1/devices/npu-audit', headers: as(certifier.key, 'req-patch'), payload: { name: 'NPU v2' } });
    await t.app.inject({ method: 'POST', url: '/v1/agents', headers: as(admin.key, 'req-agent'), payload: { name: 'rack-1', devices: ['npu-audit'] } });
    const profile = await t.app.inject({
      method: 'POST',
      url: '/v1/profiles',
      headers: as(certifier.key, 'req-profile'),
      payload: { name: 'audit-test', version: 1, title: 'Audit test', description: 'x', rules: { minQueryCount: 1 }, validityDays: 1 },
    });
    expect(profile.statusCode, profile.body).toBe(201);

    const res = await t.app.inject({ method: 'GET', url: '/v1/audit?limit=50', headers: bearer(admin.key) });
    expect(res.statusCode).toBe(200);
    const events = (res.json() as { items: { action: string; actorType: string; actorId: string; requestId: string; subjectId: string; details: Record<string, unknown> }[] }).items.reverse();
    expect(events.map((e) => [e.action, e.requestId])).toEqual([
      ['organization.created', 'req-org'],
      ['api_key.created', 'req-key'],
      ['api_key.revoked', 'req-revoke'],
      ['device.created', 'req-device'],
      ['device.updated', 'req-patch'],
      ['agent.created', 'req-agent'],
      ['profile.created', 'req-profile'],
    ]);
    expect(events[2]).toMatchObject({ actorType: 'api_key', actorId: admin.keyId, subjectId: key.id });
    expect(events[4]).toMatchObject({ actorId: certifier.keyId, details: { fields: ['name'] } });
    // No secret ever reaches the log.
    expect(JSON.stringify(events)).not.toContain(key.token);
  });

  it('is readable by admins only', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/audit', headers: bearer(certifier.key) }), 403, 'auth.forbidden_role');
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/audit' }), 401, 'auth.missing_credentials');
  });
});
