// What the API says about benchmark jobs. Zod only: the dashboard imports this file.
import { z } from 'zod';
import { pageOf, rowId, timestamp } from './common.js';

import { CUSTOM_PRESET, JOB_STATUSES, SCENARIOS, SUITE_PRESET_NAMES } from './job-vocabulary.js';

export * from './job-vocabulary.js';

/**
 * The resolved suite spec a job runs, every field written out (the harness's resolvedSuiteSpecSchema
 * validates it in full at submission; docs/architecture.md lists the fields). The members clients
 * branch on are typed here; the others pass through as stored.
 */
export const suiteSpecSchema = z
  .looseObject({
    scenario: z.enum(SCENARIOS).optional().describe('Absent only on a job whose stored suite no longer validates (the reconciler fails it with job.invalid_suite)'),
    preset: z.enum([...SUITE_PRESET_NAMES, CUSTOM_PRESET]).optional().describe('The preset the run follows; "custom" when fields changed its values'),
    basedOn: z.enum(SUITE_PRESET_NAMES).optional().describe('With preset "custom": the preset the spec started from'),
    overriddenFields: z.array(z.string()).optional().describe('With preset "custom": the fields that differ from basedOn'),
  })
  .meta({ id: 'SuiteSpec' });
export type SuiteSpec = z.infer<typeof suiteSpecSchema>;

export const jobSchema = z
  .object({
    id: rowId,
    orgId: rowId,
    modelId: rowId,
    device: z.string().describe('Device slug'),
    suite: suiteSpecSchema,
    status: z.enum(JOB_STATUSES),
    progress: z.number().min(0).max(1),
    phase: z.string().nullable(),
    attempts: z.number().int(),
    agentId: rowId.nullable(),
    error: z.object({ code: z.string(), message: z.string().nullable() }).nullable(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    reportId: rowId.nullable().optional().describe('The report of a succeeded job; sent by single-job answers and events, not by lists'),
  })
  .meta({ id: 'Job' });
export type Job = z.infer<typeof jobSchema>;

export const jobPageSchema = pageOf(jobSchema, 'JobPage');
export type JobPage = z.infer<typeof jobPageSchema>;

/** `event: snapshot` of GET /v1/jobs/events: the jobs as they are when the stream opens. */
export const jobSnapshotEventSchema = z.object({ items: z.array(jobSchema) }).meta({ id: 'JobSnapshotEvent' });
export type JobSnapshotEvent = z.infer<typeof jobSnapshotEventSchema>;

/** The events of GET /v1/jobs/events by name: a snapshot when the stream opens, then a Job (with reportId) at each change. */
export interface JobStreamEvents {
  snapshot: JobSnapshotEvent;
  job: Job;
}
