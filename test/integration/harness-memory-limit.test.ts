// The harness child runs untrusted models and vendor runners under a memory limit that counts what
// Node's heap limit cannot see (native buffers, a runner process): a runner that keeps allocating is
// killed with its harness child, the job fails with `harness.memory_limit`, and the agent goes on.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { processTreeRssBytes } from '../../src/workers/agent/harness-process.js';

const MISBEHAVING = fileURLToPath(new URL('../fixtures/runners/misbehaving-runner.mjs', import.meta.url));
const LIMIT_MIB = 700;

let t: TestApi;
let vendor: { key: string };
let modelId: string;
let pidFile: string;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-hog', name: 'hog', manufacturer: 'test', backendKind: 'runner' } });
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-ok', name: 'ok', manufacturer: 'test' } });
  pidFile = join(await createTempDir('npubench-hog'), 'pids.json');
  await startTestAgent(t, ['npu-hog', 'npu-ok'], {
    harnessMemoryLimitBytes: LIMIT_MIB * 2 ** 20,
    runners: { 'npu-hog': { command: process.execPath, args: [MISBEHAVING, 'hog-memory'], env: { PID_FILE: pidFile } } },
  });
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
});

const submit = async (device: string) =>
  ((await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device, suite: { preset: 'smoke', dynamicDims: { batch: 1 } } } })).json() as { id: string }).id;

describe.skipIf(process.platform !== 'linux')('harness memory limit', () => {
  it('measures the resident memory of a process tree from /proc', async () => {
    const own = await processTreeRssBytes(process.pid);
    expect(own).toBeGreaterThan(10 * 2 ** 20);
    expect(await processTreeRssBytes(2 ** 22 + 12345)).toBeNull();
  });

  it('kills a run whose runner keeps allocating, fails the job with harness.memory_limit, and leaves no process behind', async () => {
    const failed = await waitForJob(t, await submit('npu-hog'), 120_000);
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'harness.memory_limit' });
    expect(failed.errorMessage).toMatch(new RegExp(`over the agent's limit of ${LIMIT_MIB} MiB`));
    const { runner } = JSON.parse(readFileSync(pidFile, 'utf8')) as { runner: number };
    for (let i = 0; i < 50 && existsSync(`/proc/${runner}`); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(`/proc/${runner}`)).toBe(false);
  });

  it('lets a normal run under the limit finish on the same agent', async () => {
    const done = await waitForJob(t, await submit('npu-ok'), 120_000);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('SUCCEEDED');
  });
});
