// Messages between the agent and its harness child process (Node IPC channel).
import type { SuiteSpec, OnnxRuntimeBackendConfig, RunnerBackendConfig, PowerMeterConfig } from '../../harness/index.js';

/** Which backend the child builds: onnxruntime in-process, or a vendor runner over the runner protocol. */
export type BackendChoice = { kind: 'onnxruntime'; config: OnnxRuntimeBackendConfig } | { kind: 'runner'; config: RunnerBackendConfig };

export interface RunRequest {
  type: 'run';
  modelPath: string;
  spec: SuiteSpec;
  backend: BackendChoice;
  /** The child writes the raw samples here (they can be large; IPC carries only the summary). */
  rawSamplesPath: string;
  /** The meter to sample beside the run; null: power is not measured. */
  powerMeter: PowerMeterConfig | null;
  /** Profiled inferences after the measured run (separate session, onnxruntime only); 0 skips profiling. */
  profileIterations: number;
  /** Unpacked inputs of spec.accuracy (bundles and datasets are unpacked by the agent). */
  accuracy?: AccuracyFiles;
}

export interface AccuracyFiles {
  /** The LLM bundle's folder when the model is a bundle. */
  bundleDir?: string;
  reference?: { modelPath: string; bundleDir?: string; digest: string };
  /** An uploaded MMLU dataset's unpacked folder and its files; absent for the built-in dataset. */
  dataset?: { ref: string; dir: string; files: string[] };
  /** The labelled input set (labelled-inputs.json) of a classification run. */
  labelledInputs?: { ref: string; path: string };
}

/** What the harness process used; ru_maxrss covers onnxruntime's native allocations too. */
export interface ResourceUsage {
  peakRssBytes: number;
  modelSizeBytes: number;
  method: string;
}

export type ChildMessage =
  /** The child has loaded its code and begins the run; `at` is its wall clock in ms (sub-ms precision). */
  | { type: 'started'; at: number }
  | { type: 'progress'; phase: string; fraction: number; queries: number }
  | { type: 'result'; summary: Record<string, unknown>; environment: Record<string, unknown>; resourceUsage: ResourceUsage; profile: unknown }
  | { type: 'error'; code: string; message: string };
