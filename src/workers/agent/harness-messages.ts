// Messages between the agent and its harness child process (Node IPC channel), declared once: the child
// parses the run request it receives, the agent parses every message the child sends back
// (parseChildMessage), so what crosses the process boundary keeps its type and a message that is not
// one of these fails the run with harness.malformed_message instead of surfacing later as a crash.
import { z } from 'zod';
import {
  environmentSchema,
  latencySummaryReportSchema,
  onnxRuntimeBackendConfigSchema,
  operatorProfileSchema,
  powerMeterConfigSchema,
  resolvedSuiteSpecSchema,
  runnerBackendConfigSchema,
} from '../../harness/index.js';
import { resourceUsageSchema } from '../../contracts/agent-protocol.js';

/** Which backend the child builds: onnxruntime in-process, or a vendor runner over the runner protocol. */
export const backendChoiceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('onnxruntime'), config: onnxRuntimeBackendConfigSchema }),
  z.strictObject({ kind: z.literal('runner'), config: runnerBackendConfigSchema }),
]);
/** As the agent builds it (defaults of the backend configs not yet applied). */
export type BackendChoice = z.input<typeof backendChoiceSchema>;

/** Unpacked inputs of spec.accuracy (bundles and datasets are unpacked by the agent). */
export const accuracyFilesSchema = z.strictObject({
  /** The LLM bundle's folder when the model is a bundle. */
  bundleDir: z.string().optional(),
  reference: z.strictObject({ modelPath: z.string(), bundleDir: z.string().optional(), digest: z.string() }).optional(),
  /** An uploaded MMLU dataset's unpacked folder and its files; absent for the built-in dataset. */
  dataset: z.strictObject({ ref: z.string(), dir: z.string(), files: z.array(z.string()) }).optional(),
  /** The labelled input set (labelled-inputs.json) of a classification run. */
  labelledInputs: z.strictObject({ ref: z.string(), path: z.string() }).optional(),
  /** The text-lines file (npubench.text-lines/v1) of a text recognition run. */
  textLines: z.strictObject({ ref: z.string(), path: z.string() }).optional(),
  /** The text page set (one JSON file) of a text detection run. */
  textPages: z.strictObject({ ref: z.string(), path: z.string() }).optional(),
  /** The VAD frame set (one JSON file) of a voice-activity run. */
  vadFrames: z.strictObject({ ref: z.string(), path: z.string() }).optional(),
});
export type AccuracyFiles = z.infer<typeof accuracyFilesSchema>;

/** The one message the agent sends: the run the child is to do. */
export const runRequestSchema = z.strictObject({
  type: z.literal('run'),
  modelPath: z.string().min(1),
  spec: resolvedSuiteSpecSchema,
  backend: backendChoiceSchema,
  /** The child writes the raw samples here (they can be large; IPC carries only the summary). */
  rawSamplesPath: z.string().min(1),
  /** The meter to sample beside the run; null: power is not measured. */
  powerMeter: powerMeterConfigSchema.nullable(),
  /** Profiled inferences after the measured run (separate session, onnxruntime only); 0 skips profiling. */
  profileIterations: z.number().int().min(0),
  accuracy: accuracyFilesSchema.optional(),
});
/** As the agent sends it; the child runs what runRequestSchema makes of it (RunRequest). */
export type RunRequestInput = z.input<typeof runRequestSchema>;
export type RunRequest = z.output<typeof runRequestSchema>;

export const progressSchema = z.strictObject({ phase: z.string(), fraction: z.number().min(0).max(1), queries: z.number().int().min(0) });
export type HarnessProgress = z.infer<typeof progressSchema>;

/** What the child sends: started, progress (any number), then one result or one error. */
export const childMessageSchema = z.discriminatedUnion('type', [
  /** The child has loaded its code and begins the run; `at` is its wall clock in ms (sub-ms precision). */
  z.strictObject({ type: z.literal('started'), at: z.number() }),
  progressSchema.extend({ type: z.literal('progress') }),
  z.strictObject({
    type: z.literal('result'),
    summary: latencySummaryReportSchema,
    environment: environmentSchema,
    resourceUsage: resourceUsageSchema,
    profile: operatorProfileSchema.nullable(),
  }),
  z.strictObject({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type ChildMessage = z.infer<typeof childMessageSchema>;

/** The reason a message is not a declared one, short enough for a job's error message. */
export function malformedMessage(what: string, error: z.ZodError): string {
  const issue = error.issues[0];
  return `The ${what} is not a declared message: ${issue ? `${issue.path.join('.') || '(message)'}: ${issue.message}` : 'invalid'}.`;
}
