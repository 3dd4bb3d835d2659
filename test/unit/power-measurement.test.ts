// Energy figures from power traces: the integration itself, MLPerf Power's validity rules, and a real
// benchmark run with a meter beside it whose power the test knows exactly.
import { describe, expect, it } from 'vitest';
import { integrateEnergyJ, summarizePower, type PowerTrace } from '../../src/harness/power/power-measurement.js';
import type { MeterInfo, MeterReading, PowerMeter, PowerSample } from '../../src/harness/power/power-meter.js';
import { resolveSuiteSpec, runBenchmark, verifySummaryAgainstRawSamples } from '../../src/harness/index.js';
import { fixtureModel } from '../helpers/fixtures.js';

const METER: MeterInfo = { kind: 'hwmon', name: 'test rail', class: 'onboard', uncertaintyPct: null, intervalMs: 5 };
const flat = (watts: number, fromNs: number, toNs: number, stepNs: number): [number, number][] => {
  const out: [number, number][] = [];
  for (let t = fromNs; t <= toNs; t += stepNs) out.push([t, watts]);
  return out;
};

describe('integrateEnergyJ', () => {
  it('integrates a ramp exactly and interpolates at the window edges', () => {
    // 0 W at t=0 rising to 10 W at t=1 s: the integral over [0.25 s, 0.75 s] is 2.5 J.
    const ramp: [number, number][] = [
      [0, 0],
      [1e9, 10],
    ];
    expect(integrateEnergyJ(ramp, 0.25e9, 0.75e9)).toBeCloseTo(2.5, 12);
    expect(integrateEnergyJ(flat(12, 0, 2e9, 1e8), 0.5e9, 1.5e9)).toBeCloseTo(12, 12);
  });

  it('integrates interval averages (RAPL, PTDaemon) as steps, exact for whole intervals', () => {
    // 10 W over (0, 1 s], 20 W over (1 s, 2 s]: the samples are stamped at the ends of their intervals.
    const steps: [number, number][] = [
      [1e9, 10],
      [2e9, 20],
    ];
    expect(integrateEnergyJ(steps, 0, 2e9, 'interval-average')).toBeCloseTo(30, 12);
    expect(integrateEnergyJ(steps, 0.5e9, 1.5e9, 'interval-average')).toBeCloseTo(15, 12);
    expect(integrateEnergyJ(steps, 0, 2e9, 'instantaneous')).toBeCloseTo(25, 12); // read as points: held flat before 1 s, then a ramp
  });
});

describe('summarizePower', () => {
  const trace = (overrides: Partial<PowerTrace> = {}): PowerTrace => ({
    meter: METER,
    idle: { samples: flat(2, -1e9, -0.5e9, 1e7), uncertaintyPct: null, error: null },
    ranging: null,
    runs: [{ samples: flat(10, 0, 1e9, 1e7), uncertaintyPct: null, error: null }],
    ...overrides,
  });
  const window = [{ startNs: 0, endNs: 1e9 }];

  it('reports energy per query, samples per joule and idle-subtracted variants', () => {
    const s = summarizePower(trace(), window, { queryCount: 100, sampleCount: 800 });
    expect(s.measured && s.result).toBe('VALID');
    if (!s.measured) return;
    expect(s.energyJ).toBeCloseTo(10, 9);
    expect(s.avgW).toBeCloseTo(10, 9);
    expect(s.energyPerQueryMj).toBeCloseTo(100, 9);
    expect(s.samplesPerJoule).toBeCloseTo(80, 9);
    expect(s.idle?.avgW).toBeCloseTo(2, 12);
    expect(s.idleSubtracted?.energyJ).toBeCloseTo(8, 9);
    expect(s.idleSubtractedEnergyPerQueryMj).toBeCloseTo(80, 9);
  });

  it('is INVALID, with the reason, when uncertainty exceeds 1%, the meter failed, or testing power fell 5% below ranging', () => {
    const uncertain = summarizePower(trace({ runs: [{ samples: flat(10, 0, 1e9, 1e7), uncertaintyPct: 3, error: null }] }), window, { queryCount: 1, sampleCount: 1 });
    expect(uncertain.measured && uncertain.invalidReasons).toEqual([expect.stringContaining('uncertainty 3%')]);
    const failed = summarizePower(trace({ runs: [{ samples: flat(10, 0, 0.5e9, 1e7), uncertaintyPct: null, error: 'meter disconnected: ECONNRESET' }] }), window, { queryCount: 1, sampleCount: 1 });
    expect(failed.measured && failed.result).toBe('INVALID');
    expect(failed.measured && failed.invalidReasons.join()).toContain('meter disconnected');
    const belowRanging = summarizePower(trace({ ranging: { samples: flat(11, 0, 1e9, 1e7), uncertaintyPct: null, error: null } }), window, { queryCount: 1, sampleCount: 1 });
    expect(belowRanging.measured && belowRanging.invalidReasons.join()).toContain('below the ranging run');
    const sparse = summarizePower(trace({ runs: [{ samples: [[0, 10]], uncertaintyPct: null, error: null }] }), window, { queryCount: 1, sampleCount: 1 });
    expect(sparse.measured && sparse.invalidReasons.join()).toContain('1 samples inside');
  });

  it('allows testing power up to 5% below ranging, and no further', () => {
    const ranging = { samples: flat(10, 0, 1e9, 1e7), uncertaintyPct: null, error: null };
    const reasons = (watts: number) => {
      const s = summarizePower(trace({ ranging, runs: [{ samples: flat(watts, 0, 1e9, 1e7), uncertaintyPct: null, error: null }] }), window, { queryCount: 1, sampleCount: 1 });
      if (!s.measured) throw new Error('not measured');
      return s.invalidReasons;
    };
    for (const watts of [10.5, 9.7, 9.55]) expect(reasons(watts), `${watts} W`).toEqual([]); // down to 4.5% below
    for (const watts of [9.45, 9.2, 5]) expect(reasons(watts).join(), `${watts} W`).toMatch(/more than 5% below the ranging run's 10\.000 W/); // from 5.5% below
  });

  it('reports the highest reading inside the window as peakW', () => {
    // Trapezoid over [0, 1 s]: 0.25 s × ((5+9) + (9+13) + (13+7) + (7+6)) / 2 = 8.625 J. The 50 W reading
    // after the window and the 40 W one before it are not the run's.
    const samples: [number, number][] = [[-0.2e9, 40], [0, 5], [0.25e9, 9], [0.5e9, 13], [0.75e9, 7], [1e9, 6], [1.2e9, 50]];
    const s = summarizePower(trace({ runs: [{ samples, uncertaintyPct: null, error: null }] }), window, { queryCount: 10, sampleCount: 10 });
    if (!s.measured) throw new Error('not measured');
    expect(s.peakW).toBe(13);
    expect(s.sampleCount).toBe(5);
    expect(s.energyJ).toBeCloseTo(8.625, 12);
    expect(s.avgW).toBeCloseTo(8.625, 12);
  });

  describe('idle and ranging averages are time-weighted', () => {
    // Readings of 10, 10, 10, 100 W at -305, -205, -105, -100 ms: a plain mean says 32.5 W.
    const burst: [number, number][] = [[-305e6, 10], [-205e6, 10], [-105e6, 10], [-100e6, 100]];
    const run = { samples: flat(15, 0, 1e9, 1e7), uncertaintyPct: null, error: null };
    const summarize = (meter: MeterInfo) => {
      const s = summarizePower(trace({ meter, idle: { samples: burst, uncertaintyPct: null, error: null }, runs: [run] }), window, { queryCount: 100, sampleCount: 100 });
      if (!s.measured) throw new Error('not measured');
      return s;
    };

    it('for interval averages (PTDaemon, RAPL): each reading covers the interval it closes', () => {
      // 10 W over 100 ms, 10 W over 100 ms, 100 W over 5 ms: 2.5 J in 205 ms.
      const s = summarize({ ...METER, kind: 'ptdaemon', class: 'lab', uncertaintyPct: 0.5, intervalMs: 100 });
      expect(s.idle?.avgW).toBeCloseTo(2.5 / 0.205, 9); // 12.195 W
      expect(s.idleSubtracted?.avgW).toBeCloseTo(15 - 2.5 / 0.205, 9);
      expect(s.idleSubtracted?.energyJ).toBeCloseTo(15 - 2.5 / 0.205, 9); // over the 1 s window
      expect(s.idleSubtracted!.energyJ).toBeGreaterThan(0);
    });

    it('for instantaneous readings (hwmon, INA, NVML): the trapezoid between them', () => {
      // 10 W for 200 ms, then (10 + 100) / 2 W for 5 ms: 2.275 J in 205 ms.
      const s = summarize(METER);
      expect(s.idle?.avgW).toBeCloseTo(2.275 / 0.205, 9); // 11.098 W
      expect(s.idle?.sampleCount).toBe(4);
    });

    it('for the ranging pass, which a burst of readings must not make look higher than it was', () => {
      // 10 W for 1 s, then 100 W read three times in 3 ms: 10 + 0.055 + 0.2 = 10.255 J in 1.003 s, 10.22 W.
      // The plain mean, 64 W, would put a 10 W testing run "more than 5% below ranging".
      const ranging = { samples: [[0, 10], [1e9, 10], [1.001e9, 100], [1.002e9, 100], [1.003e9, 100]] as [number, number][], uncertaintyPct: null, error: null };
      const s = summarizePower(trace({ ranging }), window, { queryCount: 1, sampleCount: 1 });
      if (!s.measured) throw new Error('not measured');
      expect(s.ranging?.avgW).toBeCloseTo(10.255 / 1.003, 9);
      expect(s.invalidReasons).toEqual([]);
    });
  });
});

/** A meter that samples a known power profile on a timer, on the same clock as the harness. */
class ProfileMeter implements PowerMeter {
  private timer: NodeJS.Timeout | undefined;
  private samples: PowerSample[] = [];
  constructor(private readonly wattsAt: (tNs: number) => number) {}
  describe(): MeterInfo {
    return METER;
  }
  async start(): Promise<void> {
    this.samples = [];
    const sample = () => {
      const tNs = Number(process.hrtime.bigint());
      this.samples.push({ tNs, watts: this.wattsAt(tNs) });
    };
    sample();
    this.timer = setInterval(sample, METER.intervalMs);
  }
  async stop(): Promise<MeterReading> {
    clearInterval(this.timer);
    const tNs = Number(process.hrtime.bigint());
    this.samples.push({ tNs, watts: this.wattsAt(tNs) });
    return { samples: this.samples, counterEnergyJ: null, uncertaintyPct: null, error: null };
  }
  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}

describe('a benchmark run with a power meter', () => {
  it('stores the trace with the raw samples and reports energy per query the trace and the queries imply', async () => {
    const meter = new ProfileMeter(() => 7.5);
    const spec = resolveSuiteSpec({ preset: 'smoke', minDurationMs: 300, repeatCount: 2 });
    const { summary, rawSamples } = await runBenchmark({ modelPath: fixtureModel('mlp-classifier.onnx'), spec, backend: { executionProvider: 'cpu' }, power: { meter, idleMs: 100, rangingRun: false } });
    await meter.close();
    expect(verifySummaryAgainstRawSamples(summary, rawSamples)).toEqual([]);
    const power = summary.power;
    expect(power.measured).toBe(true);
    if (!power.measured) return;
    expect(power.result).toBe('VALID');
    expect(power.avgW).toBeCloseTo(7.5, 9);
    // Ground truth: constant 7.5 W over the measured windows the raw samples define.
    const windowsNs = rawSamples.runs.reduce((sum, run) => sum + (run.queries.at(-1)![1] - run.queries[0]![0]), 0);
    expect(power.energyJ).toBeCloseTo(7.5 * (windowsNs / 1e9), 9);
    expect(power.energyPerQueryMj).toBeCloseTo((7.5 * (windowsNs / 1e9) * 1000) / summary.queryCount, 9);
    expect(power.peakW).toBe(7.5);
    expect(power.idle?.avgW).toBeCloseTo(7.5, 9);
    expect(rawSamples.power && 'runs' in rawSamples.power && rawSamples.power.runs).toHaveLength(2);
  });

  it('says why when power is not measured', async () => {
    const spec = resolveSuiteSpec({ preset: 'smoke' });
    const none = await runBenchmark({ modelPath: fixtureModel('mlp-classifier.onnx'), spec, backend: { executionProvider: 'cpu' } });
    expect(none.summary.power).toEqual({ measured: false, reason: 'not measured: no power meter is configured for this device' });
    const unavailable = await runBenchmark({ modelPath: fixtureModel('mlp-classifier.onnx'), spec, backend: { executionProvider: 'cpu' }, power: { notMeasured: 'not measured: RAPL energy_uj is not readable (permission denied)' } });
    expect(unavailable.summary.power).toEqual({ measured: false, reason: 'not measured: RAPL energy_uj is not readable (permission denied)' });
    expect(verifySummaryAgainstRawSamples(unavailable.summary, unavailable.rawSamples)).toEqual([]);
  });
});
