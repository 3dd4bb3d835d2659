// onnxruntime-node backend. The execution provider and its options go to onnxruntime untouched; when a
// requested accelerator cannot create the session we fail, because a silent CPU fallback would publish
// CPU numbers under an NPU's name.
import { InferenceSession, Tensor, env } from 'onnxruntime-node';
import { z } from 'zod';
import { HarnessError, errorMessage } from '../../lib/errors.js';
import type { ElementType, HostTensor, TensorSignatureLike } from '../tensors.js';
import type { BackendDescription, InferenceBackend, LoadInfo, PreparedFeeds } from './backend.js';

export const onnxRuntimeBackendConfigSchema = z.strictObject({
  /** 'cpu', 'cuda', 'tensorrt', 'webgpu', 'coreml', 'dml', 'qnn', ... as onnxruntime names them. */
  executionProvider: z.string().min(1),
  /** Passed to onnxruntime as the provider's options (e.g. { backendPath: 'libQnnHtp.so' } for qnn). */
  epOptions: z.record(z.string(), z.unknown()).optional(),
  intraOpNumThreads: z.int().min(0).max(1024).optional(),
  interOpNumThreads: z.int().min(0).max(1024).optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
});

export type OnnxRuntimeBackendConfig = z.output<typeof onnxRuntimeBackendConfigSchema>;

export const ONNXRUNTIME_BACKEND_NAME = 'onnxruntime-node';

/** Session options for a config; the operator profiler builds its session from the same options. */
export function onnxRuntimeSessionOptions(config: OnnxRuntimeBackendConfig): InferenceSession.SessionOptions {
  const { executionProvider, epOptions, intraOpNumThreads, interOpNumThreads, graphOptimizationLevel } = config;
  return {
    executionProviders: [epOptions === undefined ? executionProvider : { ...epOptions, name: executionProvider }],
    ...(intraOpNumThreads !== undefined && { intraOpNumThreads }),
    ...(interOpNumThreads !== undefined && { interOpNumThreads }),
    ...(graphOptimizationLevel !== undefined && { graphOptimizationLevel }),
  };
}

/** Host tensors as onnxruntime tensors, keyed by input name. */
export function toOnnxRuntimeFeeds(tensors: readonly HostTensor[]): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const tensor of tensors) {
    const type = tensor.elementType === 'double' ? 'float64' : tensor.elementType;
    feeds[tensor.name] = new Tensor(type, tensor.data, tensor.dims);
  }
  return feeds;
}

const ORT_TO_ELEMENT_TYPE: Partial<Record<Tensor.Type, ElementType>> = {
  float32: 'float32',
  float16: 'float16',
  float64: 'double',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  bool: 'bool',
  string: 'string',
};

/** An onnxruntime tensor as a host tensor, or undefined for types the harness cannot carry (int4, bfloat16). */
export function fromOnnxRuntimeTensor(name: string, tensor: Tensor): HostTensor | undefined {
  const elementType = ORT_TO_ELEMENT_TYPE[tensor.type];
  return elementType === undefined ? undefined : { name, elementType, dims: tensor.dims, data: tensor.data };
}

class OnnxRuntimeFeeds implements PreparedFeeds {
  readonly backendName = ONNXRUNTIME_BACKEND_NAME;
  constructor(readonly tensors: Readonly<Record<string, Tensor>>) {}
}

/** onnxruntime's view of an input or output in the harness's terms; the reference runner and the
 *  operator profiler use it too, so all report a model's signature the same way. */
export function toSignature(metadata: InferenceSession.ValueMetadata): TensorSignatureLike {
  if (!metadata.isTensor) return { name: metadata.name, elementType: 'non-tensor', shape: [] };
  return {
    name: metadata.name,
    // The rest of npubench says 'double' where onnxruntime says 'float64'.
    elementType: metadata.type === 'float64' ? 'double' : metadata.type,
    // onnxruntime reports a dim with neither value nor name as ''.
    shape: metadata.shape.map((dim) => (dim === '' ? null : dim)),
  };
}

/**
 * After a failed inference: the symbolic input dims that were fed at size 1, which is what the harness
 * gives every symbolic dim that suite.dynamicDims does not name, and how to name them. A model whose
 * dims must be larger (a reshape, a sequence that must be a multiple of something) otherwise fails
 * with an onnxruntime shape error that mentions no dim by name. Empty when no symbolic dim was at 1.
 */
export function symbolicDimsHint(inputs: readonly InferenceSession.ValueMetadata[], tensors: Readonly<Record<string, Tensor>>): string {
  const named = new Map<string, string[]>();
  const unnamed: string[] = [];
  for (const input of inputs) {
    if (!input.isTensor) continue;
    const fed = tensors[input.name]?.dims;
    input.shape.forEach((dim, axis) => {
      if (typeof dim !== 'string' || fed?.[axis] !== 1) return;
      if (dim === '') unnamed.push(`${input.name}[${axis}]`);
      else named.set(dim, [...(named.get(dim) ?? []), input.name]);
    });
  }
  if (named.size === 0 && unnamed.length === 0) return '';
  const lines = [''];
  if (named.size > 0) {
    const dims = [...named.keys()];
    const where = [...named].map(([dim, names]) => `${dim} (input ${[...new Set(names)].join(', ')})`).join(', ');
    const example = `{"dynamicDims":{${dims.map((dim) => `${JSON.stringify(dim)}:<size>`).join(',')}}}`;
    lines.push(
      `The model's symbolic dims ${where} ran at size 1, the size every symbolic dim gets that suite.dynamicDims does not name.`,
      `If the model needs other sizes, set them: npubench bench (or submit) --suite '${example}', or suite.dynamicDims in the job submitted to the API (POST /v1/jobs).`,
    );
  }
  if (unnamed.length > 0) lines.push(`Dims without a name (${unnamed.join(', ')}) always run at size 1; give them a name in the model to set their size.`);
  return lines.join('\n');
}

export class OnnxRuntimeBackend implements InferenceBackend {
  readonly name = ONNXRUNTIME_BACKEND_NAME;
  private session: InferenceSession | null = null;
  private readonly config: OnnxRuntimeBackendConfig;

  constructor(config: OnnxRuntimeBackendConfig) {
    const parsed = onnxRuntimeBackendConfigSchema.safeParse(config);
    if (!parsed.success) throw new HarnessError('harness.invalid_backend_config', `Invalid onnxruntime backend config: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
  }

  async load(modelPath: string): Promise<LoadInfo> {
    if (this.session !== null) throw new Error('OnnxRuntimeBackend.load called twice');
    const provider = this.config.executionProvider;
    try {
      this.session = await InferenceSession.create(modelPath, onnxRuntimeSessionOptions(this.config));
    } catch (err) {
      if (provider !== 'cpu') {
        throw new HarnessError('harness.ep_unavailable', `Execution provider '${provider}' could not create a session for this model: ${errorMessage(err)}`, { cause: err });
      }
      throw new HarnessError('harness.model_load_failed', `onnxruntime could not load the model: ${errorMessage(err)}`, { cause: err });
    }
    return { inputs: this.session.inputMetadata.map(toSignature), outputs: this.session.outputMetadata.map(toSignature) };
  }

  prepareFeeds(tensors: readonly HostTensor[]): PreparedFeeds {
    return new OnnxRuntimeFeeds(toOnnxRuntimeFeeds(tensors));
  }

  async run(feeds: PreparedFeeds): Promise<void> {
    if (this.session === null) throw new Error('OnnxRuntimeBackend.run called before load');
    if (!(feeds instanceof OnnxRuntimeFeeds)) throw new Error(`feeds were prepared by backend '${feeds.backendName}', not ${this.name}`);
    try {
      await this.session.run(feeds.tensors);
    } catch (err) {
      throw new HarnessError('harness.inference_failed', `Inference failed: ${errorMessage(err).trimEnd()}${symbolicDimsHint(this.session.inputMetadata, feeds.tensors)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    await session?.release();
  }

  describe(): BackendDescription {
    const { executionProvider, epOptions, ...sessionOptions } = this.config;
    return {
      runtime: ONNXRUNTIME_BACKEND_NAME,
      runtimeVersion: env.versions.node ?? env.versions.common,
      executionProvider,
      // onnxruntime always registers the CPU provider last for nodes the requested one does not support.
      registeredProviders: executionProvider === 'cpu' ? ['cpu'] : [executionProvider, 'cpu'],
      executionProviderOptions: epOptions ?? {},
      sessionOptions,
    };
  }
}

export function createOnnxRuntimeBackend(config: OnnxRuntimeBackendConfig): InferenceBackend {
  return new OnnxRuntimeBackend(config);
}
