import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createOnnxRuntimeBackend } from '../../src/harness/backends/onnxruntime.js';
import { createSyntheticInputs } from '../../src/harness/inputs/synthetic-inputs.js';
import type { TensorSignatureLike } from '../../src/harness/tensors.js';
import { HarnessError } from '../../src/lib/errors.js';

const ALL_TYPES_MODEL = fileURLToPath(new URL('../fixtures/models/all-input-types.onnx', import.meta.url));

const SIGNATURES: TensorSignatureLike[] = [
  { name: 'image', elementType: 'float32', shape: ['batch', 3, 4, 4] },
  { name: 'ids', elementType: 'int64', shape: ['batch', 'sequence'] },
  { name: 'mask', elementType: 'bool', shape: [null, 'unlisted'] },
  { name: 'half', elementType: 'float16', shape: [64] },
];
const OPTIONS = { seed: 2085463073, dynamicDims: { batch: 2, sequence: 5 } };

function halfToNumber(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return mantissa * 2 ** -24;
  return (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

describe('createSyntheticInputs', () => {
  it('is deterministic for a seed and changes with it', () => {
    const first = createSyntheticInputs(SIGNATURES, OPTIONS);
    expect(createSyntheticInputs(SIGNATURES, OPTIONS)).toEqual(first);
    expect(createSyntheticInputs(SIGNATURES, { ...OPTIONS, seed: 1 })[0]!.data).not.toEqual(first[0]!.data);
  });

  // Reports compare runs by seed, so the generator (mulberry32, checked against a Python port) must not drift.
  it('keeps its values stable across releases', () => {
    const [image] = createSyntheticInputs(SIGNATURES, OPTIONS);
    expect(Array.from((image!.data as Float32Array).subarray(0, 3))).toEqual([0.43515074253082275, 0.7636106610298157, 0.9022495150566101]);
  });

  it('resolves symbolic dims from the spec and unknown or unlisted ones to 1', () => {
    const tensors = createSyntheticInputs(SIGNATURES, OPTIONS);
    expect(tensors.map((t) => t.dims)).toEqual([[2, 3, 4, 4], [2, 5], [1, 1], [64]]);
    expect(tensors.map((t) => t.data.length)).toEqual([96, 10, 1, 64]);
  });

  it('draws floats from [0, 1), integers from [0, 16) and booleans as 0/1', () => {
    const [image, ids, mask, half] = createSyntheticInputs(SIGNATURES, { seed: 3, dynamicDims: { batch: 64, sequence: 64 } });
    expect(image!.data).toBeInstanceOf(Float32Array);
    for (const v of image!.data as Float32Array) expect(v >= 0 && v < 1).toBe(true);
    expect(ids!.data).toBeInstanceOf(BigInt64Array);
    const idValues = new Set(Array.from(ids!.data as BigInt64Array, Number));
    expect(Math.min(...idValues)).toBe(0);
    expect(Math.max(...idValues)).toBe(15);
    expect(mask!.data).toBeInstanceOf(Uint8Array);
    for (const v of half!.data as Uint16Array) expect(halfToNumber(v) >= 0 && halfToNumber(v) < 1).toBe(true);
  });

  it('refuses types it cannot generate and absurd sizes', () => {
    const unsupported = () => createSyntheticInputs([{ name: 'c', elementType: 'complex64', shape: [1] }], OPTIONS);
    expect(unsupported).toThrow(HarnessError);
    expect(unsupported).toThrow(expect.objectContaining({ code: 'harness.unsupported_input' }));
    const huge = () => createSyntheticInputs([{ name: 'x', elementType: 'float32', shape: [65536, 65536] }], OPTIONS);
    expect(huge).toThrow(expect.objectContaining({ code: 'harness.input_too_large' }));
  });

  it('produces tensors onnxruntime accepts for every feedable element type', async () => {
    const backend = createOnnxRuntimeBackend({ executionProvider: 'cpu' });
    try {
      const { inputs } = await backend.load(ALL_TYPES_MODEL);
      expect(inputs.map((i) => i.elementType)).toEqual(['float32', 'float16', 'double', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string']);
      const tensors = createSyntheticInputs(inputs, { seed: 9, dynamicDims: { n: 3 } });
      await backend.run(backend.prepareFeeds(tensors));
    } finally {
      await backend.close();
    }
  });
});
