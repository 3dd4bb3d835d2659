import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import { readOnnxSignature, type ModelSignature, type TensorSignature } from '../../src/lib/onnx/model-signature.js';
import { ocrSampleModels } from '../../src/lib/sample-models.js';
import { modelPrecision } from '../../src/contracts/models.js';
import { onnxWeightElements } from '../helpers/independent-onnx-weights.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/models/${name}`, import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'npubench-signature-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCounter = 0;
async function writeTemp(bytes: Uint8Array | string): Promise<string> {
  const file = path.join(dir, `model-${fileCounter++}.onnx`);
  await writeFile(file, bytes);
  return file;
}

async function expectInvalid(file: string): Promise<AppError> {
  const error: unknown = await readOnnxSignature(file).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error, `${file} should be rejected`).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ status: 422, code: 'model.invalid_onnx' });
  return error as AppError;
}

// A minimal protobuf writer, enough to build ONNX models byte by byte, including broken ones.
type Bytes = number[];
function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}
const tag = (field: number, wireType: number) => varint(field * 8 + wireType);
const varintField = (field: number, value: number | bigint): Bytes => [...tag(field, 0), ...varint(value)];
const lenField = (field: number, payload: Bytes | string): Bytes => {
  const bytes = typeof payload === 'string' ? [...Buffer.from(payload)] : payload;
  return [...tag(field, 2), ...varint(bytes.length), ...bytes];
};

const FLOAT = 1;
const dim = (d: number | string | null): Bytes => lenField(1, d === null ? [] : typeof d === 'number' ? varintField(1, d) : lenField(2, d));
const valueInfo = (name: string, elemType: number, dims: (number | string | null)[]): Bytes =>
  [...lenField(1, name), ...lenField(2, lenField(1, [...varintField(1, elemType), ...lenField(2, dims.flatMap(dim))]))];
const tensor = (name: string, extra: Bytes = []): Bytes => [...varintField(1, 4), ...varintField(2, FLOAT), ...lenField(8, name), ...extra];

interface GraphParts {
  nodes?: Bytes[];
  initializers?: Bytes[];
  sparseInitializers?: Bytes[];
  inputs?: Bytes[];
  outputs?: Bytes[];
}
const graph = (parts: GraphParts): Bytes => [
  ...(parts.nodes ?? []).flatMap((n) => lenField(1, n)),
  ...lenField(2, 'g'),
  ...(parts.initializers ?? []).flatMap((t) => lenField(5, t)),
  ...(parts.sparseInitializers ?? []).flatMap((t) => lenField(15, t)),
  ...(parts.inputs ?? [valueInfo('x', FLOAT, [1, 4])]).flatMap((v) => lenField(11, v)),
  ...(parts.outputs ?? [valueInfo('y', FLOAT, [1, 4])]).flatMap((v) => lenField(12, v)),
];
const model = (graphBytes: Bytes, opsets: Bytes[] = [[...lenField(1, ''), ...varintField(2, 17)]]): Bytes => [
  ...varintField(1, 8),
  ...lenField(2, 'hand-built'),
  ...lenField(7, graphBytes),
  ...opsets.flatMap((o) => lenField(8, o)),
];
const writeModel = (bytes: Bytes) => writeTemp(Uint8Array.from(bytes));

/** What onnxruntime reports, in the signature's vocabulary. */
async function onnxruntimeInputs(file: string): Promise<Pick<TensorSignature, 'name' | 'elementType' | 'shape'>[]> {
  const session = await InferenceSession.create(file);
  try {
    return session.inputMetadata.map((m) => {
      if (!m.isTensor) throw new Error(`non-tensor input ${m.name}`);
      return { name: m.name, elementType: m.type === 'float64' ? 'double' : m.type, shape: m.shape.map((d) => (d === '' ? null : d)) };
    });
  } finally {
    await session.release();
  }
}

describe('readOnnxSignature on real models', () => {
  it('reads the mlp fixture', async () => {
    expect(await readOnnxSignature(fixture('mlp-classifier.onnx'))).toEqual<ModelSignature>({
      irVersion: 8,
      opsets: [{ domain: 'ai.onnx', version: 17 }],
      producerName: 'npubench-fixtures',
      producerVersion: '1',
      graphName: 'mlp_classifier',
      inputs: [{ name: 'input', elementType: 'float32', shape: ['batch', 64], rankKnown: true, kind: 'tensor' }],
      outputs: [{ name: 'probabilities', elementType: 'float32', shape: ['batch', 10], rankKnown: true, kind: 'tensor' }],
      initializerCount: 4,
      nodeCount: 4,
      usesExternalData: false,
      externalDataLocations: [],
      weightElements: { float32: 64 * 256 + 256 + 256 * 10 + 10 },
    });
  });

  it('drops initializers listed as inputs and reports unknown dims as null', async () => {
    const signature = await readOnnxSignature(fixture('dynamic-int64.onnx'));
    expect(signature.inputs).toEqual([
      { name: 'token_ids', elementType: 'int64', shape: ['batch', 'sequence'], rankKnown: true, kind: 'tensor' },
      { name: 'mask', elementType: 'int64', shape: ['batch', null], rankKnown: true, kind: 'tensor' },
    ]);
    expect(signature.initializerCount).toBe(2);
  });

  it('detects external data', async () => {
    expect((await readOnnxSignature(fixture('tiny-cnn-external-data.onnx'))).externalDataLocations).toEqual(['tiny-cnn-external-data.onnx.data']);
    expect((await readOnnxSignature(fixture('tiny-cnn-external-data.onnx'))).usesExternalData).toBe(true);
    expect((await readOnnxSignature(fixture('tiny-cnn.onnx'))).usesExternalData).toBe(false);
  });

  const models = [
    ...['mlp-classifier.onnx', 'tiny-cnn.onnx', 'tiny-cnn-external-data.onnx', 'dynamic-int64.onnx', 'all-input-types.onnx'].map(fixture),
    ...Object.values(ocrSampleModels()),
  ];
  it.each(models)('agrees with onnxruntime on the inputs of %s', async (file) => {
    const signature = await readOnnxSignature(file);
    expect(signature.inputs.map(({ name, elementType, shape }) => ({ name, elementType, shape }))).toEqual(await onnxruntimeInputs(file));
  });

  it('reads the PP-OCR models, whose weights live in Constant nodes', async () => {
    const signature = await readOnnxSignature(ocrSampleModels().recognition);
    expect(signature).toMatchObject({ irVersion: 8, opsets: [{ domain: 'ai.onnx', version: 9 }], initializerCount: 0, nodeCount: 765, usesExternalData: false });
    expect(signature.outputs).toEqual([
      { name: 'softmax_11.tmp_0', elementType: 'float32', shape: ['p2o.DynamicDimension.2', 'p2o.DynamicDimension.3', 6625], rankKnown: true, kind: 'tensor' },
    ]);
  });

  it('skips a 3 GiB weight without reading it', async () => {
    // A sparse file: only the header and the tail are written, the weight bytes are a hole.
    const rawLength = 3 * 2 ** 30;
    const tail = [...lenField(11, valueInfo('x', FLOAT, ['n', 8])), ...lenField(12, valueInfo('y', FLOAT, ['n', 8]))];
    const tensorHead = [...lenField(8, 'huge'), ...varintField(2, FLOAT), ...tag(9, 2), ...varint(rawLength)];
    const tensorLength = tensorHead.length + rawLength;
    const graphHead = [...tag(5, 2), ...varint(tensorLength), ...tensorHead];
    const graphLength = graphHead.length + rawLength + tail.length;
    const head = [...varintField(1, 8), ...tag(7, 2), ...varint(graphLength), ...graphHead];
    const opset = lenField(8, [...lenField(1, ''), ...varintField(2, 17)]);
    const file = path.join(dir, 'huge.onnx');
    const handle = await open(file, 'w');
    try {
      await handle.write(Uint8Array.from(head), 0, head.length, 0);
      await handle.write(Uint8Array.from([...tail, ...opset]), 0, tail.length + opset.length, head.length + rawLength);
    } finally {
      await handle.close();
    }
    const signature = await readOnnxSignature(file);
    expect(signature.inputs).toEqual([{ name: 'x', elementType: 'float32', shape: ['n', 8], rankKnown: true, kind: 'tensor' }]);
    expect(signature.initializerCount).toBe(1);
  });
});

describe('weight precision', () => {
  const lm = fileURLToPath(new URL('../fixtures/llm/tiny-lm/model.onnx', import.meta.url));
  it.each([
    ['mlp-classifier.onnx', fixture('mlp-classifier.onnx'), 'float32'],
    ['the QDQ INT8 tiny CNN (float32 input, int8 weights)', fixture('tiny-cnn-int8-qdq.onnx'), 'int8'],
    ['tiny-cnn with external data', fixture('tiny-cnn-external-data.onnx'), 'float32'],
    ['the tiny LM (int64 token ids in, float32 weights)', lm, 'float32'],
    ['PP-OCRv4 rec (weights in Constant nodes)', ocrSampleModels().recognition, 'float32'],
  ])('counts the weights of %s as the onnx package does', async (_label, file, precision) => {
    const signature = await readOnnxSignature(file);
    expect(signature.weightElements).toEqual(onnxWeightElements(file));
    expect(modelPrecision(signature)).toBe(precision);
  });

  it('reads packed and unpacked dims alike, and falls back to the first input without weights', async () => {
    const packed = [...lenField(1, [...varint(3), ...varint(5)]), ...varintField(2, 3 /* int8 */), ...lenField(8, 'w8')];
    const unpacked = [...varintField(1, 2), ...varintField(1, 2), ...varintField(2, FLOAT), ...lenField(8, 'w')];
    const signature = await readOnnxSignature(await writeModel(model(graph({ initializers: [packed, unpacked] }))));
    expect(signature.weightElements).toEqual({ float32: 4, int8: 15 });
    expect(modelPrecision(signature)).toBe('int8');
    expect(modelPrecision(await readOnnxSignature(await writeModel(model(graph({})))))).toBe('float32');
    expect(modelPrecision({ inputs: [{ name: 'x', elementType: 'float16', shape: [1], rankKnown: true }], outputs: [] })).toBe('float16');
  });
});

describe('readOnnxSignature on hand-built models', () => {
  it('accepts a minimal valid model (so the rejections below are meaningful)', async () => {
    const signature = await readOnnxSignature(await writeModel(model(graph({}))));
    expect(signature.inputs).toEqual([{ name: 'x', elementType: 'float32', shape: [1, 4], rankKnown: true, kind: 'tensor' }]);
    expect(signature.producerName).toBe('hand-built');
  });

  it('excludes sparse initializers from the inputs', async () => {
    const sparse = [...lenField(1, tensor('w')), ...lenField(2, tensor('w.indices'))];
    const signature = await readOnnxSignature(
      await writeModel(model(graph({ sparseInitializers: [sparse], inputs: [valueInfo('x', FLOAT, [1]), valueInfo('w', FLOAT, [4])] }))),
    );
    expect(signature.inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('finds external data in an initializer, a Constant node, and a subgraph', async () => {
    const externalTensor = tensor('w', [...lenField(13, [...lenField(1, 'location'), ...lenField(2, 'w.bin')]), ...varintField(14, 1)]);
    const viaLocationOnly = tensor('w', varintField(14, 1));
    const constantNode = (t: Bytes) => [...lenField(2, 'out'), ...lenField(4, 'Constant'), ...lenField(5, [...lenField(1, 'value'), ...lenField(5, t)])];
    const ifNode = (sub: Bytes) => [...lenField(4, 'If'), ...lenField(5, [...lenField(1, 'then_branch'), ...lenField(6, sub)])];
    const cases: [Bytes, boolean][] = [
      [graph({ initializers: [externalTensor] }), true],
      [graph({ initializers: [viaLocationOnly] }), true],
      [graph({ initializers: [tensor('w')] }), false],
      [graph({ nodes: [constantNode(externalTensor)] }), true],
      [graph({ nodes: [constantNode(tensor('c'))] }), false],
      [graph({ nodes: [ifNode(graph({ initializers: [externalTensor] }))] }), true],
      [graph({ nodes: [ifNode(graph({ nodes: [constantNode(externalTensor)] }))] }), true],
    ];
    for (const [graphBytes, expected] of cases) {
      expect((await readOnnxSignature(await writeModel(model(graphBytes)))).usesExternalData).toBe(expected);
    }
  });

  it('maps -1 dims to null, keeps rank-unknown shapes apart, and reports non-tensor inputs', async () => {
    const noShape = [...lenField(1, 'unranked'), ...lenField(2, lenField(1, varintField(1, FLOAT)))];
    const sequence = [...lenField(1, 'seq'), ...lenField(2, lenField(4, []))];
    const signature = await readOnnxSignature(await writeModel(model(graph({ inputs: [valueInfo('x', FLOAT, [-1, 3]), noShape, sequence] }))));
    expect(signature.inputs).toEqual([
      { name: 'x', elementType: 'float32', shape: [null, 3], rankKnown: true, kind: 'tensor' },
      { name: 'unranked', elementType: 'float32', shape: [], rankKnown: false, kind: 'tensor' },
      { name: 'seq', elementType: 'sequence', shape: [], rankKnown: false, kind: 'sequence' },
    ]);
  });

  it('names element types it does not know', async () => {
    const signature = await readOnnxSignature(await writeModel(model(graph({ inputs: [valueInfo('x', 99, [1])] }))));
    expect(signature.inputs[0]?.elementType).toBe('unknown(99)');
  });

  const nested = (depth: number): Bytes =>
    depth === 0 ? graph({}) : graph({ nodes: [[...lenField(4, 'If'), ...lenField(5, [...lenField(1, 'then_branch'), ...lenField(6, nested(depth - 1))])]] });

  it.each<[string, Bytes]>([
    ['a dimension above 2^40', model(graph({ inputs: [valueInfo('x', FLOAT, [2 ** 40 + 1])] }))],
    ['more than 10,000 inputs', model(graph({ inputs: Array.from({ length: 10_001 }, (_, i) => valueInfo(`x${i}`, FLOAT, [1])) }))],
    ['no graph', [...varintField(1, 8), ...lenField(8, [...lenField(1, ''), ...varintField(2, 17)])]],
    ['no inputs', model(graph({ inputs: [] }))],
    ['only initializer inputs', model(graph({ initializers: [tensor('x')] }))],
    ['no outputs', model(graph({ outputs: [] }))],
    ['no opset_import', model(graph({}), [])],
    ['an input without a name', model(graph({ inputs: [lenField(2, [])] }))],
    ['ir_version sent as bytes', [...lenField(1, 'eight'), ...lenField(7, graph({}))]],
    ['a group wire type', [...tag(5, 3), ...model(graph({}))]],
    ['wire type 7', [...tag(5, 7), ...model(graph({}))]],
    ['field number 0', [...tag(0, 0), 1, ...model(graph({}))]],
    ['an 11-byte varint', [...tag(1, 0), ...Array<number>(10).fill(0x80), 0x01, ...lenField(7, graph({}))]],
    ['a 10-byte varint overflowing 64 bits', [...tag(1, 0), ...Array<number>(9).fill(0xff), 0x7f, ...lenField(7, graph({}))]],
    ['a length past the end of the file', [...tag(7, 2), ...varint(1_000_000), ...graph({})]],
    ['a nested length past its parent', model([...tag(11, 2), ...varint(500), ...valueInfo('x', FLOAT, [1])])],
    ['invalid UTF-8 in a name', model(graph({ inputs: [[...tag(1, 2), 2, 0xc3, 0x28]] }))],
    ['subgraphs nested 40 deep', model(nested(40))],
  ])('rejects %s', async (_label, bytes) => {
    await expectInvalid(await writeModel(bytes));
  });
});

describe('readOnnxSignature on files that are not ONNX models', () => {
  it('rejects an empty file, a text file, a JSON file, and random bytes', async () => {
    await expectInvalid(await writeTemp(''));
    await expectInvalid(await writeTemp('hello, this is not a model\n'));
    await expectInvalid(await writeTemp(await readFile(fileURLToPath(new URL('../../package.json', import.meta.url)))));
    let state = 12345;
    for (const length of [1, 7, 64, 1000, 70_000]) {
      const bytes = Uint8Array.from({ length }, () => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return state >> 23;
      });
      await expectInvalid(await writeTemp(bytes));
    }
  });

  it.each(['mlp-classifier.onnx', 'tiny-cnn.onnx', 'dynamic-int64.onnx'])('rejects %s truncated anywhere', async (name) => {
    const bytes = await readFile(fixture(name));
    const offsets = [1, 2, 5, 10, 50, 100, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 10, bytes.length - 1];
    for (const offset of offsets) {
      const error = await expectInvalid(await writeTemp(bytes.subarray(0, offset)));
      expect(error.message).toMatch(/^Not a valid ONNX model: /);
    }
  });

  it('either reads or cleanly rejects a model with corrupted bytes', async () => {
    const bytes = await readFile(fixture('tiny-cnn.onnx'));
    let state = 99;
    for (let round = 0; round < 200; round++) {
      const corrupted = Buffer.from(bytes);
      for (let flips = 0; flips < 4; flips++) {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        corrupted[state % corrupted.length] = state >> 23;
      }
      const outcome: unknown = await readOnnxSignature(await writeTemp(corrupted)).catch((err: unknown) => err);
      if (outcome instanceof Error) expect(outcome).toMatchObject({ code: 'model.invalid_onnx' });
    }
  });
});
