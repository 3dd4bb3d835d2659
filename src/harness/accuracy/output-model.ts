// The seam every non-LLM evaluation (fidelity, classification top-k, and evaluators built on them) runs
// models through: a loaded model that returns full outputs for given input tensors. An evaluation
// written against OutputModel gives the same figures through onnxruntime in-process and through a
// runner process (runner-output-model.ts), because both hand it the same host tensors.
import { InferenceSession } from 'onnxruntime-node';
import { HarnessError, errorMessage } from '../../lib/errors.js';
import { fromOnnxRuntimeTensor, onnxRuntimeSessionOptions, toOnnxRuntimeFeeds, toSignature, type OnnxRuntimeBackendConfig } from '../backends/onnxruntime.js';
import type { HostTensor, TensorSignatureLike } from '../tensors.js';

/**
 * A loaded model that answers each inference with its full outputs. Untimed: evaluations only.
 * `run` may be called with different inputs every time (a data set) and, for stateful models (a
 * recurrent state fed back), in a meaningful order; implementations must not reorder or cache.
 */
export interface OutputModel {
  /** The model's inputs as its runtime reports them. */
  readonly inputs: readonly TensorSignatureLike[];
  /** Every output, in the runtime's order. */
  readonly outputNames: readonly string[];
  /**
   * One inference on `inputs` (one tensor per model input, by name). Returns the outputs named in
   * `outputNames` (all when omitted), keyed by name. Failures of the model or its runtime are thrown
   * as HarnessError (`harness.inference_failed`, or the runner's own `runner.*` codes).
   */
  run(inputs: readonly HostTensor[], outputNames?: readonly string[]): Promise<Record<string, HostTensor>>;
  /** Releases the session. Idempotent. */
  close(): Promise<void>;
}

/** Opens `modelPath` with onnxruntime in this process; `what` names it in errors ('model', 'reference model'). */
export async function openOnnxRuntimeOutputModel(modelPath: string, backend: OnnxRuntimeBackendConfig, what = 'model'): Promise<OutputModel> {
  let session: InferenceSession | null;
  try {
    session = await InferenceSession.create(modelPath, onnxRuntimeSessionOptions(backend));
  } catch (err) {
    throw new HarnessError('harness.model_load_failed', `onnxruntime could not load the ${what}: ${errorMessage(err)}`, { cause: err });
  }
  const loaded = session;
  return {
    inputs: loaded.inputMetadata.map(toSignature),
    outputNames: [...loaded.outputNames],
    async run(inputs, outputNames) {
      if (session === null) throw new Error('OutputModel.run after close');
      const names = outputNames ?? loaded.outputNames;
      let results: InferenceSession.ReturnType;
      try {
        results = await session.run(toOnnxRuntimeFeeds(inputs), [...names]);
      } catch (err) {
        throw new HarnessError('harness.inference_failed', `Inference of the ${what} failed: ${errorMessage(err)}`, { cause: err });
      }
      const outputs: Record<string, HostTensor> = {};
      for (const name of names) {
        const tensor = results[name];
        if (tensor === undefined) throw new HarnessError('harness.inference_failed', `The ${what} returned no output '${name}'.`);
        const host = fromOnnxRuntimeTensor(name, tensor);
        if (host === undefined) throw new HarnessError('harness.unsupported_output', `Output '${name}' of the ${what} has element type ${tensor.type}, which the harness cannot carry.`);
        outputs[name] = host;
      }
      return outputs;
    },
    async close() {
      const open = session;
      session = null;
      await open?.release();
    },
  };
}
