// LLM latency as MLPerf Client and MLPerf Inference's LLM benchmarks report it: time to first token
// (prefill of a fixed-length prompt, then the first sampled token), time per output token (the mean
// gap between later tokens) and output tokens per second, for fixed prompt and output lengths, with the
// KV cache and greedy decoding (end-of-sequence is ignored so every run produces the same number of
// tokens). Each run's token times are recorded; the summary is a pure function of them.
import { z } from 'zod';
import { HarnessError } from '../../lib/errors.js';
import { summarizeLatencies } from '../stats/latency-percentiles.js';
import { integrateEnergyJ, meterInfoSchema, sampleSemanticsOf, summarizePower, windowTraceSchema } from '../power/power-measurement.js';
import { argmax, type CausalLanguageModel } from './causal-lm.js';
import { BUILTIN_MMLU_SUBJECTS } from './builtin-mmlu-data.js';
import type { TextTokenizer } from './tokenizer.js';

export const LLM_LATENCY_PRESETS = {
  short: { promptTokens: 128, outputTokens: 32 },
  medium: { promptTokens: 512, outputTokens: 128 },
  long: { promptTokens: 1024, outputTokens: 256 },
} as const;
export type LlmLatencyPreset = keyof typeof LLM_LATENCY_PRESETS;
const presetSchema = z.enum(Object.keys(LLM_LATENCY_PRESETS) as [LlmLatencyPreset, ...LlmLatencyPreset[]]);

const fields = {
  promptTokens: z.int().min(1).max(1_048_576),
  outputTokens: z.int().min(1).max(65_536),
  /** Measured generations; the percentiles are over them. */
  runs: z.int().min(1).max(10_000),
  warmupRuns: z.int().min(0).max(1_000),
};
export const LLM_LATENCY_DEFAULTS = { ...LLM_LATENCY_PRESETS.short, runs: 10, warmupRuns: 1 };

/** Resolved: every field written out. */
export const llmLatencySpecSchema = z.strictObject({ preset: presetSchema.optional(), ...fields });
export type LlmLatencySpec = z.output<typeof llmLatencySpecSchema>;

/** What callers send: a preset and/or explicit fields, over the defaults (short preset, 10 runs). */
export const llmLatencyInputSchema = z
  .strictObject({
    preset: presetSchema.optional(),
    promptTokens: fields.promptTokens.optional(),
    outputTokens: fields.outputTokens.optional(),
    runs: fields.runs.optional(),
    warmupRuns: fields.warmupRuns.optional(),
  })
  .transform((input): LlmLatencySpec => {
    const explicit = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    return { ...LLM_LATENCY_DEFAULTS, ...(input.preset ? LLM_LATENCY_PRESETS[input.preset] : {}), ...explicit };
  });

export const llmLatencyRawSchema = z.strictObject({
  promptTokens: z.int(),
  outputTokens: z.int(),
  /** Per measured run: when each output token was available, in ns from the start of the request
   *  (the prompt already tokenized), on process.hrtime.bigint(). tokenNs[0] is the time to first token. */
  runs: z.array(z.strictObject({ tokenNs: z.array(z.int().min(0)).min(1) })).min(1),
  /** The greedy continuation of the first measured run (every run generates the same), so the KV-cache
   *  decoding can be checked against a cache-free computation. */
  outputTokenIds: z.array(z.int().min(0)),
  /** When each measured run started, ns after the first one started (same clock); present with `power`. */
  runStartNs: z.array(z.int().min(0)).optional(),
  /** The meter sampled over the measured runs alone (warm-up excluded), samples on the first run's origin;
   *  `notMeasured` says why not. Absent: no meter was configured. */
  power: z.union([z.strictObject({ meter: meterInfoSchema, window: windowTraceSchema }), z.strictObject({ notMeasured: z.string() })]).optional(),
});
export type LlmLatencyRaw = z.output<typeof llmLatencyRawSchema>;

/** Energy of one phase (prefill: each run's start to its first token; decode: first to last token), when
 *  at least two meter samples fall inside that phase's windows; otherwise it would be interpolation. */
const phaseEnergy = z.strictObject({ samples: z.int(), energyJ: z.number(), perTokenMj: z.number() }).nullable();

export const llmEnergySchema = z.discriminatedUnion('measured', [
  z.strictObject({ measured: z.literal(false), reason: z.string() }),
  z.strictObject({
    measured: z.literal(true),
    meter: meterInfoSchema,
    /** MLPerf Power's validity rules over the LLM window (summarizePower): ≥ 2 samples inside, uncertainty ≤ 1 %, no meter error. */
    result: z.enum(['VALID', 'INVALID']),
    invalidReasons: z.array(z.string()),
    windowNs: z.number(),
    sampleCount: z.int(),
    avgW: z.number(),
    energyJ: z.number(),
    uncertaintyPct: z.number().nullable(),
    /** energyJ / every measured run's output tokens: energy per generated token, prefill included, millijoules. */
    energyPerOutputTokenMj: z.number(),
    /** Prefill energy per prompt token. */
    prefill: phaseEnergy,
    /** Decode energy per output token after the first. */
    decode: phaseEnergy,
  }),
]);
export type LlmEnergy = z.output<typeof llmEnergySchema>;

const distribution = z.strictObject({ count: z.int(), minNs: z.number(), meanNs: z.number(), p50Ns: z.number(), p90Ns: z.number(), p99Ns: z.number(), maxNs: z.number() });

export const llmLatencySummarySchema = z.strictObject({
  promptTokens: z.int(),
  outputTokens: z.int(),
  runs: z.int(),
  /** Time to first token per run. */
  ttft: distribution,
  /** Time per output token per run: (last token - first token) / (outputTokens - 1); null for one output token. */
  tpot: distribution.nullable(),
  /** All output tokens / all runs' generation time (first request start to last token). */
  outputTokensPerSecond: z.number(),
  /** promptTokens / mean TTFT. */
  prefillTokensPerSecond: z.number(),
  /** Energy over the LLM window (first measured run's start to the last run's last token); absent when no
   *  meter was configured. Present only then, so earlier summaries keep their shape. */
  energy: llmEnergySchema.optional(),
});
export type LlmLatencySummary = z.output<typeof llmLatencySummarySchema>;

function distributionOf(values: number[]): z.output<typeof distribution> {
  const s = summarizeLatencies(values);
  return { count: s.count, minNs: s.minNs, meanNs: s.meanNs, p50Ns: s.p50Ns, p90Ns: s.p90Ns, p99Ns: s.p99Ns, maxNs: s.maxNs };
}

export function summarizeLlmLatency(raw: LlmLatencyRaw, spec: LlmLatencySpec): LlmLatencySummary {
  const invalid = (message: string) => new HarnessError('harness.invalid_raw_samples', `Invalid LLM latency record: ${message}`);
  if (raw.promptTokens !== spec.promptTokens || raw.outputTokens !== spec.outputTokens) throw invalid('its lengths are not the spec\'s');
  if (raw.runs.length !== spec.runs) throw invalid(`${raw.runs.length} runs, the spec asks for ${spec.runs}`);
  raw.runs.forEach((run, r) => {
    if (run.tokenNs.length !== spec.outputTokens) throw invalid(`run ${r} has ${run.tokenNs.length} tokens, the spec asks for ${spec.outputTokens}`);
    run.tokenNs.forEach((t, i) => {
      if (t <= 0 || (i > 0 && t < run.tokenNs[i - 1]!)) throw invalid(`run ${r} token ${i} is not after the previous one`);
    });
  });
  const ttfts = raw.runs.map((run) => run.tokenNs[0]!);
  const tpots = spec.outputTokens > 1 ? raw.runs.map((run) => (run.tokenNs.at(-1)! - run.tokenNs[0]!) / (spec.outputTokens - 1)) : null;
  const totalNs = raw.runs.reduce((sum, run) => sum + run.tokenNs.at(-1)!, 0);
  const ttft = distributionOf(ttfts);
  const energy = raw.power === undefined ? undefined : llmEnergyOf(raw, raw.power, invalid);
  return {
    promptTokens: spec.promptTokens,
    outputTokens: spec.outputTokens,
    runs: raw.runs.length,
    ttft,
    tpot: tpots && distributionOf(tpots),
    outputTokensPerSecond: (spec.outputTokens * raw.runs.length) / (totalNs / 1e9),
    prefillTokensPerSecond: spec.promptTokens / (ttft.meanNs / 1e9),
    ...(energy && { energy }),
  };
}

/** The LLM window's energy figures, a pure function of the token times and the trace. */
function llmEnergyOf(raw: LlmLatencyRaw, power: NonNullable<LlmLatencyRaw['power']>, invalid: (message: string) => Error): LlmEnergy {
  if ('notMeasured' in power) return { measured: false, reason: power.notMeasured };
  const starts = raw.runStartNs;
  if (starts?.length !== raw.runs.length || starts[0] !== 0 || starts.some((t, r) => r > 0 && t < starts[r - 1]! + raw.runs[r - 1]!.tokenNs.at(-1)!)) {
    throw invalid('the power trace needs every run\'s start, from 0, each after the previous run ended');
  }
  const endNs = starts.at(-1)! + raw.runs.at(-1)!.tokenNs.at(-1)!;
  const outputTokens = raw.outputTokens * raw.runs.length;
  const whole = summarizePower({ meter: power.meter, idle: null, ranging: null, runs: [power.window] }, [{ startNs: 0, endNs }], { queryCount: outputTokens, sampleCount: outputTokens });
  if (!whole.measured) throw new Error('unreachable: a trace always gives a measured summary');
  const samples = power.window.samples;
  const semantics = sampleSemanticsOf(power.meter.kind);
  const phase = (windows: [number, number][], tokens: number): z.output<typeof phaseEnergy> => {
    if (tokens === 0 || samples.length === 0) return null;
    const inside = samples.filter(([t]) => windows.some(([from, to]) => t >= from && t <= to)).length;
    if (inside < 2) return null;
    const energyJ = windows.reduce((sum, [from, to]) => sum + integrateEnergyJ(samples, from, to, semantics), 0);
    return { samples: inside, energyJ, perTokenMj: (energyJ * 1000) / tokens };
  };
  return {
    measured: true,
    meter: power.meter,
    result: whole.result,
    invalidReasons: whole.invalidReasons,
    windowNs: whole.windowNs,
    sampleCount: whole.sampleCount,
    avgW: whole.avgW,
    energyJ: whole.energyJ,
    uncertaintyPct: whole.uncertaintyPct,
    energyPerOutputTokenMj: whole.energyPerQueryMj,
    prefill: phase(raw.runs.map((run, r) => [starts[r]!, starts[r]! + run.tokenNs[0]!]), raw.promptTokens * raw.runs.length),
    decode: phase(raw.runs.map((run, r) => [starts[r]! + run.tokenNs[0]!, starts[r]! + run.tokenNs.at(-1)!]), (raw.outputTokens - 1) * raw.runs.length),
  };
}

/** A fixed prompt of exactly `count` tokens: the built-in dataset's text, tokenized, repeated as needed. */
export function fixedPromptTokens(tokenizer: TextTokenizer, count: number): number[] {
  const text = Object.values(BUILTIN_MMLU_SUBJECTS).map((s) => s.test).join('\n');
  const base = tokenizer.encode(text);
  if (base.length === 0) throw new HarnessError('harness.tokenizer_failed', 'The tokenizer turns the fixed prompt text into no tokens.');
  const bos = tokenizer.bosTokenId === null ? [] : [tokenizer.bosTokenId];
  const ids = [...bos];
  while (ids.length < count) ids.push(...base.slice(0, count - ids.length));
  return ids;
}

/** TEST06-like figures of a latency run (compliance-format.ts judges them for runner runs). */
export interface LlmTokenChecks {
  /** Greedy first token of an untimed prefill of the same prompt before the timed runs: the accuracy pass. */
  accuracyPassFirstToken: number;
  /** Per measured run: its first token, the tokens it generated, the sequence length the LM reported for
   *  its last cache, and the steps whose reported length was not the tokens fed so far. */
  runs: { firstTokenId: number; generatedTokens: number; reportedSequenceLength: number; miscountedSteps: number }[];
  /** Host time of the accuracy pass. */
  costNs: number;
}

export async function runLlmLatency(lm: CausalLanguageModel, tokenizer: TextTokenizer, spec: LlmLatencySpec, signal?: AbortSignal): Promise<LlmLatencyRaw> {
  return (await runLlmLatencyWithChecks(lm, tokenizer, spec, signal)).raw;
}

/** The latency run and, beside it, what the first-token and token-count checks need. */
/** Around the measured runs (after warm-up): a power meter's window. */
export interface LlmMeasuredWindowHooks {
  beforeMeasured(): Promise<void>;
  afterMeasured(): Promise<void>;
}

export async function runLlmLatencyWithChecks(
  lm: CausalLanguageModel,
  tokenizer: TextTokenizer,
  spec: LlmLatencySpec,
  signal?: AbortSignal,
  window?: LlmMeasuredWindowHooks,
): Promise<{ raw: LlmLatencyRaw; checks: LlmTokenChecks; originNs: number }> {
  if (lm.contextLength !== null && spec.promptTokens + spec.outputTokens > lm.contextLength) {
    throw new HarnessError('harness.context_too_long', `${spec.promptTokens} prompt + ${spec.outputTokens} output tokens exceed the model's context of ${lm.contextLength}.`);
  }
  const prompt = fixedPromptTokens(tokenizer, spec.promptTokens);
  const checkStart = process.hrtime.bigint();
  const prefill = await lm.forward(prompt);
  lm.releaseCache(prefill.cache);
  const accuracyPassFirstToken = argmax(prefill.lastLogits);
  const costNs = Number(process.hrtime.bigint() - checkStart);
  const generate = async (): Promise<{ start: bigint; times: number[]; tokens: number[]; reportedSequenceLength: number; miscountedSteps: number }> => {
    const start = process.hrtime.bigint();
    const times: number[] = [];
    const tokens: number[] = [];
    let miscountedSteps = 0;
    let step = await lm.forward(prompt);
    for (let i = 0; i < spec.outputTokens; i++) {
      const token = argmax(step.lastLogits);
      times.push(Number(process.hrtime.bigint() - start));
      tokens.push(token);
      // The cache holds the prompt and every generated token fed back so far (all but the newest).
      if (step.cache.length !== prompt.length + i) miscountedSteps++;
      if (i + 1 < spec.outputTokens) {
        const previous = step.cache;
        step = await lm.forward([token], previous);
        lm.releaseCache(previous);
      }
    }
    lm.releaseCache(step.cache);
    return { start, times, tokens, reportedSequenceLength: step.cache.length, miscountedSteps };
  };
  for (let i = 0; i < spec.warmupRuns; i++) await generate();
  const runs: LlmLatencyRaw['runs'] = [];
  const checkedRuns: LlmTokenChecks['runs'] = [];
  let outputTokenIds: number[] = [];
  const starts: bigint[] = [];
  await window?.beforeMeasured();
  try {
    for (let i = 0; i < spec.runs; i++) {
      if (signal?.aborted) throw new HarnessError('job.canceled', 'The run was canceled.');
      const { start, times, tokens, reportedSequenceLength, miscountedSteps } = await generate();
      if (i === 0) outputTokenIds = tokens;
      starts.push(start);
      runs.push({ tokenNs: times });
      checkedRuns.push({ firstTokenId: tokens[0]!, generatedTokens: tokens.length, reportedSequenceLength, miscountedSteps });
    }
  } finally {
    await window?.afterMeasured();
  }
  const origin = starts[0]!;
  return {
    raw: { promptTokens: spec.promptTokens, outputTokens: spec.outputTokens, runs, outputTokenIds, ...(window && { runStartNs: starts.map((t) => Number(t - origin)) }) },
    checks: { accuracyPassFirstToken, runs: checkedRuns, costNs },
    originNs: Number(origin),
  };
}
