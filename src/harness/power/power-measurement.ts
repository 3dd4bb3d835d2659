// Energy from a power trace, the way MLPerf Power reports it: the trace is integrated over the measured
// window (first query's start to last query's end), giving average and peak watts, energy per query
// (SingleStream/MultiStream), samples per joule (Offline/Server), and idle-subtracted variants from a
// baseline taken before the run. Every figure is a pure function of the stored trace and the latency
// raw samples, so the API recomputes them like the latency figures. MLPerf Power's validity rules make
// the result INVALID with a reason rather than letting a doubtful number through.
import { z } from 'zod';
import type { MeterInfo, MeterReading, PowerSample } from './power-meter.js';

/** MLPerf Power: the testing run's uncertainty must be at most 1% when the meter reports it. */
export const MAX_UNCERTAINTY_PCT = 1;
/** MLPerf Power: the testing run's average power may be at most 5% below the ranging run's. */
export const MAX_TESTING_BELOW_RANGING_PCT = 5;

const timeNs = z.int().min(0);
/** [tNs relative to the run's origin, watts] */
const traceSample = z.tuple([z.int(), z.number().min(0)]);

export const meterInfoSchema = z.strictObject({
  kind: z.enum(['rapl', 'hwmon', 'power-supply', 'ina3221', 'nvml', 'command', 'ptdaemon']),
  name: z.string(),
  class: z.enum(['lab', 'onboard', 'informative']),
  uncertaintyPct: z.number().nullable(),
  intervalMs: z.number().positive(),
});

export const windowTraceSchema = z.strictObject({
  samples: z.array(traceSample),
  uncertaintyPct: z.number().nullable(),
  error: z.string().nullable(),
});

/** Stored beside the latency raw samples (same origin, same clock). */
export const powerTraceSchema = z.strictObject({
  meter: meterInfoSchema,
  /** Baseline before the run, device idle with the model loaded. */
  idle: windowTraceSchema.nullable(),
  /** MLPerf's ranging pass (lab meters only); its latencies are not reported. */
  ranging: windowTraceSchema.nullable(),
  /** One per measured run, aligned with the latency raw samples' runs. */
  runs: z.array(windowTraceSchema).min(1),
});

export type PowerTrace = z.infer<typeof powerTraceSchema>;

const wattsSummary = z.strictObject({ avgW: z.number(), energyJ: z.number() });

export const powerSummarySchema = z.discriminatedUnion('measured', [
  z.strictObject({ measured: z.literal(false), reason: z.string() }),
  z.strictObject({
    measured: z.literal(true),
    meter: meterInfoSchema,
    result: z.enum(['VALID', 'INVALID']),
    invalidReasons: z.array(z.string()),
    /** Sum of the runs' measured windows (first start to last end), ns. */
    windowNs: timeNs,
    sampleCount: z.int(),
    sampleRateHz: z.number(),
    avgW: z.number(),
    peakW: z.number(),
    energyJ: z.number(),
    /** Time-weighted: the idle window's energy from its first to its last sample over that span. */
    idle: z.strictObject({ avgW: z.number(), sampleCount: z.int() }).nullable(),
    /** Energy above the idle baseline: what the inference itself cost. */
    idleSubtracted: wattsSummary.nullable(),
    /** SingleStream/MultiStream metric: energy per query, millijoules. */
    energyPerQueryMj: z.number(),
    idleSubtractedEnergyPerQueryMj: z.number().nullable(),
    /** Offline/Server metric: samples per joule (= inferences per second per watt). */
    samplesPerJoule: z.number(),
    uncertaintyPct: z.number().nullable(),
    /** Time-weighted, as the idle baseline. */
    ranging: z.strictObject({ avgW: z.number() }).nullable(),
  }),
]);

export type PowerSummary = z.infer<typeof powerSummarySchema>;

/** Converts a meter's absolute-time samples to the run's origin. */
export function toTraceWindow(reading: MeterReading, originNs: number): z.infer<typeof windowTraceSchema> {
  return {
    samples: reading.samples.map((s: PowerSample) => [Math.round(s.tNs - originNs), s.watts] as [number, number]),
    uncertaintyPct: reading.uncertaintyPct,
    error: reading.error,
  };
}

/** Power at time t by linear interpolation between samples (held flat outside them). */
function powerAt(samples: readonly (readonly [number, number])[], t: number): number {
  const first = samples[0]!;
  if (t <= first[0]) return first[1];
  for (let i = 1; i < samples.length; i++) {
    const [t1, w1] = samples[i]!;
    if (t <= t1) {
      const [t0, w0] = samples[i - 1]!;
      return t1 === t0 ? w1 : w0 + ((w1 - w0) * (t - t0)) / (t1 - t0);
    }
  }
  return samples[samples.length - 1]![1];
}

/**
 * How a meter's readings relate to time. 'instantaneous': power at the sample time (hwmon, INA, battery
 * gauges, NVML), integrated with the trapezoid rule. 'interval-average': average power over the interval
 * that ends at the sample time (RAPL counter deltas, PTDaemon log lines), integrated as steps, which is
 * exact for whole intervals: the counter's own energy.
 */
export type SampleSemantics = 'instantaneous' | 'interval-average';

export const sampleSemanticsOf = (kind: MeterInfo['kind']): SampleSemantics => (kind === 'rapl' || kind === 'ptdaemon' ? 'interval-average' : 'instantaneous');

/** Integral of power over [from, to] in ns, joules. */
export function integrateEnergyJ(samples: readonly (readonly [number, number])[], from: number, to: number, semantics: SampleSemantics = 'instantaneous'): number {
  if (samples.length === 0 || to <= from) return 0;
  if (semantics === 'interval-average') return integrateSteps(samples, from, to);
  const points: [number, number][] = [[from, powerAt(samples, from)]];
  for (const [t, w] of samples) if (t > from && t < to) points.push([t, w]);
  points.push([to, powerAt(samples, to)]);
  let joules = 0;
  for (let i = 1; i < points.length; i++) {
    const [t0, w0] = points[i - 1]!;
    const [t1, w1] = points[i]!;
    joules += ((w0 + w1) / 2) * ((t1 - t0) / 1e9);
  }
  return joules;
}

/** Each sample's watts hold over (previous sample time, its time]; the last one holds after it. */
function integrateSteps(samples: readonly (readonly [number, number])[], from: number, to: number): number {
  let joules = 0;
  let intervalStart = -Infinity;
  for (const [t, w] of samples) {
    const lo = Math.max(intervalStart, from);
    const hi = Math.min(t, to);
    if (hi > lo) joules += w * ((hi - lo) / 1e9);
    intervalStart = t;
    if (t >= to) return joules;
  }
  const [, lastW] = samples[samples.length - 1]!;
  const lo = Math.max(intervalStart, from);
  return lo < to ? joules + lastW * ((to - lo) / 1e9) : joules;
}

/**
 * Time-weighted average power of a window that has no query bounds (the idle baseline, the ranging
 * pass): its energy from the first to the last sample, integrated as the meter's readings mean, over
 * that span. A plain mean of the samples would weigh a burst of closely spaced readings as much as a
 * long quiet stretch. A window whose samples all share one time has no span; its mean stands.
 */
function timeWeightedAverageW(samples: readonly (readonly [number, number])[], semantics: SampleSemantics): number {
  const fromNs = samples[0]![0];
  const toNs = samples[samples.length - 1]![0];
  if (toNs <= fromNs) return samples.reduce((sum, [, w]) => sum + w, 0) / samples.length;
  return integrateEnergyJ(samples, fromNs, toNs, semantics) / ((toNs - fromNs) / 1e9);
}

export interface MeasuredWindow {
  startNs: number;
  endNs: number;
}

/**
 * The power figures of a run: `windows` are each run's measured window (from the latency raw samples),
 * `queryCount`/`sampleCount` the run's totals. Pure: the API recomputes it from the stored trace.
 */
export function summarizePower(trace: PowerTrace, windows: readonly MeasuredWindow[], totals: { queryCount: number; sampleCount: number }): PowerSummary {
  const invalidReasons: string[] = [];
  if (windows.length !== trace.runs.length) invalidReasons.push(`the trace has ${trace.runs.length} runs, the latency samples ${windows.length}`);
  let energyJ = 0;
  let windowNs = 0;
  let sampleCount = 0;
  let peakW = 0;
  trace.runs.forEach((run, r) => {
    const window = windows[r];
    if (run.error) invalidReasons.push(`run ${r + 1}: ${run.error}`);
    if (!window) return;
    const inside = run.samples.filter(([t]) => t >= window.startNs && t <= window.endNs);
    // A window with fewer than two samples inside is a guess, not a measurement.
    if (inside.length < 2) invalidReasons.push(`run ${r + 1}: ${inside.length} samples inside the ${((window.endNs - window.startNs) / 1e6).toFixed(1)} ms window (sampling every ${trace.meter.intervalMs} ms); use a longer run`);
    energyJ += run.samples.length > 0 ? integrateEnergyJ(run.samples, window.startNs, window.endNs, sampleSemanticsOf(trace.meter.kind)) : 0;
    windowNs += window.endNs - window.startNs;
    sampleCount += inside.length;
    for (const [, w] of inside) peakW = Math.max(peakW, w);
  });

  const uncertainties = trace.runs.map((run) => run.uncertaintyPct).filter((u): u is number => u !== null);
  const uncertaintyPct = uncertainties.length > 0 ? Math.max(...uncertainties) : trace.meter.uncertaintyPct;
  if (uncertaintyPct !== null && uncertaintyPct > MAX_UNCERTAINTY_PCT) {
    invalidReasons.push(`meter uncertainty ${uncertaintyPct}% exceeds ${MAX_UNCERTAINTY_PCT}% (MLPerf Power)`);
  }

  const avgW = windowNs > 0 ? energyJ / (windowNs / 1e9) : 0;
  const semantics = sampleSemanticsOf(trace.meter.kind);
  const idle = trace.idle && trace.idle.samples.length > 0 ? { avgW: timeWeightedAverageW(trace.idle.samples, semantics), sampleCount: trace.idle.samples.length } : null;
  if (trace.idle?.error) invalidReasons.push(`idle baseline: ${trace.idle.error}`);
  const idleSubtracted = idle ? { avgW: avgW - idle.avgW, energyJ: energyJ - idle.avgW * (windowNs / 1e9) } : null;

  let ranging: { avgW: number } | null = null;
  if (trace.ranging) {
    if (trace.ranging.error) invalidReasons.push(`ranging run: ${trace.ranging.error}`);
    if (trace.ranging.samples.length > 0) {
      ranging = { avgW: timeWeightedAverageW(trace.ranging.samples, semantics) };
      if (avgW < ranging.avgW * (1 - MAX_TESTING_BELOW_RANGING_PCT / 100)) {
        invalidReasons.push(`testing-run power ${avgW.toFixed(3)} W is more than ${MAX_TESTING_BELOW_RANGING_PCT}% below the ranging run's ${ranging.avgW.toFixed(3)} W (MLPerf Power)`);
      }
    }
  }

  return {
    measured: true,
    meter: trace.meter,
    result: invalidReasons.length === 0 ? 'VALID' : 'INVALID',
    invalidReasons,
    windowNs,
    sampleCount,
    sampleRateHz: windowNs > 0 ? sampleCount / (windowNs / 1e9) : 0,
    avgW,
    peakW,
    energyJ,
    idle,
    idleSubtracted,
    energyPerQueryMj: totals.queryCount > 0 ? (energyJ * 1000) / totals.queryCount : 0,
    idleSubtractedEnergyPerQueryMj: idleSubtracted && totals.queryCount > 0 ? (idleSubtracted.energyJ * 1000) / totals.queryCount : null,
    samplesPerJoule: energyJ > 0 ? totals.sampleCount / energyJ : 0,
    uncertaintyPct,
    ranging,
  };
}
