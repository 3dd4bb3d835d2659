// `npubench submit` checks what it can before it uploads: the device, the suite spec and the flags. A
// refused submit stores nothing (no model row, no file in the artifact store). The saved login works
// with or without a trailing slash on --api-url, and an API that does not answer is named as such.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { freePort, runNpubench } from '../helpers/processes.js';

const DEVICE = 'npu-check';
const RUNNER_DEVICE = 'npu-check-runner';

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

describe('npubench submit checks before it uploads', () => {
  let t: TestApi;
  let vendorKey: string;
  let noLogin: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApi({ listen: true });
    const admin = await t.createOrgWithKey('ADMIN');
    vendorKey = (await t.createOrgWithKey('VENDOR')).key;
    for (const payload of [
      { slug: DEVICE, name: 'NPU', manufacturer: 'test' },
      { slug: RUNNER_DEVICE, name: 'NPU behind a runner', manufacturer: 'test', backendKind: 'runner' },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload });
      expect(res.statusCode, res.body).toBe(201);
    }
    // No saved login of this checkout's ./data may leak in.
    noLogin = { NPUBENCH_DATA_DIR: await createTempDir('npubench-submit-nologin') };
  });

  /** What the API stored, read from the database and the artifact store folder, not through the API. */
  const stored = async () => ({ models: await t.deps.db.model.count(), files: await filesUnder(t.deps.config.artifactDir) });

  let attempt = 0;
  async function refused(extra: string[], stderrPattern: RegExp) {
    const before = await stored();
    // A name of its own each time: an upload would make a new model row, never reuse an earlier one.
    const args = ['submit', fixtureModel('mlp-classifier.onnx'), '--name', `refused-${++attempt}`, ...extra, '--api-url', t.url, '--api-key', vendorKey];
    const res = await runNpubench(args, noLogin);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stderr).toMatch(stderrPattern);
    expect(res.stdout).not.toMatch(/Upload/);
    expect(await stored()).toEqual(before);
    return res;
  }

  it('refuses an unknown device, naming it, and uploads nothing', async () => {
    const res = await refused(['--device', 'no-such-npu', '--preset', 'smoke'], /no-such-npu/);
    expect(res.stderr).toContain(DEVICE); // the devices there are
    expect((await stored()).models).toBe(0);
  });

  it('refuses --suite that is not JSON, naming --suite, and uploads nothing', async () => {
    await refused(['--device', DEVICE, '--suite', '{"minQueryCount":'], /--suite/);
  });

  it('refuses an invalid suite spec, naming --suite and the field, and uploads nothing', async () => {
    const res = await refused(['--device', DEVICE, '--suite', '{"minQueryCount":-5}'], /--suite/);
    expect(res.stderr).toMatch(/minQueryCount/);
  });

  it('refuses flags that cannot work before uploading the model', async () => {
    await refused(['--device', DEVICE, '--reference', '/nonexistent/reference.onnx'], /\/nonexistent\/reference\.onnx/);
    await refused(['--device', DEVICE, '--suite', '{"accuracy":{"gate":{"minRelativeScore":0.99}}}'], /--reference/);
  });

  it('submits accuracy to a runner device (fidelity and MMLU run through runners since #16)', async () => {
    const res = await runNpubench(['submit', fixtureModel('mlp-classifier.onnx'), '--name', 'to-runner', '--device', RUNNER_DEVICE, '--preset', 'smoke', '--reference', fixtureModel('mlp-classifier.onnx'), '--no-wait', '--api-url', t.url, '--api-key', vendorKey], noLogin);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`Submitted job \\S+ to ${RUNNER_DEVICE}`));
    const job = await t.deps.db.job.findFirstOrThrow({ where: { device: { slug: RUNNER_DEVICE } } });
    expect((job.suite as { accuracy?: { reference?: unknown } }).accuracy?.reference).toBeDefined();
  });

  it('uses the saved login whether or not --api-url ends in a slash', async () => {
    for (const [saved, flag] of [
      [t.url, `${t.url}/`],
      [`${t.url}/`, t.url],
    ]) {
      const dataDir = await createTempDir('npubench-submit-login');
      await writeFile(join(dataDir, 'cli-credentials.json'), JSON.stringify({ apiUrl: saved, apiKey: vendorKey }));
      const res = await runNpubench(['submit', fixtureModel('mlp-classifier.onnx'), '--device', DEVICE, '--preset', 'smoke', '--no-wait', '--api-url', flag!], { NPUBENCH_DATA_DIR: dataDir });
      expect(res.code, res.stdout + res.stderr).toBe(0);
      expect(res.stdout).toMatch(/Submitted job \S+ to npu-check/);
    }
  });

  it('says the API cannot be reached, with its URL, instead of asking for a key', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const res = await runNpubench(['submit', fixtureModel('mlp-classifier.onnx'), '--device', DEVICE, '--api-url', url], noLogin);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stderr).toContain(url);
    expect(res.stderr).not.toMatch(/No API key/);
  });
});
