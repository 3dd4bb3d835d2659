// The vocabularies every client of jobs shares (scenarios, presets, job statuses), declared once: the
// harness's suite spec, the service, the dashboard and the CLI import them. Plain constants, not even
// zod, so the dashboard can use them at run time without bundling a schema library.

/** MLPerf LoadGen's scenarios. */
export const SCENARIOS = ['single-stream', 'multi-stream', 'server', 'offline'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The suite presets (their values: src/harness/suite-spec.ts). */
export const SUITE_PRESET_NAMES = ['smoke', 'quick', 'standard', 'submission'] as const;
export type SuitePresetName = (typeof SUITE_PRESET_NAMES)[number];
/** The label of a resolved spec that changed some of its preset's values. */
export const CUSTOM_PRESET = 'custom';

export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** A job in one of these states changes no more. */
export const TERMINAL_JOB_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELED'] as const satisfies readonly JobStatus[];
export type TerminalJobStatus = (typeof TERMINAL_JOB_STATUSES)[number];
export const isTerminalJobStatus = (status: string): status is TerminalJobStatus => (TERMINAL_JOB_STATUSES as readonly string[]).includes(status);
