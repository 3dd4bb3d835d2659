// Labelled input sets for classification accuracy, format `npubench.labelled-inputs/v1`: one JSON file
// `labelled-inputs.json` (alone, or in a zip/tar uploaded as a dataset):
//   { "format": "npubench.labelled-inputs/v1",
//     "output": "probabilities",               // optional: the output holding class scores (default: the first)
//     "samples": [ { "inputs": { "input": { "elementType": "float32", "dims": [1, 64], "data": [0.1, …] } },
//                    "label": 3 } ] }
// `data` is a JSON array of numbers, or `dataBase64`: the little-endian bytes of the tensor, or for a
// float32 tensor `affineUint8`: { "base64": one byte per element, "scale", "offset" }, each value
// float32(offset + scale × byte) — 8-bit pixels, a quarter of float32's size (a 224×224 image set of 128
// is 26 MB, not 103). A sample with batch > 1 gives one label per row (`"label": [3, 1, …]`).
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import type { HostTensor, HostTensorData } from '../tensors.js';

export const LABELLED_INPUTS_FORMAT = 'npubench.labelled-inputs/v1';
export const LABELLED_INPUTS_FILE = 'labelled-inputs.json';

/** The labelled-inputs file among an extracted archive's paths: at its root or in any one folder. */
export const labelledInputsFileIn = (files: readonly string[]): string | undefined => files.find((f) => f === LABELLED_INPUTS_FILE || f.endsWith(`/${LABELLED_INPUTS_FILE}`));

const NUMERIC_TYPES = ['float32', 'double', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'] as const;
type NumericType = (typeof NUMERIC_TYPES)[number];

const tensorSchema = z
  .strictObject({
    elementType: z.enum(NUMERIC_TYPES),
    dims: z.array(z.int().min(0).max(1 << 30)).max(16),
    data: z.array(z.number()).optional(),
    dataBase64: z.string().optional(),
    affineUint8: z.strictObject({ base64: z.string(), scale: z.number().refine(Number.isFinite), offset: z.number().refine(Number.isFinite) }).optional(),
  })
  .refine((t) => [t.data, t.dataBase64, t.affineUint8].filter((d) => d !== undefined).length === 1, 'give exactly one of data, dataBase64 or affineUint8')
  .refine((t) => t.affineUint8 === undefined || t.elementType === 'float32', 'affineUint8 stores float32 tensors only');

export const labelledInputsFileSchema = z.strictObject({
  format: z.literal(LABELLED_INPUTS_FORMAT),
  output: z.string().min(1).optional(),
  samples: z
    .array(z.strictObject({ inputs: z.record(z.string().min(1), tensorSchema), label: z.union([z.int().min(0), z.array(z.int().min(0)).min(1)]) }))
    .min(1)
    .max(1_000_000),
});

export interface LabelledSample {
  inputs: HostTensor[];
  /** One label per batch row. */
  labels: number[];
}

export interface LabelledInputSet {
  output: string | null;
  samples: LabelledSample[];
}

const ARRAYS: Record<NumericType, { bytes: number; make: (buffer: ArrayBuffer, offset: number, length: number) => HostTensorData; from: (values: number[]) => HostTensorData }> = {
  float32: { bytes: 4, make: (b, o, l) => new Float32Array(b, o, l), from: (v) => Float32Array.from(v) },
  double: { bytes: 8, make: (b, o, l) => new Float64Array(b, o, l), from: (v) => Float64Array.from(v) },
  int8: { bytes: 1, make: (b, o, l) => new Int8Array(b, o, l), from: (v) => Int8Array.from(v) },
  uint8: { bytes: 1, make: (b, o, l) => new Uint8Array(b, o, l), from: (v) => Uint8Array.from(v) },
  bool: { bytes: 1, make: (b, o, l) => new Uint8Array(b, o, l), from: (v) => Uint8Array.from(v) },
  int16: { bytes: 2, make: (b, o, l) => new Int16Array(b, o, l), from: (v) => Int16Array.from(v) },
  uint16: { bytes: 2, make: (b, o, l) => new Uint16Array(b, o, l), from: (v) => Uint16Array.from(v) },
  int32: { bytes: 4, make: (b, o, l) => new Int32Array(b, o, l), from: (v) => Int32Array.from(v) },
  uint32: { bytes: 4, make: (b, o, l) => new Uint32Array(b, o, l), from: (v) => Uint32Array.from(v) },
  int64: { bytes: 8, make: (b, o, l) => new BigInt64Array(b, o, l), from: (v) => BigInt64Array.from(v, (x) => BigInt(Math.trunc(x))) },
  uint64: { bytes: 8, make: (b, o, l) => new BigUint64Array(b, o, l), from: (v) => BigUint64Array.from(v, (x) => BigInt(Math.trunc(x))) },
};

const invalid = (message: string) => new AppError('dataset.invalid_labelled_inputs', `Invalid ${LABELLED_INPUTS_FILE}: ${message}`);

/** Parses and checks a labelled input set (element counts match dims, one label per batch row). */
export function parseLabelledInputs(text: string): LabelledInputSet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = labelledInputsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'does not match the format'}`);
  }
  const samples = parsed.data.samples.map((sample, s) => {
    let rows: number | null = null;
    const inputs = Object.entries(sample.inputs).map(([name, t]): HostTensor => {
      const count = t.dims.reduce((a, b) => a * b, 1);
      const kind = ARRAYS[t.elementType];
      let data: HostTensorData;
      if (t.data !== undefined) {
        if (t.data.length !== count) throw invalid(`sample ${s} input '${name}' has ${t.data.length} values for dims [${t.dims.join(', ')}]`);
        data = kind.from(t.data);
      } else if (t.affineUint8 !== undefined) {
        const { base64, scale, offset } = t.affineUint8;
        const bytes = Buffer.from(base64, 'base64');
        if (bytes.length !== count) throw invalid(`sample ${s} input '${name}' has ${bytes.length} bytes for dims [${t.dims.join(', ')}] of affineUint8`);
        data = Float32Array.from(bytes, (q) => offset + scale * q);
      } else {
        const bytes = Buffer.from(t.dataBase64!, 'base64');
        if (bytes.length !== count * kind.bytes) throw invalid(`sample ${s} input '${name}' has ${bytes.length} bytes for dims [${t.dims.join(', ')}] of ${t.elementType}`);
        const copy = new ArrayBuffer(bytes.length);
        new Uint8Array(copy).set(bytes);
        data = kind.make(copy, 0, count);
      }
      rows ??= t.dims[0] ?? 1;
      return { name, elementType: t.elementType, dims: t.dims, data };
    });
    const labels = Array.isArray(sample.label) ? sample.label : [sample.label];
    if (labels.length !== (rows ?? 1)) throw invalid(`sample ${s} has ${labels.length} labels for a batch of ${rows ?? 1}`);
    return { inputs, labels };
  });
  return { output: parsed.data.output ?? null, samples };
}
