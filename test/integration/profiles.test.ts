// Certification profiles over HTTP: public reading, lab-only creation, immutability, and the dry-run
// evaluation of a report produced by a real agent.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { ensureBuiltInProfiles } from '../../src/services/certificates/profiles.js';

let t: TestApi;
let admin: { key: string };
let certifier: { key: string };
let vendor: { key: string };
let otherVendor: { key: string };

const profile = (overrides: Record<string, unknown> = {}) => ({
  name: 'edge-latency',
  version: 1,
  title: 'Edge latency',
  description: 'p99 under 20 ms over a minute.',
  rules: { scenario: 'single-stream', minDurationMs: 60_000, latency: { percentile: 99, maxMs: 20 } },
  validityDays: 180,
  ...overrides,
});

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER');
  vendor = await t.createOrgWithKey('VENDOR');
  otherVendor = await t.createOrgWithKey('VENDOR');
  await ensureBuiltInProfiles(t.deps.db);
});

describe('profiles', () => {
  it('has the built-in profiles after ensureBuiltInProfiles, which can run again', async () => {
    await ensureBuiltInProfiles(t.deps.db);
    const res = await t.app.inject({ method: 'GET', url: '/v1/profiles' });
    expect(res.statusCode).toBe(200);
    const ids = (res.json() as { items: { id: string }[] }).items.map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['vision-latency@1', 'quick-latency@1', 'smoke-latency@1']));
    const quick = await t.app.inject({ method: 'GET', url: '/v1/profiles/quick-latency@1' });
    expect(quick.json()).toMatchObject({
      id: 'quick-latency@1',
      name: 'quick-latency',
      version: 1,
      validityDays: 90,
      autoIssue: false,
      rules: { scenario: 'single-stream', minQueryCount: 128, minDurationMs: 10_000, requireValidResult: true, latency: { percentile: 90, maxMs: 100 } },
    });
  });

  it('lets the lab create a profile, once per version, and nobody else', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(certifier.key), payload: profile() });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ id: 'edge-latency@1', validityDays: 180, autoIssue: false, rules: profile().rules });
    const fetched = await t.app.inject({ method: 'GET', url: '/v1/profiles/edge-latency@1' });
    expect(fetched.json()).toMatchObject({ id: 'edge-latency@1', title: 'Edge latency' });

    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(admin.key), payload: profile({ title: 'changed' }) }), 409, 'profile.exists');
    const v2 = await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(admin.key), payload: profile({ version: 2, autoIssue: true }) });
    expect(v2.statusCode).toBe(201);
    expect(v2.json()).toMatchObject({ id: 'edge-latency@2', autoIssue: true });

    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(vendor.key), payload: profile({ version: 3 }) }), 403, 'auth.forbidden_role');
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/profiles', payload: profile({ version: 3 }) }), 401, 'auth.missing_credentials');
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/profiles/edge-latency@3' }), 404, 'profile.not_found');
  });

  it('documents the routes in the OpenAPI document', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(Object.keys((res.json() as { paths: Record<string, unknown> }).paths)).toEqual(
      expect.arrayContaining(['/v1/profiles', '/v1/profiles/{id}', '/v1/profiles/{id}/evaluate']),
    );
  });

  it('rejects invalid rules and names with problem+json', async () => {
    for (const payload of [
      profile({ name: 'bad-rules', rules: { minQueryCount: 10, maxTemperatureC: 80 } }),
      profile({ name: 'no-rules', rules: {} }),
      profile({ name: 'odd-percentile', rules: { latency: { percentile: 80, maxMs: 10 } } }),
      profile({ name: 'Upper-Case' }),
      profile({ name: 'too-long-validity', validityDays: 1826 }),
    ]) {
      const body = expectProblem(await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(certifier.key), payload }), 400, 'validation.failed');
      expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/^body/) })]));
    }
  });
});

describe('evaluating a stored report (dry run)', () => {
  let reportId: string;

  beforeAll(async () => {
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-test', name: 'CPU', manufacturer: 'test' } });
    await startTestAgent(t, ['cpu-test']);
    const model = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
    const job = (
      await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: (model.json() as { id: string }).id, device: 'cpu-test', suite: { preset: 'smoke' } } })
    ).json() as { id: string };
    const done = await waitForJob(t, job.id);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('SUCCEEDED');
    reportId = (await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } })).id;
  });

  const evaluate = (id: string, key: string | null, body: unknown = { reportId }) =>
    t.app.inject({ method: 'POST', url: `/v1/profiles/${id}/evaluate`, headers: key ? bearer(key) : {}, payload: body as Record<string, unknown> });

  it('passes the smoke profile and fails vision-latency, line by line, issuing nothing', async () => {
    const smoke = await evaluate('smoke-latency@1', vendor.key);
    expect(smoke.statusCode, smoke.body).toBe(200);
    expect(smoke.json()).toEqual({
      profileId: 'smoke-latency@1',
      reportId,
      verdict: 'PASS',
      rules: [{ rule: 'minQueryCount', passed: true, expected: 'queries ≥ 32', actual: expect.stringMatching(/^queries = \d+$/), reason: 'met' }],
    });

    const vision = (await evaluate('vision-latency@1', vendor.key)).json() as { verdict: string; rules: { rule: string; passed: boolean; actual: string }[] };
    expect(vision.verdict).toBe('FAIL');
    expect(vision.rules.map((r) => r.rule)).toEqual(['scenario', 'minQueryCount', 'minDurationMs', 'requireValidResult', 'requireEarlyStopping', 'latency']);
    expect(vision.rules.find((r) => r.rule === 'minDurationMs')).toMatchObject({ passed: false, actual: expect.stringMatching(/^duration = \d+\.\d{3} s$/) });
    expect(vision.rules.find((r) => r.rule === 'latency')).toMatchObject({ passed: true, actual: expect.stringMatching(/^p90 = \d+\.\d{3} ms$/) });

    // The lab sees every report; a dry run stores no certificate.
    expect((await evaluate('smoke-latency@1', certifier.key)).json()).toMatchObject({ verdict: 'PASS' });
    expect(await t.deps.db.certificate.count()).toBe(0);
  });

  it('reports peak RSS from the stored resource usage and fails what the report did not measure', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/profiles',
      headers: bearer(certifier.key),
      payload: profile({ name: 'measured-and-not', rules: { maxPeakRssMb: 65_536, power: { required: true }, accuracy: { minRelativeToReference: 0.99 } } }),
    });
    expect(created.statusCode).toBe(201);
    const body = (await evaluate('measured-and-not@1', vendor.key)).json() as { verdict: string; rules: { rule: string; passed: boolean; actual: string; reason: string }[] };
    expect(body.verdict).toBe('FAIL');
    expect(body.rules).toEqual([
      expect.objectContaining({ rule: 'maxPeakRssMb', passed: true, actual: expect.stringMatching(/^peak RSS = \d+\.\d MiB$/) }),
      expect.objectContaining({ rule: 'power', passed: false, actual: 'not measured', reason: 'power not measured: no power meter is configured for this device' }),
      expect.objectContaining({ rule: 'accuracy', passed: false, actual: 'not measured', reason: 'accuracy not measured: the report has no accuracy pass against a reference model' }),
    ]);
  });

  it('hides reports the caller cannot see and needs a signed-in user', async () => {
    expectProblem(await evaluate('smoke-latency@1', otherVendor.key), 404, 'report.not_found');
    expectProblem(await evaluate('smoke-latency@1', null), 401, 'auth.missing_credentials');
    expectProblem(await evaluate('no-such-profile@1', vendor.key), 404, 'profile.not_found');
    expectProblem(await evaluate('smoke-latency@1', vendor.key, { reportId: 'not-a-uuid' }), 400, 'validation.failed');
    expectProblem(await evaluate('smoke-latency', vendor.key), 400, 'validation.failed');
  });
});
