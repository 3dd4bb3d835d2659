// Device records: a PATCH changes only the fields it names.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';

let t: TestApi;
let admin: { key: string };

beforeAll(async () => {
  t = await startTestApi();
  admin = await t.createOrgWithKey('ADMIN');
});

describe('devices', () => {
  it('keeps unnamed fields on PATCH (no defaults re-applied)', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: bearer(admin.key),
      payload: { slug: 'npu-q', name: 'Q', manufacturer: 'Acme', executionProvider: 'qnn', backendOptions: { epOptions: { backendPath: 'libQnnHtp.so' } }, isPublic: false },
    });
    expect(created.statusCode, created.body).toBe(201);
    const patched = await t.app.inject({ method: 'PATCH', url: '/v1/devices/npu-q', headers: bearer(admin.key), payload: { name: 'Q2' } });
    expect(patched.json()).toMatchObject({ name: 'Q2', executionProvider: 'qnn', backendOptions: { epOptions: { backendPath: 'libQnnHtp.so' } }, isPublic: false, backendKind: 'onnxruntime' });
  });

  it('hides private devices from the public and refuses command power meters in the record', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/devices/npu-q' }), 404, 'device.not_found');
    expect((await t.app.inject({ method: 'GET', url: '/v1/devices/npu-q', headers: bearer(admin.key) })).statusCode).toBe(200);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: bearer(admin.key),
      payload: { slug: 'npu-cmd', name: 'C', manufacturer: 'Acme', powerMeter: { kind: 'command', command: '/bin/sh' } },
    });
    const problem = expectProblem(bad, 400, 'validation.failed');
    expect(JSON.stringify(problem.errors)).toContain('agent host');
  });
});
