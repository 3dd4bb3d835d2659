// A text-lines dataset (npubench.text-lines/v1, the suite's ocr-text-lines@1) is a dataset kind a job can
// name: uploaded as one JSON file, checked (its rendered lines must hash to imagesSha256) before anything
// is stored, and refused where a job asks for it as another kind, or names a text-lines set as labelled inputs.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ocrTextLinesDataset } from '../../src/harness/index.js';
import { ocrSampleModels } from '../../src/lib/sample-models.js';
import { readFile } from 'node:fs/promises';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm } from '../helpers/fixtures.js';

let t: TestApi;
let vendor: { key: string };

beforeAll(async () => {
  t = await startTestApi();
  vendor = await t.createOrgWithKey('VENDOR');
}, 120_000);

const uploadDataset = (bytes: Uint8Array, filename: string) => t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendor.key), payload: bytesForm(bytes, filename, {}) });

describe('text-lines datasets', () => {
  it('stores the suite text lines as format text-lines under the sha256 of the file, and a job may name it', async () => {
    const file = Buffer.from(ocrTextLinesDataset());
    const res = await uploadDataset(file, 'ocr-text-lines.json');
    expect(res.statusCode, res.body).toBe(201);
    const dataset = res.json() as { ref: string; format: string; questionCount: number; subjects: unknown[] };
    expect(dataset).toMatchObject({ format: 'text-lines', questionCount: 48, subjects: [], ref: `sha256:${createHash('sha256').update(file).digest('hex')}` });

    const admin = await t.createOrgWithKey('ADMIN');
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-ocr', name: 'CPU', manufacturer: 'test' } });
    const model = (await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(await readFile(ocrSampleModels().recognition), 'rec.onnx', { name: 'ppocr-rec' }) })).json() as { id: string };
    const submit = (accuracy: unknown) => t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model.id, device: 'cpu-ocr', suite: { preset: 'smoke', dynamicDims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 192 }, accuracy } } });
    const accepted = await submit({ textRecognition: { dataset: dataset.ref } });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect((accepted.json() as { suite: { accuracy: { textRecognition: unknown } } }).suite.accuracy.textRecognition).toEqual({ dataset: dataset.ref, keys: 'builtin:ppocr-keys-v1' });
    // The same set named as labelled inputs is the wrong kind; an unknown key list is a bad spec.
    expectProblem(await submit({ classification: { dataset: dataset.ref } }), 422, 'dataset.wrong_format');
    expectProblem(await submit({ textRecognition: { dataset: dataset.ref, keys: '/etc/passwd' } }), 400, 'suite.invalid');
    expectProblem(await submit({ textRecognition: { dataset: `sha256:${'0'.repeat(64)}` } }), 404, 'dataset.not_found');
  }, 120_000);

  it('refuses a text-lines file whose lines do not render to its imagesSha256, and stores nothing', async () => {
    const before = await t.deps.db.dataset.count();
    const file = JSON.parse(ocrTextLinesDataset()) as { lines: { text: string }[] };
    file.lines[0] = { text: 'FORGED 1' };
    const body = expectProblem(await uploadDataset(Buffer.from(JSON.stringify(file)), 'forged.json'), 422, 'dataset.invalid_text_lines');
    expect(body.detail).toMatch(/hash to/);
    expect(await t.deps.db.dataset.count()).toBe(before);
  }, 120_000);
});
