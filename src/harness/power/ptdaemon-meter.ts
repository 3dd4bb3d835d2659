// An external lab power analyzer behind SPEC PTDaemon, driven the way MLPerf Power drives it
// (mlcommons/power-dev ptd_client_server/lib/server.py): set the voltage and current ranges, let the
// analyzer settle, `Go,<interval>,0,<mark>`, run the workload, `Stop`, then read the window's samples
// with `RL`, its uncertainty with `Uncertainty` and PTDaemon's own aggregate with `Watts`.
//
// MLPerf's two passes through the plain PowerMeter interface: a window labelled `ranging` (or ending in
// `_ranging`, like MLPerf's marks) runs with both ranges on Auto; when it stops, later windows use the
// voltage range at its largest volts and the current range at 1.1 × its largest amps (power-dev
// server.py, ranging mode AUTO). The caller applies compliance/check.py's test: testing average power
// not more than 5% below ranging.
//
// Clock mapping. PTDaemon stamps samples with its host's wall clock (ms), which we do not trust against
// ours. We keep the spacing between PTDaemon's timestamps and place the whole train on our monotonic
// clock from two brackets we time with process.hrtime.bigint(): the Go exchange [goSent, goAck] and
// the Stop exchange [stopSent, stopAck]. Sample k is the average over the interval ending at t_k, so
//   first sample: t_1 ∈ (T_go, T_go + interval],  T_go ∈ [goSent, goAck]
//   last sample:  t_N ∈ (T_stop − interval, T_stop], T_stop ∈ [stopSent, stopAck]
// Each gives a range for our time of t_1; we take the middle of their intersection and report half its
// width as the largest error of every mapped timestamp (about half the interval plus the round trips).
// Mapped timestamps then always fall inside [goSent, stopAck]. If the ranges do not intersect (PTDaemon's
// clock runs at another rate, or a DST jump inside the window) the mapping says so (`consistent: false`).

import { z } from 'zod';
import { HarnessError, errorMessage } from '../../lib/errors.js';
import type { MeterInfo, MeterReading, PowerMeter, PowerSample } from './power-meter.js';
import {
  PtdaemonClient,
  fixedRangeOrAuto,
  parseLogLine,
  type PtdIdentity,
  type PtdLogSample,
  type PtdRange,
  type PtdUncertainty,
  type PtdWattsSummary,
} from './ptdaemon-client.js';

const rangeSchema = z.union([z.literal('Auto'), z.number().positive().finite()]);

export const ptdaemonMeterConfigSchema = z.object({
  kind: z.literal('ptdaemon'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(8888),
  /** Sampling interval; MLPerf uses 1000 ms. */
  intervalMs: z.number().int().min(10).default(1000),
  /** Channel n of a multichannel analyzer (n-th group after the sum in `RL,*,*`); absent: sum/only channel. */
  channel: z.number().int().min(1).optional(),
  /** Ranges until a ranging window sets them (see above). */
  currentRange: rangeSchema.default('Auto'),
  voltageRange: rangeSchema.default('Auto'),
  /** Limit for connecting and for each PTDaemon reply. */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Wait after a range change before Go, so the analyzer settles (MLPerf: ANALYZER_SLEEP_SECONDS = 10). */
  rangeSettleMs: z.number().int().min(0).default(10_000),
});

/** What a config file holds (defaults not yet applied). */
export type PtdaemonMeterConfigInput = z.input<typeof ptdaemonMeterConfigSchema>;
export type PtdaemonMeterConfig = z.output<typeof ptdaemonMeterConfigSchema>;

export interface PtdRangeSettings {
  voltage: PtdRange;
  current: PtdRange;
}

export interface PtdClockMapping {
  /** Our monotonic time (hrtime ns) of the first sample; later samples add their PTDaemon-time spacing. */
  firstSampleNs: number;
  /** Largest error of any mapped timestamp, ns (half the intersection; half the disagreement when inconsistent). */
  maxErrorNs: number;
  /** false when no placement satisfies both the Go and the Stop brackets. */
  consistent: boolean;
}

/** Everything about the last window the report may state or recompute from. */
export interface PtdaemonWindow {
  /** The Go mark. */
  mark: string;
  /** Ranges set before Go (what the report states as the analyzer settings). */
  ranges: PtdRangeSettings;
  intervalMs: number;
  /** Raw `RL` samples, including any PTDaemon marked invalid (watts < 0), which `samples` leaves out. */
  log: PtdLogSample[];
  /** null when the window had no samples. */
  clock: PtdClockMapping | null;
  /** For a ranging window: the ranges it fixed for later windows. */
  rangesForLaterWindows: PtdRangeSettings | null;
  uncertainty: PtdUncertainty;
  /** PTDaemon's own average/min/max over the measurement: a cross-check on integrating the samples. */
  wattsSummary: PtdWattsSummary;
}

interface OpenWindow {
  mark: string;
  ranges: PtdRangeSettings;
  goSentNs: bigint;
  goAckNs: bigint;
}

const MARK_UNSAFE = /[^-_A-Za-z0-9]/g;
const RANGING_MARK = /(?:^|_)ranging$/;

export class PtdaemonMeter implements PowerMeter {
  private readonly config: PtdaemonMeterConfig;
  private client: PtdaemonClient | null = null;
  private identity: PtdIdentity | null = null;
  private initialRanges: PtdRangeSettings | null = null;
  private ranges: PtdRangeSettings;
  private appliedRanges: PtdRangeSettings | null = null;
  private window: OpenWindow | null = null;
  private last: PtdaemonWindow | null = null;

  /** Validates the config; the connection opens on connect() or the first start(). */
  constructor(input: PtdaemonMeterConfigInput) {
    const parsed = ptdaemonMeterConfigSchema.safeParse(input);
    if (!parsed.success) {
      throw new HarnessError('power.meter_config_invalid', `Invalid PTDaemon meter config: ${z.prettifyError(parsed.error)}`);
    }
    this.config = parsed.data;
    this.ranges = { voltage: this.config.voltageRange, current: this.config.currentRange };
  }

  /**
   * Connects (again, after a lost connection), checks the PTDaemon greeting, identifies the analyzer
   * and, on the first connection, reads the ranges close() puts back.
   */
  async connect(): Promise<void> {
    if (this.client && !this.client.broken) return;
    const client = await PtdaemonClient.connect({ host: this.config.host, port: this.config.port, timeoutMs: this.config.timeoutMs });
    try {
      await client.hello();
      this.identity = await client.identify();
      const rr = await client.readRanges();
      this.initialRanges ??= { voltage: fixedRangeOrAuto(rr.voltsAuto, rr.volts), current: fixedRangeOrAuto(rr.ampsAuto, rr.amps) };
    } catch (err) {
      client.close();
      throw err;
    }
    this.client = client;
    this.appliedRanges = null;
  }

  describe(): MeterInfo {
    // The name goes into public reports: it says which analyzer measured, never where it listens
    // (PTDaemon's port is an unauthenticated control port for the lab's analyzer).
    const version = this.identity?.version ? ` ${this.identity.version}` : '';
    return {
      kind: 'ptdaemon',
      name: this.identity ? `${this.identity.model} via PTDaemon${version}` : 'PTDaemon',
      class: 'lab',
      uncertaintyPct: this.last?.uncertainty.avgPct ?? null,
      intervalMs: this.config.intervalMs,
    };
  }

  /** PTDaemon's full `Identify` answer, for the report; null before connecting. */
  identification(): PtdIdentity | null {
    return this.identity;
  }

  /** Ranges the next window will use. */
  rangeSettings(): PtdRangeSettings {
    return { ...this.ranges };
  }

  /** Ranges the analyzer had when we first connected; close() puts them back, as MLPerf's server does. */
  initialRangeSettings(): PtdRangeSettings | null {
    return this.initialRanges && { ...this.initialRanges };
  }

  /** Sets the ranges for the next windows (until a ranging window sets them). */
  setRanges(ranges: PtdRangeSettings): void {
    if (this.window) throw new HarnessError('power.ptd_window_open', 'cannot change PTDaemon ranges during a window');
    this.ranges = { ...ranges };
  }

  lastWindow(): PtdaemonWindow | null {
    return this.last;
  }

  /** PTDaemon's running aggregate for the open measurement (a live value for progress displays). */
  liveWatts(): Promise<PtdWattsSummary> {
    if (!this.client) throw new HarnessError('power.ptd_window_not_open', 'no PTDaemon measurement is running');
    return this.client.watts();
  }

  /** Throws (power.ptd_unreachable / power.ptd_protocol_error) when the window cannot start. */
  async start(label: string): Promise<void> {
    if (this.window) throw new HarnessError('power.ptd_window_open', 'a PTDaemon window is already open');
    // The mark travels inside a comma-separated command; power-dev allows only these characters.
    const mark = label.replace(MARK_UNSAFE, '_');
    const ranges: PtdRangeSettings = RANGING_MARK.test(mark) ? { voltage: 'Auto', current: 'Auto' } : { ...this.ranges };
    await this.connect();
    const client = this.client!;
    await client.setRange('V', ranges.voltage);
    await client.setRange('A', ranges.current);
    const changed = !this.appliedRanges || !sameRanges(this.appliedRanges, ranges);
    this.appliedRanges = ranges;
    if (changed && this.config.rangeSettleMs > 0) await sleep(this.config.rangeSettleMs);
    const goSentNs = process.hrtime.bigint();
    await client.go(this.config.intervalMs, mark);
    this.window = { mark, ranges, goSentNs, goAckNs: process.hrtime.bigint() };
  }

  /** Never throws for a meter failure: a lost connection gives `error: 'meter disconnected: ...'`. */
  async stop(): Promise<MeterReading> {
    const window = this.window;
    const client = this.client;
    if (!window || !client) throw new HarnessError('power.ptd_window_not_open', 'stop() without start()');
    this.window = null;
    try {
      const stopSentNs = process.hrtime.bigint();
      await client.stop();
      const stopAckNs = process.hrtime.bigint();
      const lines = await client.readLog(this.config.intervalMs);
      const log = lines.map((line) => parseLogLine(line, this.config.channel));
      const uncertainty = await client.uncertainty();
      const wattsSummary = await client.watts();
      const clock = mapPtdClock(
        log.map((sample) => sample.ptdTimeMs),
        this.config.intervalMs,
        { goSentNs: window.goSentNs, goAckNs: window.goAckNs, stopSentNs, stopAckNs },
      );
      const ranging = RANGING_MARK.test(window.mark);
      const rangesForLaterWindows = ranging ? testingRanges(log) : null;
      if (rangesForLaterWindows) this.ranges = rangesForLaterWindows;
      this.last = { mark: window.mark, ranges: window.ranges, intervalMs: this.config.intervalMs, log, clock, rangesForLaterWindows, uncertainty, wattsSummary };
      return {
        samples: clock ? toPowerSamples(log, clock) : [],
        counterEnergyJ: null,
        uncertaintyPct: uncertainty.avgPct,
        error:
          ranging && !rangesForLaterWindows
            ? 'ranging run gave no samples with volts and amps (shorter than one interval?): testing ranges not set'
            : null,
      };
    } catch (err) {
      const code = err instanceof HarnessError ? err.code : null;
      const error =
        code === 'power.ptd_unreachable'
          ? `meter disconnected: ${errorMessage(err)}`
          : code === 'power.ptd_protocol_error'
            ? `meter protocol error: ${errorMessage(err)}`
            : `meter failed: ${errorMessage(err)}`;
      return { samples: [], counterEnergyJ: null, uncertaintyPct: null, error };
    }
  }

  /** Stops an open measurement and restores the analyzer's initial ranges (best effort), then disconnects. */
  async close(): Promise<void> {
    const client = this.client;
    const measuring = this.window !== null;
    this.client = null;
    this.window = null;
    if (!client) return;
    if (!client.broken && this.initialRanges) {
      try {
        if (measuring) await client.stop();
        await client.setRange('V', this.initialRanges.voltage);
        await client.setRange('A', this.initialRanges.current);
      } catch {
        // The connection is going away; a PTDaemon that cannot take these commands has nothing to restore.
      }
    }
    client.close();
  }
}

function toPowerSamples(log: PtdLogSample[], clock: PtdClockMapping): PowerSample[] {
  const first = log[0]?.ptdTimeMs ?? 0;
  return log
    .filter((sample) => sample.watts >= 0)
    .map((sample) => ({ tNs: clock.firstSampleNs + Math.round((sample.ptdTimeMs - first) * 1e6), watts: sample.watts }));
}

/** See the comment at the top of this file. Returns null when there are no samples. */
export function mapPtdClock(
  ptdTimesMs: number[],
  intervalMs: number,
  brackets: { goSentNs: bigint; goAckNs: bigint; stopSentNs: bigint; stopAckNs: bigint },
): PtdClockMapping | null {
  const first = ptdTimesMs[0];
  const last = ptdTimesMs[ptdTimesMs.length - 1];
  if (first === undefined || last === undefined) return null;
  const spanNs = BigInt(Math.round((last - first) * 1e6));
  const intervalNs = BigInt(intervalMs) * 1_000_000n;
  const low = max(brackets.goSentNs, brackets.stopSentNs - intervalNs - spanNs);
  const high = min(brackets.goAckNs + intervalNs, brackets.stopAckNs - spanNs);
  const halfWidth = (high - low) / 2n;
  return {
    firstSampleNs: Number(low + halfWidth),
    maxErrorNs: Number(halfWidth < 0n ? -halfWidth : halfWidth),
    consistent: low <= high,
  };
}

/** MLPerf's reading of a ranging run (power-dev server.py): volts range = max volts, amps range = 1.1 × max amps. */
function testingRanges(log: PtdLogSample[]): PtdRangeSettings | null {
  const valid = log.filter((sample) => sample.volts > 0 && sample.amps > 0);
  if (valid.length === 0) return null;
  return {
    voltage: Math.max(...valid.map((sample) => sample.volts)),
    current: Math.max(...valid.map((sample) => sample.amps)) * 1.1,
  };
}

export interface PtdPhaseResult {
  reading: MeterReading;
  /** null when the window failed. */
  window: PtdaemonWindow | null;
}

/**
 * MLPerf's ranging run then its testing run, for callers that hold a PtdaemonMeter (the plain
 * PowerMeter flow gets the same through the `ranging` label). Throws power.ptd_ranging_failed when
 * the ranging run fails: the testing run needs its ranges.
 */
export async function ptdaemonRangingThenTesting(
  meter: PtdaemonMeter,
  runOnce: (phase: 'ranging' | 'testing') => Promise<void>,
  label = 'npubench',
): Promise<{ ranging: PtdPhaseResult; testing: PtdPhaseResult }> {
  const ranging = await runPhase(meter, runOnce, 'ranging', label);
  if (ranging.reading.error) {
    throw new HarnessError('power.ptd_ranging_failed', `PTDaemon ranging run failed: ${ranging.reading.error}`);
  }
  const testing = await runPhase(meter, runOnce, 'testing', label);
  return { ranging, testing };
}

async function runPhase(
  meter: PtdaemonMeter,
  runOnce: (phase: 'ranging' | 'testing') => Promise<void>,
  phase: 'ranging' | 'testing',
  label: string,
): Promise<PtdPhaseResult> {
  await meter.start(`${label}_${phase}`);
  let reading: MeterReading;
  try {
    await runOnce(phase);
  } finally {
    reading = await meter.stop();
  }
  return { reading, window: reading.error ? null : meter.lastWindow() };
}

function sameRanges(a: PtdRangeSettings, b: PtdRangeSettings): boolean {
  return a.voltage === b.voltage && a.current === b.current;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
