// Divisions at upload (#17): a published suite's reference model, and a model that declares itself a
// variant of one (variantOf = the reference ONNX file's sha256, with the technique), are closed; any
// other model is open. The test finds the reference digests in the served catalog and hashes the
// fixture files itself.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import type { Model } from '../../src/contracts/models.js';

let t: TestApi;
let vendor: { key: string };
const sha256 = (file: string) => createHash('sha256').update(readFileSync(fixtureModel(file))).digest('hex');

beforeAll(async () => {
  t = await startTestApi();
  vendor = await t.createOrgWithKey('VENDOR');
}, 60_000);

async function upload(file: string, fields: Record<string, string>) {
  return t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel(file), fields) });
}

describe('model divisions', () => {
  let referenceDigest: string;
  beforeAll(async () => {
    const suite = (await t.app.inject({ method: 'GET', url: '/v1/suites/npubench-edge@1' })).json() as { workloads: { id: string; referenceModel: { files: { path: string; sha256: string }[] } }[] };
    const workload = suite.workloads.find((w) => w.id === 'image-classification')!;
    referenceDigest = workload.referenceModel.files[0]!.sha256;
    // The catalog's pin is the committed fixture's bytes.
    expect(referenceDigest).toBe(sha256('tiny-cnn.onnx'));
  });

  it('puts the reference and its declared INT8 variant in the closed division, under their workload', async () => {
    const ref = await upload('tiny-cnn.onnx', { name: 'ref' });
    expect(ref.statusCode, ref.body).toBe(201);
    expect(ref.json()).toMatchObject({ division: 'closed', suiteWorkload: 'npubench-edge@1/image-classification', variantOf: null, variantTechnique: null });
    const int8 = await upload('tiny-cnn-int8-qdq.onnx', { name: 'int8', variantOf: referenceDigest, variantTechnique: 'quantization' });
    expect(int8.statusCode, int8.body).toBe(201);
    const model = int8.json() as Model;
    expect(model).toMatchObject({ division: 'closed', suiteWorkload: 'npubench-edge@1/image-classification', variantOf: referenceDigest, variantTechnique: 'quantization' });
    // Read back as stored.
    expect((await t.app.inject({ method: 'GET', url: `/v1/models/${model.id}`, headers: bearer(vendor.key) })).json()).toMatchObject({ division: 'closed', variantOf: referenceDigest });
  });

  it('marks a model with no declared lineage, or a lineage to no suite reference, open', async () => {
    const plain = await upload('tiny-cnn-int8-qdq.onnx', { name: 'int8-undeclared' });
    expect(plain.json()).toMatchObject({ division: 'open', suiteWorkload: null, variantOf: null });
    const elsewhere = await upload('mlp-classifier-perturbed.onnx', { name: 'perturbed', variantOf: sha256('mlp-classifier.onnx'), variantTechnique: 'pruning' });
    expect(elsewhere.statusCode, elsewhere.body).toBe(201);
    expect(elsewhere.json()).toMatchObject({ division: 'open', suiteWorkload: null, variantOf: sha256('mlp-classifier.onnx'), variantTechnique: 'pruning' });
  });

  it('refuses half a lineage and a malformed digest before storing anything', async () => {
    const before = await t.deps.db.model.count();
    expectProblem(await upload('tiny-cnn.onnx', { name: 'half', variantOf: referenceDigest }), 400, 'validation.failed');
    expectProblem(await upload('tiny-cnn.onnx', { name: 'half2', variantTechnique: 'quantization' }), 400, 'validation.failed');
    expectProblem(await upload('tiny-cnn.onnx', { name: 'bad', variantOf: 'sha256:' + referenceDigest, variantTechnique: 'quantization' }), 400, 'validation.failed');
    expectProblem(await upload('tiny-cnn.onnx', { name: 'bad2', variantOf: referenceDigest, variantTechnique: 'magic' }), 400, 'validation.failed');
    expect(await t.deps.db.model.count()).toBe(before);
  });
});
