// The seam between the harness and an inference runtime. A backend loads one model, turns host tensors
// into its own input objects once (outside the timed loop), runs them, and says exactly what ran.
import { z } from 'zod';
import type { HostTensor, TensorSignatureLike } from '../tensors.js';

export interface LoadInfo {
  inputs: TensorSignatureLike[];
  outputs: TensorSignatureLike[];
}

/** Inputs converted to a backend's native form; only the backend that made them can run them. */
export interface PreparedFeeds {
  readonly backendName: string;
}

/** Goes into every report, so it must name everything that changes the numbers. */
export const backendDescriptionSchema = z.strictObject({
  /** e.g. 'onnxruntime-node' */
  runtime: z.string(),
  runtimeVersion: z.string(),
  /** The execution provider the session was created with: 'cpu', 'cuda', 'qnn', ... */
  executionProvider: z.string(),
  /** Providers registered with the session, in priority order; nodes the first cannot run fall to the next. */
  registeredProviders: z.array(z.string()),
  executionProviderOptions: z.record(z.string(), z.unknown()),
  sessionOptions: z.record(z.string(), z.unknown()),
});

export type BackendDescription = z.output<typeof backendDescriptionSchema>;

export interface InferenceBackend {
  readonly name: string;
  /** Creates the session; fails rather than falling back to another execution provider. */
  load(modelPath: string): Promise<LoadInfo>;
  prepareFeeds(tensors: readonly HostTensor[]): PreparedFeeds;
  /** One inference; outputs are produced and dropped. */
  run(feeds: PreparedFeeds): Promise<void>;
  close(): Promise<void>;
  describe(): BackendDescription;
}
