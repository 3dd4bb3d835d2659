// Where a run happened, stored beside its numbers: latency means little without the machine and the
// runtime that produced it.
import os from 'node:os';
import { z } from 'zod';
import type { BackendDescription } from './backends/backend.js';
import { harnessBuild, harnessBuildSchema } from './build-identity.js';
import { runnerIdentitySchema } from './runner-identity.js';

export const environmentSchema = z.strictObject({
  capturedAt: z.string(),
  hostname: z.string(),
  os: z.strictObject({ platform: z.string(), type: z.string(), release: z.string(), version: z.string() }),
  arch: z.string(),
  cpu: z.strictObject({ model: z.string(), logicalCores: z.int() }),
  totalMemoryBytes: z.number(),
  nodeVersion: z.string(),
  runtime: z.strictObject({ name: z.string(), version: z.string(), executionProvider: z.string() }),
  /** The harness build that measured (absent on reports stored before it was recorded). */
  harness: harnessBuildSchema.optional(),
  /** Runner devices: the runner files' digests as the host measured them, and the runner's claims. */
  runner: runnerIdentitySchema.optional(),
});

export type EnvironmentInfo = z.output<typeof environmentSchema>;

export function captureEnvironment(backend: BackendDescription): EnvironmentInfo {
  return {
    capturedAt: new Date().toISOString(),
    hostname: os.hostname(),
    os: { platform: process.platform, type: os.type(), release: os.release(), version: os.version() },
    arch: process.arch,
    cpu: { model: os.cpus()[0]?.model.trim() ?? 'unknown', logicalCores: os.availableParallelism() },
    totalMemoryBytes: os.totalmem(),
    nodeVersion: process.version,
    runtime: { name: backend.runtime, version: backend.runtimeVersion, executionProvider: backend.executionProvider },
    harness: harnessBuild(),
  };
}
