// Messages between the agent and its harness child process (Node IPC channel).
import type { SuiteSpec } from '../../harness/suite-spec.js';
import type { OnnxRuntimeBackendConfig } from '../../harness/index.js';

export interface RunRequest {
  type: 'run';
  modelPath: string;
  spec: SuiteSpec;
  backend: OnnxRuntimeBackendConfig;
  /** The child writes the raw samples here (they can be large; IPC carries only the summary). */
  rawSamplesPath: string;
}

export type ChildMessage =
  | { type: 'progress'; phase: string; fraction: number; queries: number }
  | { type: 'result'; summary: Record<string, unknown>; environment: Record<string, unknown> }
  | { type: 'error'; code: string; message: string };
