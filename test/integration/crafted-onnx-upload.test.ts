// Hostile ONNX uploads, crafted byte by byte: truncations at every point, absurd dims, lengths and
// varints, subgraphs nested past any sane depth, names of megabytes, and external data pointing outside
// the model's folder. Each gets a clear 4xx problem and leaves nothing stored. The protobuf encoder
// below is checked by uploading a well-formed model built with it first.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer } from '../helpers/problem.js';
import { bytesForm, filesUnder, fixtureModel } from '../helpers/fixtures.js';

// --- a minimal protobuf writer (onnx/onnx.proto field numbers) ---
const varint = (value: bigint | number): Buffer => {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return Buffer.from(out);
};
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: bigint | number) => Buffer.concat([tag(field, 0), varint(value)]);
const bytes = (field: number, payload: Buffer | string) => {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([tag(field, 2), varint(body.length), body]);
};
const msg = (...parts: Buffer[]) => Buffer.concat(parts);

const dim = (value: bigint | number) => bytes(1, int(1, value));
const tensorType = (elemType: number, dims: Buffer[]) => bytes(1, msg(int(1, elemType), bytes(2, msg(...dims))));
const valueInfo = (name: string, type: Buffer) => msg(bytes(1, name), bytes(2, type));
const FLOAT = 1;

function model(opts: { inputName?: string; inputDims?: Buffer[]; extraGraph?: Buffer[]; nodes?: Buffer[] } = {}): Buffer {
  const graph = msg(
    ...(opts.nodes ?? [bytes(1, msg(bytes(1, opts.inputName ?? 'x'), bytes(2, 'y'), bytes(4, 'Relu')))]),
    bytes(2, 'g'),
    bytes(11, valueInfo(opts.inputName ?? 'x', tensorType(FLOAT, opts.inputDims ?? [dim(1), dim(4)]))),
    bytes(12, valueInfo('y', tensorType(FLOAT, [dim(1), dim(4)]))),
    ...(opts.extraGraph ?? []),
  );
  return msg(int(1, 8), bytes(2, 'crafted'), bytes(7, graph), bytes(8, msg(bytes(1, ''), int(2, 17))));
}

/** A node whose attribute holds a subgraph whose node holds a subgraph … `depth` times. */
function nestedNode(depth: number): Buffer {
  let node = msg(bytes(1, 'x'), bytes(2, 'y'), bytes(4, 'Relu'));
  for (let i = 0; i < depth; i++) {
    const sub = msg(bytes(1, node), bytes(2, `g${i}`));
    node = msg(bytes(1, 'x'), bytes(2, 'y'), bytes(4, 'If'), bytes(5, msg(bytes(1, 'then_branch'), int(20, 5), bytes(6, sub))));
  }
  return bytes(1, node);
}

/** An initializer whose data lives in an external file at `location`. */
const externalInitializer = (location: string) =>
  bytes(5, msg(int(1, 4), int(2, FLOAT), bytes(8, 'w'), bytes(13, msg(bytes(1, 'location'), bytes(2, location))), bytes(13, msg(bytes(1, 'length'), bytes(2, '16'))), int(14, 1)));

let t: TestApi;
let vendor: { key: string };

beforeAll(async () => {
  t = await startTestApi({ env: { NPUBENCH_UPLOAD_IDLE_TIMEOUT_MS: '1000' } });
  vendor = await t.createOrgWithKey('VENDOR');
});

const storedFiles = () => filesUnder(t.deps.config.artifactDir);

const upload = (file: Buffer, name = 'crafted.onnx') => t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(file, name, { name: 'crafted' }) });

async function expectRejectedAndNothingStored(file: Buffer, status: number, code: string | RegExp) {
  const before = { artifacts: await t.deps.db.artifact.count(), models: await t.deps.db.model.count(), files: (await storedFiles()).length };
  const res = await upload(file);
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect((res.json() as { code: string }).code).toMatch(code);
  expect({ artifacts: await t.deps.db.artifact.count(), models: await t.deps.db.model.count(), files: (await storedFiles()).length }).toEqual(before);
  return res.json() as { detail: string };
}

describe('crafted ONNX uploads', () => {
  it('accepts a well-formed model built by the same encoder (so the rejections below are about the crafted part)', async () => {
    const res = await upload(model());
    expect(res.statusCode, res.body).toBe(201);
    expect((res.json() as { signature: { inputs: { name: string; shape: number[] }[] } }).signature.inputs).toEqual([expect.objectContaining({ name: 'x', shape: [1, 4] })]);
  });

  it('rejects a real model truncated at any point', async () => {
    const real = await readFile(fixtureModel('tiny-cnn.onnx'));
    const cuts = [1, 2, 7, 16, 100, Math.floor(real.length / 3), Math.floor(real.length / 2), real.length - 3, real.length - 1];
    for (const cut of cuts) await expectRejectedAndNothingStored(real.subarray(0, cut), 422, 'model.invalid_onnx');
  });

  it('rejects huge declared dims and ranks', async () => {
    // (A negative dim_value is not among them: exporters write -1 for "unknown", and it is read as that.)
    for (const dims of [[dim(2n ** 62n)], [dim(2n ** 41n), dim(1)], Array.from({ length: 100 }, () => dim(1))]) {
      await expectRejectedAndNothingStored(model({ inputDims: dims }), 422, 'model.invalid_onnx');
    }
  });

  it('rejects absurd lengths and varints', async () => {
    const lengthPastEnd = msg(int(1, 8), tag(7, 2), varint(2n ** 60n), Buffer.alloc(32));
    const elevenByteVarint = msg(tag(1, 0), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    const overflowingVarint = msg(tag(1, 0), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    const innerOverrun = msg(int(1, 8), bytes(7, msg(tag(2, 2), varint(1000), Buffer.from('short'))));
    const groupWireType = msg(int(1, 8), tag(7, 3), Buffer.alloc(8));
    for (const file of [lengthPastEnd, elevenByteVarint, overflowingVarint, innerOverrun, groupWireType]) await expectRejectedAndNothingStored(file, 422, 'model.invalid_onnx');
  });

  it('rejects names of megabytes', async () => {
    const problem = await expectRejectedAndNothingStored(model({ inputName: 'x'.repeat(2 * 1024 * 1024) }), 422, 'model.invalid_onnx');
    expect(problem.detail).toMatch(/bytes long/);
  });

  it('rejects subgraphs nested deeper than any real model', async () => {
    await expectRejectedAndNothingStored(model({ nodes: [nestedNode(5_000)] }), 422, 'model.invalid_onnx');
  });

  it('rejects external data wherever it points, ../../etc/passwd included, without reading it', async () => {
    for (const location of ['../../etc/passwd', '/etc/shadow', 'weights.bin', 'C:\\Windows\\win.ini']) {
      await expectRejectedAndNothingStored(model({ extraGraph: [externalInitializer(location)] }), 422, 'model.external_data_unsupported');
    }
  });

  it('answers a multipart body the parser cannot finish (a bare line feed in a part header) with 400 instead of hanging', async () => {
    const boundary = 'npubench-lf';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="name"\r\n\r\nlf\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a\nb.onnx"\r\n\r\n`),
      Buffer.alloc(200_000, 7),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const before = await t.deps.db.artifact.count();
    const res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: { ...bearer(vendor.key), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
    expect(res.statusCode, res.body).toBe(400);
    expect((res.json() as { code: string }).code).toBe('upload.malformed_multipart');
    expect(await t.deps.db.artifact.count()).toBe(before);
  });
});
