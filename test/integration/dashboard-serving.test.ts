// The API serves the built dashboard: client-side routes answer with index.html, hashed assets are
// cached for good, API routes and unknown paths keep their problem+json answers, and without a build
// `/` explains how to make one.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { expectProblem } from '../helpers/problem.js';
import { ensureDashboardBuilt } from '../helpers/browser.js';
import { DEFAULT_DASHBOARD_DIR } from '../../src/api/plugins/dashboard.js';

let built: TestApi;
let notBuilt: TestApi;

beforeAll(async () => {
  await ensureDashboardBuilt();
  built = await startTestApi();
  notBuilt = await startTestApi({ env: { NPUBENCH_DASHBOARD_DIR: await createTempDir('no-dashboard') } });
}, 180_000);

describe('dashboard serving', () => {
  it('answers every client-side route with index.html under the security headers', async () => {
    for (const url of ['/', '/reports/0b8f3e55-5ad5-4c5e-9d47-1f4f0e0b1c2d', '/vendor/jobs', '/verify', '/lab']) {
      const res = await built.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
      expect(res.body).toContain('<div id="root"></div>');
    }
  });

  it('serves the hashed assets with a long cache lifetime', async () => {
    const asset = readdirSync(join(DEFAULT_DASHBOARD_DIR, 'assets')).find((f) => f.endsWith('.js'))!;
    const res = await built.app.inject({ method: 'GET', url: `/assets/${asset}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toMatch(/max-age=31536000.*immutable/);
  });

  it('serves the icon index.html links, at /favicon.ico too', async () => {
    expect(await built.app.inject({ method: 'GET', url: '/' }).then((r) => r.body)).toContain('<link rel="icon" href="/favicon.svg"');
    for (const url of ['/favicon.svg', '/favicon.ico']) {
      const res = await built.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
      expect(res.body).toMatch(/^<svg /);
    }
  });

  it('leaves API routes and unknown paths alone', async () => {
    expect((await built.app.inject({ method: 'GET', url: '/v1/leaderboard' })).statusCode).toBe(200);
    expectProblem(await built.app.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'route.not_found');
    expect((await built.app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
  });

  it('says how to build the dashboard when there is no build', async () => {
    const res = await notBuilt.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:dashboard');
    expect((await notBuilt.app.inject({ method: 'GET', url: '/v1/leaderboard' })).statusCode).toBe(200);
  });
});
