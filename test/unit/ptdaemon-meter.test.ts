import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/lib/errors.js';
import type { PowerSample } from '../../src/harness/power/power-meter.js';
import { formatRange, parseLogLine } from '../../src/harness/power/ptdaemon-client.js';
import {
  PtdaemonMeter,
  mapPtdClock,
  ptdaemonRangingThenTesting,
  type PtdaemonMeterConfigInput,
  type PtdaemonWindow,
} from '../../src/harness/power/ptdaemon-meter.js';
import { PtdaemonSimulator, type PtdaemonSimulatorOptions } from '../helpers/ptdaemon-simulator.js';

const INTERVAL_MS = 50;
const RUN_MS = 800;
/** Slow enough that a 50 ms update interval resolves it: the energy check tests the meter, not sampling. */
const profile = (msSinceGo: number) => 35 + 10 * Math.sin((2 * Math.PI * msSinceGo) / 1500);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function simulator(options: PtdaemonSimulatorOptions = {}): Promise<PtdaemonSimulator> {
  const sim = await PtdaemonSimulator.start({ power: profile, ...options });
  cleanups.push(() => sim.close());
  return sim;
}

async function openMeter(sim: PtdaemonSimulator, extra: Partial<PtdaemonMeterConfigInput> = {}): Promise<PtdaemonMeter> {
  const meter = new PtdaemonMeter({
    kind: 'ptdaemon',
    host: '127.0.0.1',
    port: sim.port,
    intervalMs: INTERVAL_MS,
    timeoutMs: 2000,
    rangeSettleMs: 0,
    ...extra,
  });
  cleanups.push(() => meter.close());
  await meter.connect();
  return meter;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function trapezoidJoules(samples: PowerSample[]): number {
  let joules = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    joules += ((a.watts + b.watts) / 2) * ((b.tNs - a.tNs) / 1e9);
  }
  return joules;
}

/**
 * Each PTDaemon sample is the mean over the interval it closes, so it stands for that interval's
 * middle: the trapezoid over the samples covers from half an interval before the first sample to half
 * an interval before the last.
 */
function groundTruthJoules(sim: PtdaemonSimulator, window: PtdaemonWindow): number {
  const { log } = window;
  const half = INTERVAL_MS / 2;
  return sim.energyJoules(log[0]!.ptdTimeMs - half, log[log.length - 1]!.ptdTimeMs - half);
}

async function rejection(promise: Promise<unknown>): Promise<HarnessError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HarnessError);
  return err as HarnessError;
}

describe('PtdaemonMeter against the PTDaemon simulator', () => {
  it('runs MLPerf ranging then testing, fixing the testing ranges from the ranging maximum', async () => {
    const sim = await simulator();
    sim.ranges = { voltage: '300', current: '5' };
    const meter = await openMeter(sim);
    expect(meter.describe()).toMatchObject({ kind: 'ptdaemon', class: 'lab', intervalMs: INTERVAL_MS });
    expect(meter.describe().name).toContain('YokogawaWT310 via PTDaemon 1.10.0');
    expect(meter.initialRangeSettings()).toEqual({ voltage: 300, current: 5 });

    const phases: string[] = [];
    const result = await ptdaemonRangingThenTesting(
      meter,
      async (phase) => {
        phases.push(phase);
        await sleep(RUN_MS);
      },
      'job42',
    );
    expect(phases).toEqual(['ranging', 'testing']);

    for (const { reading, window } of [result.ranging, result.testing]) {
      expect(reading.error).toBeNull();
      expect(reading.samples.length).toBeGreaterThanOrEqual(RUN_MS / INTERVAL_MS - 3);
      const truth = groundTruthJoules(sim, window!);
      expect(Math.abs(trapezoidJoules(reading.samples) - truth) / truth).toBeLessThan(0.005);
    }

    const maxWatts = Math.max(...result.ranging.window!.log.map((sample) => sample.watts));
    const testingRanges = { voltage: 230, current: (maxWatts / (230 * 0.9)) * 1.1 };
    expect(result.ranging.window!.ranges).toEqual({ voltage: 'Auto', current: 'Auto' });
    expect(result.ranging.window!.rangesForLaterWindows!.voltage).toBe(230);
    expect(result.ranging.window!.rangesForLaterWindows!.current).toBeCloseTo(testingRanges.current, 5);
    expect(result.testing.window!.ranges).toEqual(result.ranging.window!.rangesForLaterWindows);

    const rangingGo = sim.commands.indexOf(`Go,${INTERVAL_MS},0,job42_ranging`);
    const testingGo = sim.commands.indexOf(`Go,${INTERVAL_MS},0,job42_testing`);
    expect(sim.commands.slice(0, 3)).toEqual(['Hello', 'Identify', 'RR']);
    expect(sim.commands.slice(rangingGo - 2, rangingGo)).toEqual(['SR,V,Auto', 'SR,A,Auto']);
    expect(sim.commands.slice(testingGo - 2, testingGo)).toEqual([
      'SR,V,230',
      `SR,A,${formatRange(result.testing.window!.ranges.current)}`,
    ]);
    expect(sim.commands.slice(rangingGo + 1, rangingGo + 6)).toEqual(['Stop', 'RL,*,*', 'RL', 'Uncertainty', 'Watts']);

    // MLPerf's check: testing average power not more than 5% below ranging (same load here).
    const average = (samples: PowerSample[]) => samples.reduce((sum, s) => sum + s.watts, 0) / samples.length;
    expect(average(result.testing.reading.samples) / average(result.ranging.reading.samples)).toBeGreaterThan(0.95);

    await meter.close();
    expect(sim.commands.slice(-2)).toEqual(['SR,V,300', 'SR,A,5']);
  });

  it('does the same through the plain PowerMeter flow: a "ranging" window fixes the ranges of later ones', async () => {
    const sim = await simulator({ power: () => 46 });
    const meter = await openMeter(sim, { currentRange: 2 });
    await meter.start('idle');
    await sleep(150);
    expect((await meter.stop()).error).toBeNull();
    await meter.start('ranging');
    await sleep(200);
    expect((await meter.stop()).error).toBeNull();
    await meter.start('testing-1');
    await sleep(150);
    expect((await meter.stop()).error).toBeNull();

    const gos = sim.commands.flatMap((command, i) => (command.startsWith('Go,') ? [sim.commands.slice(i - 2, i + 1)] : []));
    expect(gos).toEqual([
      ['SR,V,Auto', 'SR,A,2', `Go,${INTERVAL_MS},0,idle`],
      ['SR,V,Auto', 'SR,A,Auto', `Go,${INTERVAL_MS},0,ranging`],
      ['SR,V,230', `SR,A,${formatRange((46 / (230 * 0.9)) * 1.1)}`, `Go,${INTERVAL_MS},0,testing-1`],
    ]);
    expect(meter.rangeSettings()).toEqual(meter.lastWindow()!.ranges);
  });

  it('invalidates a ranging window too short to set the testing ranges', async () => {
    const sim = await simulator();
    const meter = await openMeter(sim, { intervalMs: 1000 });
    await meter.start('ranging');
    const reading = await meter.stop();
    expect(reading.error).toMatch(/^ranging run gave no samples/);
    expect(meter.rangeSettings()).toEqual({ voltage: 'Auto', current: 'Auto' });
  });

  it('integrates to the simulator ground truth within 0.5% and reports its uncertainty', async () => {
    const sim = await simulator({ uncertaintyPct: 0.5 });
    const meter = await openMeter(sim);
    await meter.start('energy');
    await sleep(RUN_MS / 2);
    expect((await meter.liveWatts()).samples).toBeGreaterThan(0);
    await sleep(RUN_MS / 2);
    const reading = await meter.stop();

    expect(reading.error).toBeNull();
    const truth = groundTruthJoules(sim, meter.lastWindow()!);
    expect(Math.abs(trapezoidJoules(reading.samples) - truth) / truth).toBeLessThan(0.005);
    expect(reading.uncertaintyPct).toBeCloseTo(0.5, 6);
    expect(reading.counterEnergyJ).toBeNull();
    expect(meter.describe().uncertaintyPct).toBeCloseTo(0.5, 6);
    const window = meter.lastWindow()!;
    expect(window.uncertainty.invalidSamples).toBe(0);
    expect(window.wattsSummary.samples).toBe(window.log.length);
  });

  it('shows a high uncertainty in the reading, with the samples PTDaemon counts as over its limit', async () => {
    const sim = await simulator({ uncertaintyPct: 3 });
    const meter = await openMeter(sim);
    await meter.start('noisy');
    await sleep(300);
    const reading = await meter.stop();

    expect(reading.error).toBeNull();
    expect(reading.uncertaintyPct).toBeCloseTo(3, 6);
    const { uncertainty } = meter.lastWindow()!;
    expect(uncertainty.invalidSamples).toBe(uncertainty.totalSamples);
    expect(uncertainty.totalSamples).toBeGreaterThan(0);
  });

  it('timestamps samples on our monotonic clock inside the window, whatever the PTDaemon host clock says', async () => {
    const sim = await simulator({ clockOffsetMs: -5 * 3600_000 - 1234 });
    const meter = await openMeter(sim);
    const before = Number(process.hrtime.bigint());
    await meter.start('clock');
    await sleep(500);
    const reading = await meter.stop();
    const after = Number(process.hrtime.bigint());

    expect(reading.samples.length).toBeGreaterThan(5);
    for (const sample of reading.samples) {
      expect(sample.tNs).toBeGreaterThanOrEqual(before);
      expect(sample.tNs).toBeLessThanOrEqual(after);
    }
    // PTDaemon's spacing is kept: each mapped time is the first one plus the PTD time since the first.
    const { log, clock } = meter.lastWindow()!;
    reading.samples.forEach((sample, i) => expect(sample.tNs - reading.samples[0]!.tNs).toBe(Math.round((log[i]!.ptdTimeMs - log[0]!.ptdTimeMs) * 1e6)));
    const spacingsMs = reading.samples.slice(1).map((s, i) => (s.tNs - reading.samples[i]!.tNs) / 1e6);
    expect(spacingsMs.every((ms) => ms > 0)).toBe(true);
    // Whether the brackets agree depends on how late the simulator's timers fire on a loaded machine,
    // so it is printed here; mapPtdClock's arithmetic is checked below on fixed brackets.
    console.log(`PTD clock mapping: consistent ${clock!.consistent}, max error ${(clock!.maxErrorNs / 1e6).toFixed(1)} ms at a ${INTERVAL_MS} ms interval`);
  });

  it('returns error "meter disconnected" instead of throwing when PTDaemon drops mid-window', async () => {
    const sim = await simulator();
    const meter = await openMeter(sim);
    await meter.start('dropped');
    await sleep(200);
    sim.dropConnections();
    await sleep(50);

    const reading = await meter.stop();
    expect(reading.error).toMatch(/^meter disconnected: /);
    expect(reading.samples).toEqual([]);
    expect(reading.uncertaintyPct).toBeNull();
    await expect(meter.close()).resolves.toBeUndefined();
  });

  it('reads the configured channel of a multichannel analyzer', async () => {
    const sim = await simulator({ channels: 2, power: () => 60 });
    const meter = await openMeter(sim, { channel: 2 });
    await meter.start('channel');
    await sleep(300);
    const reading = await meter.stop();

    expect(reading.error).toBeNull();
    expect(sim.commands).toContain('RL,*,*');
    expect(sim.commands).not.toContain('RL');
    expect(reading.samples.every((sample) => Math.abs(sample.watts - 30) < 1e-6)).toBe(true);
  });

  it('keeps the Go mark to the characters PTDaemon marks allow', async () => {
    const sim = await simulator();
    const meter = await openMeter(sim);
    await meter.start('job 7/testing,x');
    await meter.stop();
    expect(sim.commands).toContain(`Go,${INTERVAL_MS},0,job_7_testing_x`);
  });
});

describe('PtdaemonMeter failures', () => {
  it('throws power.meter_config_invalid for a bad config', () => {
    expect(() => new PtdaemonMeter({ kind: 'ptdaemon', host: '', intervalMs: 1 })).toThrow(
      expect.objectContaining({ code: 'power.meter_config_invalid' }),
    );
  });

  it('throws power.ptd_unreachable when nothing listens on the port', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const err = await rejection(new PtdaemonMeter({ kind: 'ptdaemon', host: '127.0.0.1', port, timeoutMs: 1000 }).connect());
    expect(err.code).toBe('power.ptd_unreachable');
    // The message reaches vendors (job errors, a report's power section): the cause, never the address.
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain(String(port));
  });

  it('throws power.ptd_unreachable when PTDaemon accepts but never answers', async () => {
    // Reads and drops everything: an unread socket would never see the client's close.
    const silent = net.createServer((socket) => socket.resume().on('error', () => socket.destroy()));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const port = (silent.address() as net.AddressInfo).port;

    const err = await rejection(new PtdaemonMeter({ kind: 'ptdaemon', host: '127.0.0.1', port, timeoutMs: 200 }).connect());
    expect(err.code).toBe('power.ptd_unreachable');
    expect(err.message).toMatch(/did not answer 'Hello' within 200 ms/);
  });

  it('throws power.ptd_protocol_error when the greeting is garbage', async () => {
    const sim = await simulator();
    sim.garbleRepliesTo('Hello');
    const err = await rejection(openMeter(sim));
    expect(err.code).toBe('power.ptd_protocol_error');
    expect(err.message).toContain('not a PTDaemon');
  });

  it('throws power.ptd_protocol_error when PTDaemon refuses a range', async () => {
    const sim = await simulator();
    const meter = await openMeter(sim);
    sim.garbleRepliesTo('SR,A,Auto');
    const err = await rejection(meter.start('refused'));
    expect(err.code).toBe('power.ptd_protocol_error');
  });

  it('returns error "meter protocol error" when the log answer is garbage', async () => {
    const sim = await simulator();
    const meter = await openMeter(sim);
    await meter.start('garbled');
    await sleep(150);
    sim.garbleRepliesTo('RL,*,*');
    const reading = await meter.stop();
    expect(reading.error).toMatch(/^meter protocol error: unexpected reply to 'RL,\*,\*'/);
  });
});

describe('parseLogLine', () => {
  it('reads the line format of power-dev logs, with or without a Mark', () => {
    const line = 'Time,12-23-2020 10:21:51.496,Watts,23.430000,Volts,228.370000,Amps,0.204280,PF,0.502300';
    const sample = parseLogLine(line, undefined);
    expect(sample).toEqual({ ptdTimeMs: Date.UTC(2020, 11, 23, 10, 21, 51, 496), watts: 23.43, volts: 228.37, amps: 0.20428, pf: 0.5023 });
    expect(parseLogLine(`${line},Mark,testing-workload`, undefined)).toEqual(sample);
  });

  it('rejects a line that is not a sample', () => {
    expect(() => parseLogLine('Watts,23.4', undefined)).toThrow(HarnessError);
    expect(() => parseLogLine('Time,yesterday,Watts,1,Volts,1,Amps,1,PF,1', undefined)).toThrow(/timestamp/);
  });
});

describe('mapPtdClock', () => {
  const ms = (value: number) => BigInt(value) * 1_000_000n;
  // Go sent at 1000 ms and acknowledged at 1004 ms, Stop sent at 1805 ms and acknowledged at 1809 ms
  // (our clock); 50 ms interval. PTDaemon's own clock reads 7,000,000 ms and up.
  const brackets = { goSentNs: ms(1000), goAckNs: ms(1004), stopSentNs: ms(1805), stopAckNs: ms(1809) };
  const train = (count: number, spacingMs: number) => Array.from({ length: count }, (_, k) => 7_000_000 + k * spacingMs);

  it('places the first sample in the middle of what both brackets allow', () => {
    // 16 samples 50 ms apart span 750 ms. From Go: t1 in [1000, 1004 + 50] = [1000, 1054]. From Stop:
    // tN in [1805 - 50, 1809], so t1 = tN - 750 in [1005, 1059]. Both: [1005, 1054], middle 1029.5 ms,
    // half-width 24.5 ms.
    expect(mapPtdClock(train(16, 50), 50, brackets)).toEqual({ firstSampleNs: 1_029_500_000, maxErrorNs: 24_500_000, consistent: true });
  });

  it('says the clocks disagree when PTDaemon\'s span does not fit between Go and Stop', () => {
    // 16 samples 60 ms apart on PTDaemon's clock span 900 ms, more than Go to Stop allows: from Stop
    // t1 in [1805 - 50 - 900, 1809 - 900] = [855, 909], which misses [1000, 1054]. low 1000 > high 909.
    expect(mapPtdClock(train(16, 60), 50, brackets)).toEqual({ firstSampleNs: 954_500_000, maxErrorNs: 45_500_000, consistent: false });
  });

  it('has nothing to map without samples', () => {
    expect(mapPtdClock([], 50, brackets)).toBeNull();
  });
});
