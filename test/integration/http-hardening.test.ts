// HTTP hardening: security headers on every answer, cross-origin access only for configured origins,
// and a per-IP budget of failed authentications after which the API answers 429.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { securityHeaders } from '../../src/api/plugins/security-headers.js';

let t: TestApi;
let vendor: { key: string };
const ALLOWED = 'https://dash.example.org';

beforeAll(async () => {
  t = await startTestApi({ env: { NPUBENCH_CORS_ORIGINS: ALLOWED, NPUBENCH_AUTH_FAILURE_LIMIT: '5' } });
  vendor = await t.createOrgWithKey('VENDOR');
});

describe('HTTP hardening', () => {
  it('sets security headers on JSON and problem answers', async () => {
    const answers = [
      await t.app.inject({ method: 'GET', url: '/healthz' }),
      await t.app.inject({ method: 'GET', url: '/v1/nope' }),
      await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer('npb_AAAAAAAA_' + 'C'.repeat(32)), remoteAddress: '203.0.113.9' }),
      await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(vendor.key) }),
    ];
    expect(answers.map((res) => res.statusCode)).toEqual([200, 404, 401, 200]);
    expect(Object.keys(securityHeaders()).length).toBeGreaterThanOrEqual(10);
    for (const res of answers) {
      // Every header helmet sets for our policy, with helmet's value.
      for (const [name, value] of Object.entries(securityHeaders())) expect(res.headers[name], name).toBe(value);
      expect(res.headers['x-request-id']).toBeTruthy();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toBeDefined();
    }
  });

  it('still serves the Swagger UI under its content security policy', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self' 'unsafe-inline'");
  });

  it('allows cross-origin calls from configured origins only', async () => {
    const preflight = (origin: string) =>
      t.app.inject({ method: 'OPTIONS', url: '/v1/devices', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect((await preflight(ALLOWED)).headers['access-control-allow-origin']).toBe(ALLOWED);
    expect((await preflight('https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined();
    const simple = await t.app.inject({ method: 'GET', url: '/v1/devices', headers: { origin: 'https://evil.example.com' } });
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers 429 with Retry-After after too many failed authentications from one address', async () => {
    const forged = 'npb_AAAAAAAA_' + 'B'.repeat(32);
    for (let i = 0; i < 5; i++) expectProblem(await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(forged), remoteAddress: '203.0.113.7' }), 401, 'auth.invalid_credentials');
    const blocked = await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(forged), remoteAddress: '203.0.113.7' });
    expectProblem(blocked, 429, 'auth.too_many_failures');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not affected, and successful calls never count.
    for (let i = 0; i < 10; i++) expect((await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(vendor.key), remoteAddress: '198.51.100.9' })).statusCode).toBe(200);
  });
});
