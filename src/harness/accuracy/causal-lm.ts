// Causal LMs as the MMLU evaluation and the LLM latency run see them (CausalLanguageModel: forward passes
// with an explicit KV cache), the onnxruntime implementation (CausalLm), the log-softmax of the
// next-token logits and greedy decoding. runner-causal-lm.ts implements the same interface over a runner.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { AppError, HarnessError, errorMessage } from '../../lib/errors.js';
import { onnxRuntimeSessionOptions, toSignature, type OnnxRuntimeBackendConfig } from '../backends/onnxruntime.js';
import { causalLmLayout, type CausalLmLayout } from './causal-lm-signature.js';

/** A KV cache as callers hold it: opaque but for the sequence length it covers. */
export interface LmCache {
  readonly length: number;
}

export interface ForwardResult<Cache extends LmCache = LmCache> {
  /** Logits of the last position, as float32. */
  lastLogits: Float32Array;
  /** Logits of every position, [sequence × vocab] row-major; present when forward was asked for 'all'
   *  (the onnxruntime implementation always has them). */
  allLogits?: Float32Array;
  vocabSize: number;
  cache: Cache;
}

/** What the MMLU evaluation and the LLM latency run need of a causal LM (batch 1). */
export interface CausalLanguageModel {
  readonly contextLength: number | null;
  /** Runs `tokens` after the cached sequence (a fresh one without `cache`); `cache` stays usable. */
  forward(tokens: readonly number[], cache?: LmCache, logits?: 'last' | 'all'): Promise<ForwardResult>;
  /** The first `length` positions of a cache; `cache` stays usable. */
  truncateCache(cache: LmCache, length: number): LmCache;
  /** Says a cache (and truncations of it) will not be used again, so a runner can free it. */
  releaseCache(cache: LmCache): void;
  close(): Promise<void>;
}

/** The onnxruntime cache: tensors by input name (past_key_values.{i}.key|value); empty past for a fresh sequence. */
export class KvCache implements LmCache {
  constructor(
    readonly tensors: Record<string, Tensor>,
    readonly length: number,
  ) {}
}

/** Every position's logits, or an error naming the caller's mistake (forward was not asked for 'all'). */
export function allLogitsOf(result: ForwardResult): Float32Array {
  if (result.allLogits === undefined) throw new Error("forward was not asked for 'all' logits");
  return result.allLogits;
}

/** The context length a config.json declares, under the names common architectures use. */
export function contextLengthOf(config: Record<string, unknown>): number | null {
  for (const key of ['max_position_embeddings', 'n_positions', 'max_sequence_length', 'n_ctx', 'seq_length']) {
    const value = config[key];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  }
  return null;
}

function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** log_softmax over one row, in float64 for a stable sum. */
export function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const logSum = max + Math.log(sum);
  return Float64Array.from(logits, (v) => v - logSum);
}

/** A bundle's config.json as an object; AppError `bundle.invalid_file` when it is not one. */
export async function readBundleConfig(bundleDir: string): Promise<Record<string, unknown>> {
  let config: unknown;
  try {
    config = JSON.parse(await readFile(join(bundleDir, 'config.json'), 'utf8'));
  } catch (err) {
    throw new AppError('bundle.invalid_file', `config.json in the bundle cannot be read as JSON: ${errorMessage(err)}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new AppError('bundle.invalid_file', 'config.json in the bundle is not a JSON object.');
  return config as Record<string, unknown>;
}

export class CausalLm implements CausalLanguageModel {
  private constructor(
    private readonly session: InferenceSession,
    readonly layout: CausalLmLayout,
    readonly contextLength: number | null,
    readonly config: Record<string, unknown>,
  ) {}

  /** Loads `modelPath` with the given onnxruntime config; `bundleDir` holds config.json. */
  static async load(modelPath: string, bundleDir: string, backend: OnnxRuntimeBackendConfig): Promise<CausalLm> {
    const config = await readBundleConfig(bundleDir);
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(modelPath, onnxRuntimeSessionOptions(backend));
    } catch (err) {
      const code = backend.executionProvider === 'cpu' ? 'harness.model_load_failed' : 'harness.ep_unavailable';
      throw new HarnessError(code, `onnxruntime could not load the LM: ${errorMessage(err)}`, { cause: err });
    }
    return CausalLm.fromSession(session, config);
  }

  /** Over a session already loaded (the reference runner's); AppError `model.not_causal_lm` when it is not an LM. */
  static fromSession(session: InferenceSession, config: Record<string, unknown>): CausalLm {
    const layout = causalLmLayout({ inputs: session.inputMetadata.map(toSignature), outputs: session.outputMetadata.map(toSignature) });
    return new CausalLm(session, layout, contextLengthOf(config), config);
  }

  emptyCache(): KvCache {
    const { layers, kvHeads, headDim, kvElementType } = this.layout;
    const tensors: Record<string, Tensor> = {};
    for (let layer = 0; layer < layers; layer++) {
      for (const kind of ['key', 'value']) {
        const data = kvElementType === 'float16' ? new Uint16Array(0) : new Float32Array(0);
        tensors[`past_key_values.${layer}.${kind}`] = new Tensor(kvElementType, data, [1, kvHeads, 0, headDim]);
      }
    }
    return new KvCache(tensors, 0);
  }

  private own(cache: LmCache): KvCache {
    if (!(cache instanceof KvCache)) throw new Error('the cache was not made by this onnxruntime LM');
    return cache;
  }

  private ids(values: readonly number[]): Tensor {
    return this.layout.idElementType === 'int64'
      ? new Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [1, values.length])
      : new Tensor('int32', Int32Array.from(values), [1, values.length]);
  }

  /** Runs `tokens` after the cached sequence (batch 1); returns logits and the grown cache. */
  async forward(tokens: readonly number[], given?: LmCache): Promise<ForwardResult<KvCache>> {
    if (tokens.length === 0) throw new Error('forward needs at least one token');
    const cache = given === undefined ? this.emptyCache() : this.own(given);
    const total = cache.length + tokens.length;
    const feeds: Record<string, Tensor> = {
      input_ids: this.ids(tokens),
      attention_mask: this.ids(Array.from({ length: total }, () => 1)),
      ...cache.tensors,
    };
    if (this.layout.hasPositionIds) feeds.position_ids = this.ids(tokens.map((_, i) => cache.length + i));
    let outputs: InferenceSession.ReturnType;
    try {
      outputs = await this.session.run(feeds);
    } catch (err) {
      throw new HarnessError('harness.inference_failed', `LM inference failed: ${errorMessage(err)}`, { cause: err });
    }
    const logits = outputs.logits!;
    const vocabSize = logits.dims[2]!;
    const raw = logits.data as Float32Array | Uint16Array;
    const allLogits = raw instanceof Float32Array ? raw : Float32Array.from(raw, float16ToFloat32);
    const next: Record<string, Tensor> = {};
    for (let layer = 0; layer < this.layout.layers; layer++) {
      for (const kind of ['key', 'value']) next[`past_key_values.${layer}.${kind}`] = outputs[`present.${layer}.${kind}`]!;
    }
    return { lastLogits: allLogits.subarray((tokens.length - 1) * vocabSize, tokens.length * vocabSize), allLogits, vocabSize, cache: new KvCache(next, total) };
  }

  /** The first `length` positions of a cache (a copy; the tensors are [1, heads, T, headDim]). */
  truncateCache(given: LmCache, length: number): KvCache {
    const cache = this.own(given);
    if (length > cache.length) throw new Error(`cannot keep ${length} of ${cache.length} cached positions`);
    const { kvHeads, headDim, kvElementType } = this.layout;
    const tensors: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(cache.tensors)) {
      const source = tensor.data as Float32Array | Uint16Array;
      const kept = kvElementType === 'float16' ? new Uint16Array(kvHeads * length * headDim) : new Float32Array(kvHeads * length * headDim);
      for (let head = 0; head < kvHeads; head++) {
        const from = head * cache.length * headDim;
        kept.set(source.subarray(from, from + length * headDim), head * length * headDim);
      }
      tensors[name] = new Tensor(kvElementType, kept, [1, kvHeads, length, headDim]);
    }
    return new KvCache(tensors, length);
  }

  /** Garbage collection frees onnxruntime's tensors. */
  releaseCache(): void {}

  async close(): Promise<void> {
    await this.session.release();
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
