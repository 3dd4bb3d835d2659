// The agent protocol (/v1/agent/…), declared once: the routes validate requests and serialise answers
// through these schemas, and the agent parses every answer with the same ones, so a server and an
// agent that disagree fail with a clear error at the boundary instead of deep inside a run.
// Zod only: the agent imports this file, and the OpenAPI document names each schema.
import { z } from 'zod';
import { BACKEND_KINDS, EXECUTION_PROVIDERS, deviceBackendOptionsSchema } from './devices.js';
import { rowId } from './common.js';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, starting with a letter or digit (max 63)');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

// Job statuses as the agent sees them in answers (the jobs contract owns their meaning).
const jobStatus = z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED']);

export const agentRegistrationSchema = z
  .strictObject({
    version: z.string().max(100),
    hostname: z.string().max(255),
    devices: z.array(slug).min(1).max(64),
  })
  .meta({ id: 'AgentRegistration' });
export type AgentRegistration = z.infer<typeof agentRegistrationSchema>;

export const agentRegisteredSchema = z
  .object({ agentId: rowId, devices: z.array(slug).describe('The devices the agent now serves') })
  .meta({ id: 'AgentRegistered' });
export type AgentRegistered = z.infer<typeof agentRegisteredSchema>;

/**
 * What a claim hands the agent: everything it needs to run the job, and nothing else. The suite and
 * the power meter are formats of the harness, which validates them in full (the agent parses them
 * with the harness's schemas); here they pass as stored.
 */
export const claimedJobSchema = z
  .object({
    jobId: rowId,
    suite: z.looseObject({ scenario: z.string() }).describe('The resolved suite spec, every field written out (src/harness/suite-spec.ts)'),
    model: z.object({
      id: rowId,
      digest: sha256Hex.describe('sha256 of the model artifact: GET /v1/agent/artifacts/{digest}'),
      sizeBytes: z.number().int().min(0),
    }),
    device: z.object({
      slug,
      backendKind: z.enum(BACKEND_KINDS),
      executionProvider: z.enum(EXECUTION_PROVIDERS),
      backendOptions: deviceBackendOptionsSchema,
      powerMeter: z.looseObject({ kind: z.string() }).nullable().describe('The meter to sample beside the run (src/harness/power); null: power is not measured'),
    }),
  })
  .meta({ id: 'ClaimedJob' });
export type ClaimedJob = z.infer<typeof claimedJobSchema>;

export const jobProgressSchema = z
  .strictObject({
    fraction: z.number().min(0).max(1),
    phase: z.string().min(1).max(64),
  })
  .meta({ id: 'JobProgress' });
export type JobProgress = z.infer<typeof jobProgressSchema>;

export const progressAcceptedSchema = z
  .object({
    continue: z.boolean().describe('false once the job was canceled or taken from this agent: stop the run'),
    status: jobStatus,
  })
  .meta({ id: 'ProgressAccepted' });
export type ProgressAccepted = z.infer<typeof progressAcceptedSchema>;

export const jobFailureSchema = z
  .strictObject({
    code: z.string().regex(/^[a-z0-9_.]{1,64}$/),
    message: z.string().max(4000),
  })
  .meta({ id: 'JobFailure' });
export type JobFailure = z.infer<typeof jobFailureSchema>;

export const failureRecordedSchema = z
  .object({
    recorded: z.boolean().describe('false: the job was no longer running for this agent, nothing changed'),
    status: jobStatus,
  })
  .meta({ id: 'FailureRecorded' });
export type FailureRecorded = z.infer<typeof failureRecordedSchema>;

export const jobReleasedSchema = z
  .object({
    released: z.boolean().describe('false: the job was no longer running for this agent, nothing changed'),
    status: jobStatus,
  })
  .meta({ id: 'JobReleased' });
export type JobReleased = z.infer<typeof jobReleasedSchema>;

/** What the harness process used; ru_maxrss covers onnxruntime's native allocations too. */
export const resourceUsageSchema = z.strictObject({
  peakRssBytes: z.number().int().min(0),
  modelSizeBytes: z.number().int().min(0),
  method: z.string().max(200),
});
export type ResourceUsage = z.infer<typeof resourceUsageSchema>;

export const resultRecordedSchema = z
  .object({ reportId: rowId })
  .meta({ id: 'ResultRecorded' });
export type ResultRecorded = z.infer<typeof resultRecordedSchema>;
