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

/** The accelerator a backend ran on, as the runtime driving it reports it (runner protocol `hello`). */
export const deviceInfoSchema = z.strictObject({
  /** e.g. 'Hexagon NPU' */
  name: z.string().min(1),
  vendor: z.string().min(1),
  soc: z.string().optional(),
  npu: z.string().optional(),
  driverVersion: z.string().optional(),
  firmwareVersion: z.string().optional(),
  /** Anything else that changes the numbers: clock governor, power mode, core count, ... */
  properties: z.record(z.string(), z.unknown()).optional(),
});

export type DeviceInfo = z.output<typeof deviceInfoSchema>;

/** Per-query times measured on the far side of the backend, next to (never instead of) host timing. */
export interface DeviceTimings {
  /** 'device': the accelerator's own counters; 'runner': a clock in the runner process around the SDK call. */
  source: 'device' | 'runner';
  /** One entry per inference, in issue order. */
  ns: number[];
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
  /** Present when the runtime names the accelerator itself (runner backends); absent for onnxruntime EPs. */
  device: deviceInfoSchema.optional(),
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
  /**
   * Device-side times of the inferences run since the previous call (which it drains), or undefined when
   * the backend has no such clock. Optional: in-process backends have nothing beyond the host clock.
   */
  takeDeviceTimings?(): DeviceTimings | undefined;
  /** The sample library, when the backend verifies outputs per query (runner protocol v2); available after load. */
  sampleLibrary?(): SampleLibrary | undefined;
}

/** One sample's answer in a verified run (runner protocol v2). */
export interface SampleAnswer {
  sampleIndex: number;
  /** sha256 per output as the runner reported it; null when the runner answered nothing for the sample. */
  digests: string[] | null;
  /** Full outputs, when they were asked for. */
  outputs?: HostTensor[];
}

/**
 * A backend that holds a sample library on its far side and answers each query by sample index with an
 * output digest (runner protocol v2), so the harness can check what every timed query returned.
 */
export interface SampleLibrary {
  readonly protocolVersion: number;
  /** False when the device declared that the same input may give different output bytes. */
  readonly deterministicOutputs: boolean;
  /** Requests the device accepts at once. */
  readonly maxInFlight: number;
  /** Loads every sample once, before timing; indices count from 0 in this order. */
  loadSamples(samples: readonly (readonly HostTensor[])[]): Promise<void>;
  /** One query naming the samples; the answers are kept for takeAnswers(). */
  runSamples(indices: readonly number[], returnOutputs?: boolean): Promise<void>;
  /** Untimed: the samples' full outputs and the digests the runner reported for them. */
  runSamplesWithOutputs(indices: readonly number[]): Promise<SampleAnswer[]>;
  /** Answers of runSamples since the previous call (which it drains), in completion order. */
  takeAnswers(): SampleAnswer[];
}
