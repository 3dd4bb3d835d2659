// What a benchmark run does: scenario, warm-up, how long and how many queries, the reported percentile,
// and what fills the inputs. Presets give named, comparable settings; explicit fields override them.
import { z } from 'zod';

export const SUITE_PRESETS = {
  smoke: { warmupQueries: 5, minQueryCount: 32, minDurationMs: 200 },
  /** Close to the MLPerf Mobile app's quick mode. */
  quick: { minQueryCount: 128, minDurationMs: 10_000 },
  standard: { minQueryCount: 1024, minDurationMs: 60_000 },
} as const satisfies Record<string, Partial<SuiteSpecFields>>;

export type SuitePreset = keyof typeof SUITE_PRESETS;

export const SUITE_DEFAULTS: Readonly<SuiteSpecFields> = {
  scenario: 'single-stream',
  warmupQueries: 10,
  minQueryCount: 100,
  minDurationMs: 1000,
  maxDurationMs: 600_000,
  targetPercentile: 90,
  seed: 2085463073,
  dynamicDims: {},
};

const fieldSchemas = {
  scenario: z.literal('single-stream'),
  warmupQueries: z.int().min(0).max(100_000),
  minQueryCount: z.int().min(1).max(10_000_000),
  minDurationMs: z.int().min(0).max(86_400_000),
  /** Hard cap: no query is issued after it, even if minQueryCount is not reached yet. */
  maxDurationMs: z.int().min(1).max(86_400_000),
  targetPercentile: z.number().gt(0).lt(100),
  /** Seeds the synthetic input generator. */
  seed: z.int().min(0).max(2 ** 32 - 1),
  /** Sizes for symbolic input dims, by dim_param name; unnamed and unlisted dynamic dims get 1. */
  dynamicDims: z.record(z.string().min(1), z.int().min(1).max(65_536)),
};

type SuiteSpecFields = { [K in keyof typeof fieldSchemas]: z.output<(typeof fieldSchemas)[K]> };

const presetSchema = z.enum(Object.keys(SUITE_PRESETS) as [SuitePreset, ...SuitePreset[]]);

/** A fully resolved spec: every field present, so a stored report says exactly what ran. */
export const resolvedSuiteSpecSchema = z
  .strictObject({ ...fieldSchemas, preset: presetSchema.optional() })
  .refine((spec) => spec.maxDurationMs >= spec.minDurationMs, {
    path: ['maxDurationMs'],
    message: 'maxDurationMs must be at least minDurationMs',
  });

export type SuiteSpec = z.output<typeof resolvedSuiteSpecSchema>;

/** What callers send: every field optional; defaults, then the preset, then explicit fields apply. */
export const suiteSpecSchema = z
  .strictObject({
    preset: presetSchema.optional(),
    scenario: fieldSchemas.scenario.optional(),
    warmupQueries: fieldSchemas.warmupQueries.optional(),
    minQueryCount: fieldSchemas.minQueryCount.optional(),
    minDurationMs: fieldSchemas.minDurationMs.optional(),
    maxDurationMs: fieldSchemas.maxDurationMs.optional(),
    targetPercentile: fieldSchemas.targetPercentile.optional(),
    seed: fieldSchemas.seed.optional(),
    dynamicDims: fieldSchemas.dynamicDims.optional(),
  })
  .transform((input): SuiteSpecFields & { preset?: SuitePreset | undefined } => {
    const explicit = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    const preset = input.preset === undefined ? {} : SUITE_PRESETS[input.preset];
    return { ...SUITE_DEFAULTS, ...preset, ...explicit };
  })
  .pipe(resolvedSuiteSpecSchema);

export type SuiteSpecInput = z.input<typeof suiteSpecSchema>;

/** Validates and resolves a spec (undefined means all defaults); throws the ZodError for the caller to
 *  report in its own terms. Resolving an already resolved spec returns an equal spec. */
export function resolveSuiteSpec(input: unknown): SuiteSpec {
  return suiteSpecSchema.parse(input ?? {});
}
