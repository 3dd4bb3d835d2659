// Runner protocol v1 and v2 (docs/runner-protocol.md): JSON lines between the harness and a runner process
// that drives an NPU through its vendor SDK. Both sides (runner-process.ts and the reference runner)
// validate against these schemas, so the document, the host and the reference runner cannot drift apart.
// v2 adds a sample library loaded before timing (`load_samples`), `run` by sample index with an output
// digest per sample, and several requests in flight; v1 stays for existing runners.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { deviceInfoSchema } from '../backends/backend.js';
import type { ElementType, HostTensor, HostTensorData } from '../tensors.js';

/** The newest version; hosts offer every entry of RUNNER_PROTOCOL_VERSIONS. */
export const RUNNER_PROTOCOL_VERSION = 2;
export const RUNNER_PROTOCOL_VERSIONS = [2, 1] as const;
export type RunnerProtocolVersion = (typeof RUNNER_PROTOCOL_VERSIONS)[number];

/** Most samples one `load_samples` may hold, and most indices one v2 `run` may name. */
export const MAX_LIBRARY_SAMPLES = 65_536;
export const MAX_SAMPLES_PER_RUN = 1024;
/** Most requests a v2 runner may ask to have in flight at once. */
export const MAX_IN_FLIGHT = 256;

/** Longest line either side accepts, newline included; larger tensors travel by file. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Tensors go inline while their base64 fits in this share of a line; the rest by file. */
export const INLINE_TENSOR_BUDGET_BYTES = MAX_LINE_BYTES / 2;

/** Upper bound on `iterations` in one run request, so a typo cannot hang a device for hours. */
export const MAX_ITERATIONS_PER_RUN = 1_000_000;

const NUMERIC_ELEMENT_BYTES = {
  float32: 4,
  float16: 2,
  double: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
} as const satisfies Record<Exclude<ElementType, 'string'>, number>;

type NumericElementType = keyof typeof NUMERIC_ELEMENT_BYTES;

const numericElementTypes = Object.keys(NUMERIC_ELEMENT_BYTES) as [NumericElementType, ...NumericElementType[]];
const dimsSchema = z.array(z.int().min(0));

export const wireTensorSchema = z.union([
  z.strictObject({ name: z.string(), dtype: z.enum(numericElementTypes), shape: dimsSchema, data: z.string() }),
  z.strictObject({ name: z.string(), dtype: z.enum(numericElementTypes), shape: dimsSchema, path: z.string().min(1) }),
  z.strictObject({ name: z.string(), dtype: z.literal('string'), shape: dimsSchema, strings: z.array(z.string()) }),
]);
export type WireTensor = z.output<typeof wireTensorSchema>;

export const tensorSignatureSchema = z.strictObject({
  name: z.string(),
  elementType: z.string(),
  shape: z.array(z.union([z.int(), z.string(), z.null()])).readonly(),
});

const requestId = z.int().min(1);

export const helloRequestSchema = z.strictObject({ id: requestId, op: z.literal('hello'), protocolVersions: z.array(z.int()).min(1) });
export const loadRequestSchema = z.strictObject({ id: requestId, op: z.literal('load'), modelPath: z.string().min(1), options: z.record(z.string(), z.unknown()) });
/** v1: tensors in the request, run `iterations` times. */
export const runRequestSchema = z.strictObject({
  id: requestId,
  op: z.literal('run'),
  iterations: z.int().min(1).max(MAX_ITERATIONS_PER_RUN),
  returnOutputs: z.boolean(),
  inputs: z.array(wireTensorSchema),
});
/** v2: the sample library, loaded once before timing; each sample is one input tensor per model input. */
export const loadSamplesRequestSchema = z.strictObject({
  id: requestId,
  op: z.literal('load_samples'),
  samples: z.array(z.strictObject({ inputs: z.array(wireTensorSchema) })).min(1).max(MAX_LIBRARY_SAMPLES),
});
/** v2: one inference per named sample, in order (several for MultiStream), answered with a digest per sample. */
export const runSamplesRequestSchema = z.strictObject({
  id: requestId,
  op: z.literal('run'),
  samples: z.array(z.int().min(0)).min(1).max(MAX_SAMPLES_PER_RUN),
  returnOutputs: z.boolean(),
});
export const closeRequestSchema = z.strictObject({ id: requestId, op: z.literal('close') });

/** Optional v2 ops a runner declares in hello's `ops`; a host sends none it did not declare. */
export const OPTIONAL_RUNNER_OPS = ['lm_forward', 'lm_release'] as const;
export type OptionalRunnerOp = (typeof OPTIONAL_RUNNER_OPS)[number];
/** Most tokens one lm_forward may carry, and most KV caches a runner must hold at once. */
export const MAX_LM_FORWARD_TOKENS = 1_048_576;
export const MAX_LM_CACHES = 1024;
const cacheHandle = z.int().min(1);
/**
 * v2 causal LMs (batch 1): run `tokens` after the first `keep` positions of cache `cache` (all of them
 * when keep is absent; a fresh sequence when cache is null). The named cache stays valid; the answer names
 * a new one holding the whole sequence. `release` frees caches the host no longer needs, so a decode loop
 * needs no extra round trip per token.
 */
export const lmForwardRequestSchema = z.strictObject({
  id: requestId,
  op: z.literal('lm_forward'),
  tokens: z.array(z.int().min(0)).min(1).max(MAX_LM_FORWARD_TOKENS),
  cache: cacheHandle.nullable(),
  keep: z.int().min(0).optional(),
  logits: z.enum(['last', 'all']),
  release: z.array(cacheHandle).max(MAX_LM_CACHES).optional(),
});
export const lmReleaseRequestSchema = z.strictObject({ id: requestId, op: z.literal('lm_release'), caches: z.array(cacheHandle).min(1).max(MAX_LM_CACHES) });
// A plain union: v1 and v2 `run` share their op, which a discriminated union cannot hold.
export const requestSchema = z.union([
  helloRequestSchema,
  loadRequestSchema,
  loadSamplesRequestSchema,
  runRequestSchema,
  runSamplesRequestSchema,
  lmForwardRequestSchema,
  lmReleaseRequestSchema,
  closeRequestSchema,
]);
export type RunnerRequest = z.output<typeof requestSchema>;
export type RunnerOp = RunnerRequest['op'];

/** Which clock measured the per-iteration times a runner reports, if any. */
export const deviceTimingSourceSchema = z.enum(['device', 'runner', 'none']);

export const helloResultSchema = z.strictObject({
  protocolVersion: z.int(),
  runner: z.strictObject({ name: z.string().min(1), version: z.string().min(1) }),
  device: deviceInfoSchema,
  deviceTiming: deviceTimingSourceSchema,
  /** v2: requests the runner accepts at once (several hardware queues); default 1. */
  maxInFlight: z.int().min(1).max(MAX_IN_FLIGHT).optional(),
  /** v2: false when the device may give different output bytes for the same input (the host then
   *  compares a seeded subset of full outputs within tolerance instead of digests); default true. */
  deterministicOutputs: z.boolean().optional(),
  /** v2: the optional ops this runner answers (e.g. lm_forward and lm_release for causal LMs); default none. */
  ops: z.array(z.enum(OPTIONAL_RUNNER_OPS)).optional(),
});
export const loadResultSchema = z.strictObject({
  inputs: z.array(tensorSignatureSchema),
  outputs: z.array(tensorSignatureSchema),
  loadTimeMs: z.number().min(0),
});
export const runResultSchema = z.strictObject({
  outputs: z.array(wireTensorSchema).optional(),
  deviceTimesNs: z.array(z.number().min(0)).optional(),
});
export const loadSamplesResultSchema = z.strictObject({ sampleCount: z.int().min(1) });
/** sha256 of an output's raw bytes (strings: of their JSON array), lower-case hex. */
export const outputDigestSchema = z.string().regex(/^[0-9a-f]{64}$/);
/** v2: one entry per requested sample, in request order: a digest per model output, in load order. */
export const runSamplesResultSchema = z.strictObject({
  results: z.array(z.strictObject({ digests: z.array(outputDigestSchema), outputs: z.array(wireTensorSchema).optional() })),
  /** One per requested sample, as in v1. */
  deviceTimesNs: z.array(z.number().min(0)).optional(),
});
export const closeResultSchema = z.strictObject({});
/** lm_forward's answer: the new cache, the sequence length it holds (the runner's token count, which the
 *  host checks), and float32 logits [1 or tokens, vocab] as a wire tensor (large ones by file) with their digest. */
export const lmForwardResultSchema = z.strictObject({
  cacheHandle,
  cacheLength: z.int().min(1),
  logits: wireTensorSchema,
  digest: outputDigestSchema,
});
export const lmReleaseResultSchema = z.strictObject({ released: z.int().min(0) });
export type LmForwardRequest = z.output<typeof lmForwardRequestSchema>;
export type LmForwardResult = z.output<typeof lmForwardResultSchema>;
export type LmReleaseResult = z.output<typeof lmReleaseResultSchema>;

export type HelloResult = z.output<typeof helloResultSchema>;
export type LoadResult = z.output<typeof loadResultSchema>;
export type RunResult = z.output<typeof runResultSchema>;
export type LoadSamplesResult = z.output<typeof loadSamplesResultSchema>;
export type RunSamplesResult = z.output<typeof runSamplesResultSchema>;

export const runnerErrorSchema = z.strictObject({ code: z.string().min(1), message: z.string() });
export const responseSchema = z.union([
  z.strictObject({ id: requestId, ok: z.literal(true), result: z.record(z.string(), z.unknown()) }),
  // id null answers a line the runner could not read well enough to find its id.
  z.strictObject({ id: requestId.nullable(), ok: z.literal(false), error: runnerErrorSchema }),
]);
export type RunnerResponse = z.output<typeof responseSchema>;

/** Error codes a runner answers with; vendors may add their own, prefixed `vendor.`. */
export const RUNNER_ERROR_CODES = {
  badRequest: 'bad_request',
  lineTooLong: 'line_too_long',
  unsupportedProtocol: 'unsupported_protocol',
  notLoaded: 'not_loaded',
  loadFailed: 'load_failed',
  runFailed: 'run_failed',
  /** An optional op (OPTIONAL_RUNNER_OPS) the runner does not implement, or a model it cannot serve it for. */
  unsupportedOp: 'unsupported_op',
  internal: 'internal',
} as const;

/** A tensor that does not decode into what its dtype and shape promise. */
export class TensorDecodeError extends Error {
  override readonly name = 'TensorDecodeError';
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

function typedArrayOf(dtype: NumericElementType, bytes: ArrayBuffer): HostTensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(bytes);
    case 'double':
      return new Float64Array(bytes);
    case 'int8':
      return new Int8Array(bytes);
    case 'uint8':
    case 'bool':
      return new Uint8Array(bytes);
    case 'int16':
      return new Int16Array(bytes);
    case 'uint16':
    case 'float16':
      return new Uint16Array(bytes);
    case 'int32':
      return new Int32Array(bytes);
    case 'uint32':
      return new Uint32Array(bytes);
    case 'int64':
      return new BigInt64Array(bytes);
    case 'uint64':
      return new BigUint64Array(bytes);
  }
}

/** Raw little-endian bytes of a host tensor, without copying. Every platform npubench runs on is little-endian. */
function tensorBytes(data: Exclude<HostTensorData, string[]>): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Wire form of tensors for one line: inline base64 while the line has room, the rest through
 * `spillToFile`, which stores the bytes and returns the path. String tensors always go inline.
 */
export function encodeTensors(tensors: readonly HostTensor[], spillToFile: (tensor: HostTensor, bytes: Buffer) => string): WireTensor[] {
  let inlineChars = 0;
  return tensors.map((tensor): WireTensor => {
    const { name, elementType: dtype, dims } = tensor;
    const shape = [...dims];
    if (Array.isArray(tensor.data)) return { name, dtype: 'string', shape, strings: tensor.data };
    if (dtype === 'string') throw new TensorDecodeError(`string tensor '${name}' holds a typed array`);
    const bytes = tensorBytes(tensor.data);
    const base64Chars = 4 * Math.ceil(bytes.length / 3);
    if (inlineChars + base64Chars > INLINE_TENSOR_BUDGET_BYTES) return { name, dtype, shape, path: spillToFile(tensor, bytes) };
    inlineChars += base64Chars;
    return { name, dtype, shape, data: bytes.toString('base64') };
  });
}

/**
 * Decodes a wire tensor, checking that its bytes are exactly dtype × shape. `readFile` fetches
 * by-path tensors (injected so each side decides how, and tests can see it).
 */
export function decodeTensor(wire: WireTensor, readFile: (path: string) => Buffer): HostTensor {
  const expectedElements = elementCount(wire.shape);
  if ('strings' in wire) {
    if (wire.strings.length !== expectedElements) {
      throw new TensorDecodeError(`tensor '${wire.name}' has ${wire.strings.length} strings; shape [${wire.shape.join(', ')}] needs ${expectedElements}`);
    }
    return { name: wire.name, elementType: 'string', dims: wire.shape, data: wire.strings };
  }
  const expectedBytes = expectedElements * NUMERIC_ELEMENT_BYTES[wire.dtype];
  // Node's base64 decoder skips characters it does not know, so only an exact length proves the text was clean.
  if ('data' in wire && wire.data.length !== 4 * Math.ceil(expectedBytes / 3)) {
    throw new TensorDecodeError(
      `tensor '${wire.name}' (${wire.dtype} [${wire.shape.join(', ')}]) needs ${expectedBytes} bytes, but its base64 text is ${wire.data.length} characters long`,
    );
  }
  const bytes = 'data' in wire ? Buffer.from(wire.data, 'base64') : readFile(wire.path);
  if (bytes.length !== expectedBytes) {
    throw new TensorDecodeError(`tensor '${wire.name}' (${wire.dtype} [${wire.shape.join(', ')}]) needs ${expectedBytes} bytes but carries ${bytes.length}`);
  }
  // A copy at offset 0, because typed arrays need their element alignment and Buffers from a pool may lack it.
  const aligned = new ArrayBuffer(bytes.length);
  bytes.copy(new Uint8Array(aligned));
  return { name: wire.name, elementType: wire.dtype, dims: wire.shape, data: typedArrayOf(wire.dtype, aligned) };
}

/** The digest protocol v2 asks for: sha256 of the raw little-endian bytes the wire would carry. */
export function outputDigest(tensor: HostTensor): string {
  const hash = createHash('sha256');
  if (Array.isArray(tensor.data)) hash.update(JSON.stringify(tensor.data));
  else hash.update(tensorBytes(tensor.data));
  return hash.digest('hex');
}

// Fast paths for the timed loop's two messages, a v2 `run` request and its answer. zod's union tries each
// request shape in turn and costs ~10 µs a line; these hand-written checks accept only messages the
// schemas accept (test/unit/runner-protocol-fast-paths.test.ts holds them to that) and return undefined for
// anything else, which then goes through the schemas, so errors read the same.

const DIGEST = /^[0-9a-f]{64}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function hasOnlyKeys(value: Record<string, unknown>, required: readonly string[], optional: readonly string[]): boolean {
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (!required.includes(key) && !optional.includes(key)) return false;
    count++;
  }
  let present = 0;
  for (const key of required) if (Object.hasOwn(value, key)) present++;
  return present === required.length && count <= required.length + optional.length;
}

const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1;
const isNonNegative = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** A v2 run request, or undefined when the message is anything else (the schemas then decide). */
export function fastRunSamplesRequest(message: unknown): z.output<typeof runSamplesRequestSchema> | undefined {
  if (!isPlainObject(message) || message.op !== 'run' || !hasOnlyKeys(message, ['id', 'op', 'samples', 'returnOutputs'], [])) return undefined;
  const { id, samples, returnOutputs } = message;
  if (!isId(id) || typeof returnOutputs !== 'boolean' || !Array.isArray(samples) || samples.length < 1 || samples.length > MAX_SAMPLES_PER_RUN) return undefined;
  for (const index of samples) if (!Number.isSafeInteger(index) || (index as number) < 0) return undefined;
  return message as z.output<typeof runSamplesRequestSchema>;
}

/** An ok response line's members, or undefined for anything else (errors, malformed lines: the schemas decide). */
export function fastOkResponse(message: unknown): { id: number; ok: true; result: Record<string, unknown> } | undefined {
  if (!isPlainObject(message) || message.ok !== true || !hasOnlyKeys(message, ['id', 'ok', 'result'], [])) return undefined;
  if (!isId(message.id) || !isPlainObject(message.result)) return undefined;
  return message as { id: number; ok: true; result: Record<string, unknown> };
}

/** A v2 run result with digests only (the timed path), or undefined: outputs and anything odd go to the schema. */
export function fastRunSamplesResult(result: Record<string, unknown>): RunSamplesResult | undefined {
  if (!hasOnlyKeys(result, ['results'], ['deviceTimesNs'])) return undefined;
  const { results, deviceTimesNs } = result;
  if (!Array.isArray(results)) return undefined;
  for (const entry of results) {
    if (!isPlainObject(entry) || !hasOnlyKeys(entry, ['digests'], [])) return undefined;
    const { digests } = entry;
    if (!Array.isArray(digests)) return undefined;
    for (const digest of digests) if (typeof digest !== 'string' || !DIGEST.test(digest)) return undefined;
  }
  if (deviceTimesNs !== undefined) {
    if (!Array.isArray(deviceTimesNs)) return undefined;
    for (const ns of deviceTimesNs) if (!isNonNegative(ns)) return undefined;
  }
  return result as RunSamplesResult;
}
