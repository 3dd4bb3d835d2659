// The seam between the harness and power meters. A meter samples beside the run (in a worker thread or
// another process, so a busy inference loop cannot starve it) and timestamps every sample on the same
// monotonic clock as the latency samples (process.hrtime.bigint(), CLOCK_MONOTONIC), so power and
// latency line up without clock translation.

/** One reading. `tNs` is absolute process.hrtime.bigint() time, as a number. */
export interface PowerSample {
  tNs: number;
  /** Instantaneous (or per-interval average) power of the measured domain, watts. */
  watts: number;
}

export type MeterKind = 'rapl' | 'hwmon' | 'power-supply' | 'ina3221' | 'nvml' | 'command' | 'ptdaemon';

/**
 * 'lab': an external calibrated meter (SPEC PTDaemon), MLPerf Power's tier. 'onboard': sensors on the
 * board or SoC (INA rails, hwmon, battery fuel gauge). 'informative': software counters/models (RAPL,
 * NVML), MLPerf Client's informative tier.
 */
export type MeterClass = 'lab' | 'onboard' | 'informative';

export interface MeterInfo {
  kind: MeterKind;
  /** What is measured, e.g. "intel-rapl:0 (package-0) + intel-rapl:0:0 (dram)" or a PTDaemon device name. */
  name: string;
  class: MeterClass;
  /** Uncertainty the meter states for its readings, percent; null when it states none. */
  uncertaintyPct: number | null;
  /** Requested sampling interval, ms. */
  intervalMs: number;
}

export interface MeterReading {
  samples: PowerSample[];
  /**
   * For energy-counter meters (RAPL): energy over the window from the counter itself, joules, wraparound
   * handled. More exact than integrating samples; null for meters that only give power.
   */
  counterEnergyJ: number | null;
  /** Uncertainty reported for this window (PTDaemon's `Uncertainty`), percent; null when not reported. */
  uncertaintyPct: number | null;
  /** Set when the meter failed during the window (disconnect, read error): the power result is INVALID. */
  error: string | null;
}

export interface PowerMeter {
  describe(): MeterInfo;
  /** Starts sampling. `label` names the window where the meter supports marks (PTDaemon's Go mark). */
  start(label: string): Promise<void>;
  /** Stops sampling and returns the window's readings. Never throws for a meter failure: see `error`. */
  stop(): Promise<MeterReading>;
  /** Releases threads, processes and connections. */
  close(): Promise<void>;
}
