// npubench-edge@3's image-classification-224 reference and its INT8 variant are committed build outputs
// (the service and agents have no Python): CI rebuilds both with their scripts and compares bytes, and
// the plain (uncentred) SqueezeNet the latency tests use keeps the sha256 they pin.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLabelledInputs } from '../../src/harness/index.js';
import { NPUBENCH_EDGE_3 } from '../../src/services/suites/npubench-edge-3.js';
import { SQUEEZENET_SHA256 } from '../helpers/generated-models.js';

const REPO = join(import.meta.dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const hasOnnx = await run(PYTHON, ['-c', 'import onnx, numpy']).then(() => true, () => false);
const skipped = hasOnnx ? '' : ' (SKIPPED: apt-get install python3-onnx python3-numpy)';
const reference = NPUBENCH_EDGE_3.workloads.find((w) => w.id === 'image-classification-224')!.referenceModel.files[0]!;
const INT8_SHA256 = 'ea369c7c309f0e0d959eb32ab3cdef1440fbbe9ed72bd9bd0aa60222591242ef';

describe('scripts/models/make_squeezenet.py --centred (the image-classification-224 reference)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'npubench-squeezenet-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the committed files are the ones the catalog and this test pin', async () => {
    const fp32 = await readFile(join(REPO, reference.path));
    expect({ sha256: sha256(fp32), size: fp32.length }).toEqual({ sha256: reference.sha256, size: reference.size });
    expect(sha256(await readFile(join(REPO, 'test/fixtures/models/squeezenet1.1-centred-int8-qdq.onnx')))).toBe(INT8_SHA256);
  });

  it.skipIf(!hasOnnx)(`rebuilds the centred reference, its INT8 QDQ build and the plain SqueezeNet byte for byte${skipped}`, async () => {
    const script = join(REPO, 'scripts/models/make_squeezenet.py');
    await run(PYTHON, [script, '--centred', join(dir, 'centred.onnx')]);
    await run(PYTHON, [join(REPO, 'scripts/quantize/qdq.py'), join(dir, 'centred.onnx'), join(dir, 'int8.onnx')]);
    await run(PYTHON, [script, join(dir, 'plain.onnx')]);
    expect(sha256(await readFile(join(dir, 'centred.onnx')))).toBe(reference.sha256);
    expect(sha256(await readFile(join(dir, 'int8.onnx')))).toBe(INT8_SHA256);
    expect(sha256(await readFile(join(dir, 'plain.onnx')))).toBe(SQUEEZENET_SHA256);
  }, 120_000);
});

describe('labelled-inputs affineUint8 tensors', () => {
  const file = (tensor: Record<string, unknown>) => JSON.stringify({ format: 'npubench.labelled-inputs/v1', samples: [{ inputs: { x: tensor }, label: 0 }] });

  it('reads each byte as float32(offset + scale × byte)', () => {
    const set = parseLabelledInputs(file({ elementType: 'float32', dims: [1, 4], affineUint8: { base64: Buffer.from([0, 1, 128, 255]).toString('base64'), scale: 2 / 255, offset: -1 } }));
    // Written out: -1, -1 + 2/255, -1 + 256/255, 1, each rounded to float32.
    expect(Array.from(set.samples[0]!.inputs[0]!.data as Float32Array)).toEqual([-1, -0.9921568632125854, 0.003921568859368563, 1]);
  });

  it.each([
    ['a non-float32 tensor', { elementType: 'int8', dims: [1, 2], affineUint8: { base64: 'AAE=', scale: 1, offset: 0 } }, /float32 tensors only/],
    ['a byte count that does not match the dims', { elementType: 'float32', dims: [1, 3], affineUint8: { base64: 'AAE=', scale: 1, offset: 0 } }, /2 bytes for dims \[1, 3\] of affineUint8/],
    ['two encodings at once', { elementType: 'float32', dims: [1, 2], data: [0, 1], affineUint8: { base64: 'AAE=', scale: 1, offset: 0 } }, /exactly one of/],
  ])('refuses %s with the dataset code', (_what, tensor, message) => {
    expect(() => parseLabelledInputs(file(tensor))).toThrow(expect.objectContaining({ code: 'dataset.invalid_labelled_inputs', message: expect.stringMatching(message) }));
  });
});
