// What a benchmark run does: scenario, warm-up, how long and how many queries, the reported percentile,
// load shape (samples per query, target QPS, latency bound), repeats, and what fills the inputs.
// Resolution order: global defaults, then the scenario's defaults (MLPerf's per-scenario settings),
// then the preset, then explicit fields. The resolved spec, every field written out, goes into the report.
// A resolved spec names a preset only when the run follows it: explicit fields that change a preset's
// values turn it into `preset: "custom"` with `basedOn` and `overriddenFields`, and the submission preset
// takes no such changes at all (LoadGen refuses overrides in submission mode; docs/DECISIONS.md §21).
import { z } from 'zod';
import { accuracySpecSchema } from './accuracy/accuracy-format.js';
import { llmLatencyInputSchema, llmLatencySpecSchema } from './accuracy/llm-latency.js';
// The names are the API's vocabulary (one list for service, dashboard and CLI); their values are here.
import { CUSTOM_PRESET, SCENARIOS, type Scenario, type SuitePresetName } from '../contracts/job-vocabulary.js';
import { earlyStoppingMinQueries } from './stats/early-stopping.js';
import { serverSearchSpecSchema } from './scenarios/server-search-format.js';
import { serviceSampleSeedsSchema } from './sample-seeds.js';

export { CUSTOM_PRESET, SCENARIOS, type Scenario };

/** A preset's query count is a floor raised, per scenario and percentile, to what the early-stopping
 *  estimate needs (presetFieldsFor); the numbers here are the presets' own. */
export const SUITE_PRESETS = {
  smoke: { warmupQueries: 5, minQueryCount: 32, minDurationMs: 200, offlineSampleCount: 64 },
  /** Close to the MLPerf Mobile app's quick mode. */
  quick: { minQueryCount: 128, minDurationMs: 10_000 },
  /** Close to the MLPerf Mobile app's normal mode. */
  standard: { minQueryCount: 1024, minDurationMs: 60_000 },
  /** LoadGen with mlperf.conf: 600 s minimum everywhere; query minimums come from the scenario
   *  defaults (662 for MultiStream); the Offline count is resnet50's min_query_count. */
  submission: { minDurationMs: 600_000, maxDurationMs: 3_600_000, offlineSampleCount: 24_576 },
} as const satisfies Record<SuitePresetName, Partial<SuiteSpecFields>>;

export type SuitePreset = keyof typeof SUITE_PRESETS;

/** Presets a request may not change: what they fix, including their scenario's mlperf.conf settings,
 *  is what makes the result comparable. */
const FIXED_PRESETS: ReadonlySet<SuitePreset> = new Set(['submission']);


export const SUITE_DEFAULTS: Readonly<SuiteSpecFields> = {
  scenario: 'single-stream',
  warmupQueries: 10,
  /** LoadGen's built-in default (without mlperf.conf). */
  minQueryCount: 100,
  minDurationMs: 1000,
  maxDurationMs: 600_000,
  targetPercentile: 90,
  samplesPerQuery: 1,
  /** LoadGen wants the SUT's real capacity here; 100 suits a millisecond-class model. */
  targetQps: 100,
  /** mlperf.conf's Server default. */
  targetLatencyMs: 10,
  maxOutstandingQueries: 64,
  offlineSampleCount: 1024,
  repeatCount: 1,
  cooldownMs: 0,
  driftThresholdPct: 10,
  seed: 2085463073,
  dynamicDims: {},
};

/** mlperf.conf's per-scenario settings; 662 queries is the least that gives a p99 early-stopping estimate. */
export const SCENARIO_DEFAULTS: Readonly<Record<Scenario, Partial<SuiteSpecFields>>> = {
  'single-stream': { targetPercentile: 90 },
  'multi-stream': { targetPercentile: 99, samplesPerQuery: 8, minQueryCount: 662 },
  server: { targetPercentile: 99, minQueryCount: 662 },
  offline: { targetPercentile: 99 },
};

const MAX_QUERY_COUNT = 10_000_000;

/** A preset's values for a scenario and percentile (no name: the defaults'). The query count is never
 *  below what the percentile's early-stopping estimate needs, or every run that follows the preset would
 *  be INVALID by construction (quick's 128 queries for a p99 MultiStream run). Offline counts samples and
 *  has no early stopping. */
export function presetFieldsFor(name: SuitePreset | undefined, scenario: Scenario, targetPercentile: number): Partial<SuiteSpecFields> {
  const preset: Partial<SuiteSpecFields> = name === undefined ? {} : SUITE_PRESETS[name];
  if (scenario === 'offline') return preset;
  const needed = earlyStoppingMinQueries(targetPercentile / 100);
  const own = preset.minQueryCount ?? SCENARIO_DEFAULTS[scenario].minQueryCount ?? SUITE_DEFAULTS.minQueryCount;
  return own >= needed ? preset : { ...preset, minQueryCount: needed };
}

const fieldSchemas = {
  scenario: z.enum(SCENARIOS),
  warmupQueries: z.int().min(0).max(100_000),
  /** Measured queries per run (Server: scheduled queries). Offline uses offlineSampleCount instead. */
  minQueryCount: z.int().min(1).max(MAX_QUERY_COUNT),
  minDurationMs: z.int().min(0).max(86_400_000),
  /** Hard cap per run: no query is issued after it, even if the minimums are not reached yet. */
  maxDurationMs: z.int().min(1).max(86_400_000),
  targetPercentile: z.number().gt(0).lt(100),
  /** MultiStream only: samples issued together as one query. */
  samplesPerQuery: z.int().min(1).max(1024),
  /** Server only: mean arrival rate of the Poisson schedule. */
  targetQps: z.number().gt(0).max(1_000_000),
  /** Server only: the bound the target-percentile latency must meet for a VALID result. */
  targetLatencyMs: z.number().gt(0).max(3_600_000),
  /** Server: queries in flight before issuing waits (a late issue still counts from its scheduled time).
   *  Offline: samples in flight at once. */
  maxOutstandingQueries: z.int().min(1).max(65_536),
  /** Offline only: samples in the one query. */
  offlineSampleCount: z.int().min(1).max(10_000_000),
  /** Measured runs, after one warm-up; the summary pools them and reports run-to-run variation. */
  repeatCount: z.int().min(1).max(100),
  /** Idle time before each run after the first, so a device heated by one run does not slow the next. */
  cooldownMs: z.int().min(0).max(3_600_000),
  /** A run whose last-tenth p50 exceeds its first-tenth p50 by more than this is flagged as drifting. */
  driftThresholdPct: z.number().gt(0).max(1000),
  /** Seeds the synthetic input generator and the Server arrival schedule. */
  seed: z.int().min(0).max(2 ** 32 - 1),
  /** Sizes for symbolic input dims, by dim_param name; unnamed and unlisted dynamic dims get 1. */
  dynamicDims: z.record(z.string().min(1), z.int().min(1).max(65_536)),
};

type SuiteSpecFields = { [K in keyof typeof fieldSchemas]: z.output<(typeof fieldSchemas)[K]> };

const presetSchema = z.enum(Object.keys(SUITE_PRESETS) as [SuitePreset, ...SuitePreset[]]);
const fieldNameSchema = z.enum(Object.keys(fieldSchemas) as [keyof SuiteSpecFields, ...(keyof SuiteSpecFields)[]]);

/** How a spec names its preset: one it follows exactly, or "custom" with the one it started from. */
const presetLabelFields = {
  preset: z.enum([...presetSchema.options, CUSTOM_PRESET]).optional(),
  /** With preset "custom": the preset whose values the spec started from. */
  basedOn: presetSchema.optional(),
  /** With preset "custom": the fields whose values differ from basedOn's, in field order. */
  overriddenFields: z.array(fieldNameSchema).min(1).optional(),
};

/** A fully resolved spec: every field present, so a stored report says exactly what ran. */
export const resolvedSuiteSpecSchema = z
  .strictObject({
    ...fieldSchemas,
    ...presetLabelFields,
    /** Accuracy evaluation after the latency run: MMLU on an LLM bundle, fidelity against a reference, an accuracy gate. */
    accuracy: accuracySpecSchema.optional(),
    /** LLM latency after the latency run (LLM bundles): TTFT, TPOT, tokens/s for fixed prompt and output lengths. */
    llm: llmLatencySpecSchema.optional(),
    /** Server only: search the highest targetQps that meets targetLatencyMs instead of using targetQps (scenarios/server-search-format.ts). */
    serverSearch: serverSearchSpecSchema.optional(),
    /** QSL, sample-index and schedule seeds the service drew for this job; with them the latency run
     *  ignores `seed` (which then seeds only accuracy's synthetic inputs). Only the service writes this. */
    sampleSeeds: serviceSampleSeedsSchema.optional(),
  })
  .refine((spec) => spec.serverSearch === undefined || spec.scenario === 'server', {
    path: ['serverSearch'],
    message: 'serverSearch applies to server only',
  })
  .refine((spec) => spec.maxDurationMs >= spec.minDurationMs, {
    path: ['maxDurationMs'],
    message: 'maxDurationMs must be at least minDurationMs',
  })
  .refine((spec) => spec.scenario === 'multi-stream' || spec.samplesPerQuery === 1, {
    path: ['samplesPerQuery'],
    message: 'samplesPerQuery applies to multi-stream only',
  })
  .refine((spec) => (spec.preset === CUSTOM_PRESET) === (spec.basedOn !== undefined) && (spec.basedOn !== undefined) === (spec.overriddenFields !== undefined), {
    path: ['preset'],
    message: 'preset "custom" goes with basedOn and overriddenFields, and only it',
  });

export type SuiteSpec = z.output<typeof resolvedSuiteSpecSchema>;

const optionalFields = Object.fromEntries(Object.entries(fieldSchemas).map(([key, schema]) => [key, schema.optional()])) as {
  [K in keyof typeof fieldSchemas]: z.ZodOptional<(typeof fieldSchemas)[K]>;
};

type PresetLabel = { preset?: SuitePreset | typeof CUSTOM_PRESET; basedOn?: SuitePreset; overriddenFields?: (keyof SuiteSpecFields)[] };

/** What callers send: every field optional. `preset: "custom"` with `basedOn` (a resolved custom spec
 *  sent again) means the same as naming basedOn; overriddenFields is recomputed, never taken as given. */
export const suiteSpecSchema = z
  .strictObject({ ...presetLabelFields, ...optionalFields, accuracy: accuracySpecSchema.optional(), llm: llmLatencyInputSchema.optional(), serverSearch: serverSearchSpecSchema.optional(), sampleSeeds: serviceSampleSeedsSchema.optional() })
  .superRefine((input, ctx) => {
    if ((input.preset === CUSTOM_PRESET) !== (input.basedOn !== undefined)) ctx.addIssue({ code: 'custom', path: ['basedOn'], message: 'basedOn names the preset of a "custom" spec, and only of one' });
  })
  .transform((input, ctx): SuiteSpecFields & PresetLabel & { accuracy?: z.input<typeof accuracySpecSchema> | undefined; llm?: z.input<typeof llmLatencySpecSchema> | undefined; serverSearch?: z.input<typeof serverSearchSpecSchema> | undefined; sampleSeeds?: z.input<typeof serviceSampleSeedsSchema> | undefined } => {
    const { preset: _label, basedOn, overriddenFields: _claimed, ...given } = input;
    const explicit = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as Partial<SuiteSpecFields>;
    const scenario = input.scenario ?? SUITE_DEFAULTS.scenario;
    const name = input.preset === CUSTOM_PRESET ? basedOn : input.preset;
    const percentile = explicit.targetPercentile ?? SCENARIO_DEFAULTS[scenario].targetPercentile ?? SUITE_DEFAULTS.targetPercentile;
    const preset = presetFieldsFor(name, scenario, percentile);
    if (explicit.minQueryCount === undefined && (preset.minQueryCount ?? 0) > MAX_QUERY_COUNT) {
      ctx.addIssue({ code: 'custom', path: ['targetPercentile'], message: `an early-stopping estimate of p${percentile} needs ${preset.minQueryCount} queries, more than a run may have (${MAX_QUERY_COUNT})` });
      return z.NEVER;
    }
    const resolved = { ...SUITE_DEFAULTS, ...SCENARIO_DEFAULTS[scenario], ...preset, ...explicit };
    if (name === undefined) return resolved;
    const fixed: Partial<SuiteSpecFields> = FIXED_PRESETS.has(name) ? { ...SCENARIO_DEFAULTS[scenario], ...preset } : preset;
    const overridden = (Object.keys(fieldSchemas) as (keyof SuiteSpecFields)[]).filter((key) => key in fixed && key in explicit && explicit[key] !== fixed[key]);
    if (overridden.length === 0) return { ...resolved, preset: name };
    if (FIXED_PRESETS.has(name)) {
      for (const key of overridden) {
        ctx.addIssue({ code: 'custom', path: [key], message: `the ${name} preset fixes ${key} at ${JSON.stringify(fixed[key])}; a ${name} run takes no other value (leave out preset for a custom run)` });
      }
      return z.NEVER;
    }
    return { ...resolved, preset: CUSTOM_PRESET, basedOn: name, overriddenFields: overridden };
  })
  .pipe(resolvedSuiteSpecSchema);

export type SuiteSpecInput = z.input<typeof suiteSpecSchema>;

/** Validates and resolves a spec (undefined means all defaults); throws the ZodError for the caller to
 *  report in its own terms. Resolving an already resolved spec returns an equal spec. */
export function resolveSuiteSpec(input: unknown): SuiteSpec {
  return suiteSpecSchema.parse(input ?? {});
}
