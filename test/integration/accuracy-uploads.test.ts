// LLM bundles and MMLU datasets at upload: good ones are stored with what was read from them; hostile
// or incomplete ones get a clear 4xx problem and leave nothing behind (no artifact row, no model or
// dataset row, no bytes in the store).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm, filesUnder } from '../helpers/fixtures.js';
import { fixtureBundle, tarOf } from '../helpers/archives.js';

let t: TestApi;
let vendor: { key: string };

beforeAll(async () => {
  // Caps small enough for the crafted fixtures: the bomb unpacks to 64 MiB, too-many-entries holds 304 entries.
  t = await startTestApi({ env: { NPUBENCH_BUNDLE_MAX_UNPACKED_BYTES: '32MiB', NPUBENCH_BUNDLE_MAX_ENTRY_BYTES: '16MiB', NPUBENCH_BUNDLE_MAX_ENTRIES: '100' } });
  vendor = await t.createOrgWithKey('VENDOR');
});

const storedFiles = () => filesUnder(t.deps.config.artifactDir);

async function snapshot() {
  return { artifacts: await t.deps.db.artifact.count(), models: await t.deps.db.model.count(), datasets: await t.deps.db.dataset.count(), files: (await storedFiles()).length };
}

const uploadModel = async (name: string, fields: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(await readFile(fixtureBundle(name)), name, fields) });
const uploadDataset = (bytes: Uint8Array, filename = 'data.tar', fields: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendor.key), payload: bytesForm(bytes, filename, fields) });

describe('LLM bundle uploads', () => {
  it.each(['tiny-lm.tar.gz', 'tiny-lm.zip'])('stores %s as an onnx-llm-bundle with the LM layout read from it', async (name) => {
    const res = await uploadModel(name, { name: `lm-${name.replace(/\W/g, '-')}` });
    expect(res.statusCode, res.body).toBe(201);
    const model = res.json() as { format: string; signature: { inputs: { name: string }[]; bundle: { modelFile: string; files: string[]; llm: Record<string, unknown> } } };
    expect(model.format).toBe('onnx-llm-bundle');
    expect(model.signature.bundle.modelFile).toBe('model.onnx');
    expect(model.signature.bundle.files.sort()).toEqual(['config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect(model.signature.bundle.llm).toEqual({ layers: 2, kvHeads: 2, headDim: 16, kvElementType: 'float32', hasPositionIds: true, idElementType: 'int64' });
    expect(model.signature.inputs.map((i) => i.name)).toContain('past_key_values.1.value');
  });

  const refused: [string, number, string, RegExp][] = [
    ['missing-tokenizer.tar.gz', 422, 'bundle.missing_file', /tokenizer\.json/],
    ['traversal.tar.gz', 422, 'bundle.unsafe_entry', /\.\./],
    ['traversal.zip', 422, 'bundle.unsafe_entry', /\.\./],
    ['absolute-path.tar', 422, 'bundle.unsafe_entry', /absolute path/],
    ['symlink.tar.gz', 422, 'bundle.unsafe_entry', /symbolic link/],
    ['symlink.zip', 422, 'bundle.unsafe_entry', /symbolic link/],
    ['bomb.zip', 413, 'bundle.too_large', /padding\.bin/],
    ['bomb.tar.gz', 413, 'bundle.too_large', /padding\.bin/],
    ['too-many-entries.zip', 413, 'bundle.too_many_entries', /100 entries/],
    ['external-data-escape.tar.gz', 422, 'bundle.external_data_outside', /\.\.\/\.\.\/outside\.bin/],
    ['not-an-lm.tar.gz', 422, 'model.not_causal_lm', /input_ids/],
  ];
  it.each(refused)('refuses %s with %i %s and stores nothing', async (name, status, code, detail) => {
    const before = await snapshot();
    const body = expectProblem(await uploadModel(name), status, code);
    expect(body.detail).toMatch(detail);
    expect(await snapshot()).toEqual(before);
  });

  it('writes nothing outside its scratch folder while refusing a traversal', async () => {
    const { stat } = await import('node:fs/promises');
    expect(await stat('/tmp/npubench-escaped.txt').catch(() => null)).toBeNull();
  });
});

const dev = 'Q1?,a,b,c,d,A\nQ2?,a,b,c,d,B\n';
const test = 'T1?,a,b,c,d,C\n"T2, with a comma?",a,"b ""quoted""",c,d,D\n';

describe('MMLU dataset uploads', () => {
  it('stores a hendrycks-layout archive and lists it next to the built-in dataset', async () => {
    const res = await uploadDataset(await tarOf({ 'data/dev/toy_dev.csv': dev, 'data/test/toy_test.csv': test, 'data/val/toy_val.csv': test, 'README.txt': 'ignored' }), 'toy.tar');
    expect(res.statusCode, res.body).toBe(201);
    const dataset = res.json() as { name: string; ref: string; questionCount: number; subjects: unknown };
    expect(dataset).toMatchObject({ name: 'toy', questionCount: 2, subjects: [{ subject: 'toy', dev: 2, test: 2 }] });
    expect(dataset.ref).toMatch(/^sha256:[0-9a-f]{64}$/);
    const list = (await t.app.inject({ method: 'GET', url: '/v1/datasets', headers: bearer(vendor.key) })).json() as { builtin: { ref: string; questionCount: number }[]; items: { ref: string }[] };
    expect(list.builtin[0]).toMatchObject({ ref: 'builtin:npubench-mmlu-mini', questionCount: 46 });
    expect(list.items.map((d) => d.ref)).toContain(dataset.ref);
  });

  const bad: [string, Record<string, string>, string, RegExp][] = [
    ['a row with five fields', { 'dev/x_dev.csv': dev, 'test/x_test.csv': 'T1?,a,b,c,C\n' }, 'dataset.malformed_row', /x_test\.csv row 1 has 5 fields/],
    ['an unclosed quote', { 'dev/x_dev.csv': dev, 'test/x_test.csv': '"T1?,a,b,c,d,C\n' }, 'dataset.malformed_csv', /never closed/],
    ['an unknown answer letter', { 'dev/x_dev.csv': dev, 'test/x_test.csv': 'T1?,a,b,c,d,E\n' }, 'dataset.unknown_answer', /row 1 has answer "E"/],
    ['a missing dev split', { 'test/x_test.csv': test }, 'dataset.missing_dev_split', /x_dev\.csv/],
    ['no subject at all', { 'notes.csv': test }, 'dataset.empty', /hendrycks layout/],
  ];
  it.each(bad)('refuses %s with 422 and stores nothing', async (_what, files, code, detail) => {
    const before = await snapshot();
    const body = expectProblem(await uploadDataset(await tarOf(files)), 422, code);
    expect(body.detail).toMatch(detail);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a labelled input set whose tensor does not match its dims', async () => {
    const before = await snapshot();
    const file = JSON.stringify({ format: 'npubench.labelled-inputs/v1', samples: [{ inputs: { input: { elementType: 'float32', dims: [1, 4], data: [1, 2, 3] } }, label: 0 }] });
    const body = expectProblem(await uploadDataset(Buffer.from(file), 'labels.json'), 422, 'dataset.invalid_labelled_inputs');
    expect(body.detail).toMatch(/3 values for dims \[1, 4\]/);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a dataset archive with path traversal', async () => {
    const before = await snapshot();
    expectProblem(await uploadDataset(await tarOf({ 'dev/x_dev.csv': dev, '../x_test.csv': test })), 422, 'bundle.unsafe_entry');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a job whose dataset is not one of the organization\'s', async () => {
    const model = (await uploadModel('tiny-lm.tar.gz', { name: 'lm-for-jobs' })).json() as { id: string };
    const admin = await t.createOrgWithKey('ADMIN');
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-acc', name: 'CPU', manufacturer: 'test' } });
    const submit = (suite: unknown, extra: Record<string, unknown> = {}) =>
      t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model.id, device: 'cpu-acc', suite, ...extra } });
    expectProblem(await submit({ accuracy: { mmlu: { dataset: `sha256:${'0'.repeat(64)}` } } }), 404, 'dataset.not_found');
    expectProblem(await submit({ accuracy: { mmlu: { dataset: 'hendrycks' } } }), 400, 'suite.invalid');
    expectProblem(await submit({ accuracy: { reference: { modelDigest: '0'.repeat(64) } } }), 400, 'suite.invalid');
    expectProblem(await submit({}, { referenceModelId: model.id }), 400, 'suite.invalid');
    expectProblem(await submit({ accuracy: { mmlu: {}, gate: {} } }), 400, 'suite.invalid');
    expectProblem(await submit({ accuracy: { voiceActivity: { dataset: `sha256:${'0'.repeat(64)}` } } }), 404, 'dataset.not_found');
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-runner', name: 'NPU', manufacturer: 'test', backendKind: 'runner' } });
    // MMLU with a reference runs through a runner device's lm_forward and run, so it is accepted there.
    const onRunner = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model.id, device: 'npu-runner', suite: { accuracy: { mmlu: {} } }, referenceModelId: model.id } });
    expect(onRunner.statusCode, onRunner.body).toBe(201);
  });
});

describe('bundle contents the harness would trip over', () => {
  it('refuses a tokenizer.json the tokenizer library cannot load, and a config.json that is not an object', async () => {
    const { readFile: read } = await import('node:fs/promises');
    const { fixtureLlm } = await import('../helpers/archives.js');
    const files: Record<string, Uint8Array | string> = {};
    for (const name of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json']) files[name] = await read(join(fixtureLlm('tiny-lm'), name));
    const before = await snapshot();
    const badTokenizer = await tarOf({ ...files, 'tokenizer.json': '{"model": "not a tokenizer"' });
    let res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(badTokenizer, 'bad-tok.tar') });
    expect(expectProblem(res, 422, 'bundle.invalid_file').detail).toMatch(/tokenizer\.json/);
    const badConfig = await tarOf({ ...files, 'config.json': '[1, 2]' });
    res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(badConfig, 'bad-config.tar') });
    expect(expectProblem(res, 422, 'bundle.invalid_file').detail).toMatch(/config\.json/);
    expect(await snapshot()).toEqual(before);
  });
});
