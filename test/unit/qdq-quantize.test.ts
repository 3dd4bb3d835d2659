import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The committed INT8 variants of the suite's image-classification reference (tiny-cnn.onnx) are build
// outputs: CI regenerates them with scripts/quantize/qdq.py and compares bytes, and runs them against a
// dequantisation computed here, in TypeScript, from the FP32 weights.
const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'quantize', 'qdq.py');
const PYTHON = '/usr/bin/python3';
const INT8_SHA256 = 'fc4a9653155e6d42e1419413924a147d234e167065a29f57e4762394192285c9';
const BROKEN_SHA256 = '9b8d68ceb04fe18f63a5d0c5cce8c9a1dc8be5583cc8928f814c2b51d87f991a';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// The FP32 weights as tiny-cnn-external-data.onnx.data lays them out (offsets from its external_data
// entries), with the output-channel axis and the per-channel stride of each quantized weight.
const LAYOUT = [
  { name: 'conv1.weight', offset: 0, count: 8 * 3 * 3 * 3, channels: 8, quantized: true, channelOf: (i: number) => Math.floor(i / 27) },
  { name: 'conv1.bias', offset: 864, count: 8, channels: 8, quantized: false, channelOf: (i: number) => i },
  { name: 'conv2.weight', offset: 896, count: 16 * 8 * 3 * 3, channels: 16, quantized: true, channelOf: (i: number) => Math.floor(i / 72) },
  { name: 'conv2.bias', offset: 5504, count: 16, channels: 16, quantized: false, channelOf: (i: number) => i },
  // Gemm with transB = 0: weight [K=16, N=10], the output channel is the column.
  { name: 'fc.weight', offset: 5568, count: 16 * 10, channels: 10, quantized: true, channelOf: (i: number) => i % 10 },
  { name: 'fc.bias', offset: 6208, count: 10, channels: 10, quantized: false, channelOf: (i: number) => i },
];

/** Round half to even on a float32 value, as numpy.rint does. */
function rintEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per-channel symmetric int8 quantize-then-dequantize, all in float32 like the ONNX ops. */
function dequantized(w: Float32Array, channels: number, channelOf: (i: number) => number, scaleFactor: (channel: number) => number): Float32Array {
  const amax = new Float32Array(channels);
  w.forEach((v, i) => {
    const c = channelOf(i);
    amax[c] = Math.max(amax[c] ?? 0, Math.abs(v));
  });
  const scale = Float32Array.from(amax, (a) => (a > 0 ? Math.fround(a / 127) : 1));
  return Float32Array.from(w, (v, i) => {
    const s = scale[channelOf(i)] ?? 1;
    const q = Math.min(127, Math.max(-127, rintEven(Math.fround(v / s))));
    return Math.fround(q * Math.fround(s * scaleFactor(channelOf(i))));
  });
}

/** Images from a fixed integer generator: every run sees the same 16 inputs. */
function images(): Float32Array[] {
  let state = 20261203;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  return Array.from({ length: 16 }, () => Float32Array.from({ length: 3 * 32 * 32 }, () => next() * 2 - 1));
}

async function logits(session: ort.InferenceSession, image: Float32Array): Promise<Float32Array> {
  const out = await session.run({ image: new ort.Tensor('float32', image, [1, 3, 32, 32]) });
  const data = out.logits?.data;
  if (!(data instanceof Float32Array)) throw new Error('no float32 logits');
  return data;
}

const argmax = (a: Float32Array) => a.indexOf(Math.max(...a));

const hasOnnx = (await promisify(execFile)(PYTHON, ['-c', 'import onnx, numpy']).then(() => true, () => false));

describe('scripts/quantize/qdq.py (QDQ INT8 build of the image-classification reference)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'npubench-qdq-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!hasOnnx)(`rebuilds the committed INT8 and broken variants byte for byte${hasOnnx ? '' : ' (SKIPPED: apt-get install python3-onnx python3-numpy)'}`, async () => {
    const run = promisify(execFile);
    await run(PYTHON, [SCRIPT, join(MODELS, 'tiny-cnn.onnx'), join(dir, 'int8.onnx')]);
    await run(PYTHON, [SCRIPT, join(MODELS, 'tiny-cnn.onnx'), join(dir, 'broken.onnx'), '--break-scale', 'conv2=0.25']);
    const [rebuilt, committed, rebuiltBroken, committedBroken] = await Promise.all([
      readFile(join(dir, 'int8.onnx')),
      readFile(join(MODELS, 'tiny-cnn-int8-qdq.onnx')),
      readFile(join(dir, 'broken.onnx')),
      readFile(join(MODELS, 'tiny-cnn-int8-qdq-broken.onnx')),
    ]);
    expect(rebuilt.equals(committed)).toBe(true);
    expect(rebuiltBroken.equals(committedBroken)).toBe(true);
    expect(sha256(committed)).toBe(INT8_SHA256);
    expect(sha256(committedBroken)).toBe(BROKEN_SHA256);
  }, 120_000);

  it('runs in onnxruntime-node and matches a dequantisation computed here from the FP32 weights', async () => {
    const fp32Data = await readFile(join(MODELS, 'tiny-cnn-external-data.onnx.data'));
    const weights = new Float32Array(fp32Data.buffer.slice(fp32Data.byteOffset, fp32Data.byteOffset + fp32Data.byteLength));
    expect(weights.length).toBe(LAYOUT.reduce((n, l) => n + l.count, 0));
    // The side file holds the same weights as tiny-cnn.onnx: the two FP32 graphs agree exactly.
    const writeVariant = async (name: string, scaleFactor: (layer: string, channel: number) => number) => {
      const out = new Float32Array(weights.length);
      for (const layer of LAYOUT) {
        const w = weights.subarray(layer.offset / 4, layer.offset / 4 + layer.count);
        out.set(layer.quantized ? dequantized(w, layer.channels, layer.channelOf, (c) => scaleFactor(layer.name, c)) : w, layer.offset / 4);
      }
      const sub = join(dir, name);
      await rm(sub, { recursive: true, force: true });
      await promisify(execFile)('mkdir', ['-p', sub]);
      await copyFile(join(MODELS, 'tiny-cnn-external-data.onnx'), join(sub, 'tiny-cnn-external-data.onnx'));
      await writeFile(join(sub, 'tiny-cnn-external-data.onnx.data'), new Uint8Array(out.buffer));
      return ort.InferenceSession.create(join(sub, 'tiny-cnn-external-data.onnx'));
    };
    const expected = await writeVariant('expected', () => 1);
    const expectedBroken = await writeVariant('expected-broken', (layer) => (layer === 'conv2.weight' ? 0.25 : 1));
    const fp32 = await ort.InferenceSession.create(join(MODELS, 'tiny-cnn.onnx'));
    const fp32External = await ort.InferenceSession.create(join(MODELS, 'tiny-cnn-external-data.onnx'));
    // At 'basic' onnxruntime runs DequantizeLinear as written, so the file's meaning is checked exactly.
    // From 'extended' on it fuses DequantizeLinear + Conv/Gemm into integer kernels that also quantize
    // the activations at run time: that is what a benchmark runs, checked to agree on every top-1.
    const basic = { graphOptimizationLevel: 'basic' } as const;
    const int8 = await ort.InferenceSession.create(join(MODELS, 'tiny-cnn-int8-qdq.onnx'), basic);
    const broken = await ort.InferenceSession.create(join(MODELS, 'tiny-cnn-int8-qdq-broken.onnx'), basic);
    const int8Fused = await ort.InferenceSession.create(join(MODELS, 'tiny-cnn-int8-qdq.onnx'));

    const close = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - (b[i] ?? NaN)) <= 1e-5 * Math.max(1, Math.abs(v)));
    const differs = (a: Float32Array, b: Float32Array) => a.some((v, i) => Math.abs(v - (b[i] ?? NaN)) > 1e-3 * Math.max(1, Math.abs(v)));
    for (const image of images()) {
      const [ref, refExternal, q, qExpected, b, bExpected, qFused] = await Promise.all([
        logits(fp32, image), logits(fp32External, image), logits(int8, image), logits(expected, image), logits(broken, image), logits(expectedBroken, image), logits(int8Fused, image),
      ]);
      expect(Array.from(refExternal)).toEqual(Array.from(ref));
      expect(close(q, qExpected)).toBe(true);
      expect(close(b, bExpected)).toBe(true);
      // Quantization moved the logits (it is not the FP32 model under a new name), the broken scale far more.
      expect(differs(q, ref) || q.some((v, i) => v !== ref[i])).toBe(true);
      expect(differs(b, qExpected)).toBe(true);
      expect(argmax(qFused)).toBe(argmax(qExpected));
    }
  }, 120_000);
});
