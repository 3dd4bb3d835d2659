import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm, fixtureModel, modelForm } from '../helpers/fixtures.js';

const LIMIT = 200_000;
let t: TestApi;
let vendor: { key: string };

beforeAll(async () => {
  t = await startTestApi({ env: { NPUBENCH_MAX_UPLOAD_BYTES: String(LIMIT) } });
  vendor = await t.createOrgWithKey('VENDOR');
});

async function storedFiles(): Promise<string[]> {
  const root = t.deps.config.artifactDir;
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else out.push(join(dir, e.name));
    }
  };
  await walk(root);
  return out;
}

async function expectNothingStored() {
  expect(await t.deps.db.artifact.count()).toBe(0);
  expect(await t.deps.db.model.count()).toBe(0);
  expect(await storedFiles()).toEqual([]);
}

const upload = (form: FormData, key = vendor.key) => t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(key), payload: form });

describe('POST /v1/models rejects bad uploads and stores nothing', () => {
  it('refuses a file over the size limit with 413', async () => {
    expectProblem(await upload(bytesForm(randomBytes(LIMIT + 10), 'big.onnx')), 413, 'upload.too_large');
    await expectNothingStored();
  });

  it('refuses random bytes, text and an empty file as not ONNX', async () => {
    expectProblem(await upload(bytesForm(randomBytes(5000), 'noise.onnx')), 422, 'model.invalid_onnx');
    expectProblem(await upload(bytesForm(new TextEncoder().encode('hello, I am not a model\n'.repeat(50)), 'readme.onnx')), 422, 'model.invalid_onnx');
    expectProblem(await upload(bytesForm(new Uint8Array(0), 'empty.onnx')), 400, 'model.empty');
    await expectNothingStored();
  });

  it('refuses a truncated real model', async () => {
    const bytes = await readFile(fixtureModel('mlp-classifier.onnx'));
    expectProblem(await upload(bytesForm(bytes.subarray(0, Math.floor(bytes.length / 2)), 'cut.onnx')), 422, 'model.invalid_onnx');
    await expectNothingStored();
  });

  it('refuses requests that are not multipart, have no file, or two files', async () => {
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: { name: 'x' } }), 415, 'upload.not_multipart');
    const noFile = new FormData();
    noFile.set('name', 'x');
    expectProblem(await upload(noFile), 400, 'upload.missing_file');
    const bad = modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'bad name!' });
    expectProblem(await upload(bad), 400, 'validation.failed');
    await expectNothingStored();
  });

  it('refuses a model that needs external data files', async () => {
    expectProblem(await upload(modelForm(fixtureModel('tiny-cnn-external-data.onnx'))), 422, 'model.external_data_unsupported');
    await expectNothingStored();
  });
});

describe('POST /v1/models accepts a real model', () => {
  it('stores it content-addressed with its I/O signature', async () => {
    const path = fixtureModel('mlp-classifier.onnx');
    const bytes = await readFile(path);
    const res = await upload(modelForm(path, { name: 'mlp', version: '1.0', task: 'classification' }));
    expect(res.statusCode, res.body).toBe(201);
    const model = res.json() as { id: string; artifactDigest: string; sizeBytes: number; visibility: string; signature: { inputs: { name: string }[]; outputs: { name: string }[] } };
    expect(model.artifactDigest).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(model.sizeBytes).toBe(bytes.length);
    expect(model.visibility).toBe('PRIVATE');
    expect(model.signature.inputs.map((i) => i.name)).toEqual(['input']);
    expect(model.signature.outputs.map((o) => o.name)).toEqual(['probabilities']);
    const files = await storedFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toContain(model.artifactDigest);

    const again = await upload(modelForm(path, { name: 'mlp', version: '1.0' }));
    expectProblem(again, 409, 'model.exists');
    const v2 = await upload(modelForm(path, { name: 'mlp', version: '2.0' }));
    expect(v2.statusCode).toBe(201);
    expect(await t.deps.db.artifact.count()).toBe(1); // same bytes, stored once

    const list = await t.app.inject({ method: 'GET', url: '/v1/models?name=mlp&version=2.0', headers: bearer(vendor.key) });
    expect((list.json() as { items: unknown[] }).items).toHaveLength(1);
    const one = await t.app.inject({ method: 'GET', url: `/v1/models/${model.id}`, headers: bearer(vendor.key) });
    expect(one.json()).toMatchObject({ id: model.id, name: 'mlp', version: '1.0' });
  });
});
