// Meters read from a vendor command that prints one reading per line. The command runs from the
// sampler worker, so each line is timestamped when it arrives even while inference holds the main
// thread; the tool's own timestamps (if any) are ignored because they are on another clock.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { MeterClass, MeterInfo, MeterKind, MeterReading } from './power-meter.js';
import { DEFAULT_INTERVAL_MS, type RawWindow } from './power-sampler.js';
import { SampledMeter, windowError } from './sampled-meter.js';
import { meterConfigInvalid, meterUnavailable } from './sysfs-files.js';

/** `watts` or `timestamp,watts` per line, optionally with a trailing W. */
export const DEFAULT_WATTS_PATTERN = String.raw`^\s*(?:[^,]*,\s*)?(?<watts>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*W?\s*$`;

export interface CommandMeterConfig {
  command: string;
  args?: string[];
  /** Regular expression for a line; the watts are its `watts` group, else its first group. */
  pattern?: string;
  /** What the tool measures; 'informative' unless the lab vouches for an onboard sensor behind it. */
  meterClass?: Exclude<MeterClass, 'lab'>;
  /** Interval the command was told to print at, ms; recorded in describe(). */
  intervalMs?: number;
}

/** Resolves a command the way spawn will (PATH lookup), so a missing tool fails at construction. */
function findExecutable(command: string): string | null {
  const candidates = command.includes('/') ? [command] : (process.env.PATH ?? '').split(delimiter).filter(isAbsolute).map((dir) => join(dir, command));
  return (
    candidates.find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }) ?? null
  );
}

export class CommandMeter extends SampledMeter {
  protected readonly kind: MeterKind = 'command';
  private readonly commandLine: string;
  private readonly meterClass: Exclude<MeterClass, 'lab'>;

  constructor(config: CommandMeterConfig) {
    const pattern = config.pattern ?? DEFAULT_WATTS_PATTERN;
    try {
      new RegExp(pattern);
    } catch (err) {
      throw meterConfigInvalid(`Power command pattern is not a regular expression: ${(err as Error).message}`);
    }
    if (findExecutable(config.command) === null) throw meterUnavailable(`Power meter command '${config.command}' is not installed or not executable (PATH=${process.env.PATH ?? ''})`);
    const args = config.args ?? [];
    super({ kind: 'command', command: config.command, args, pattern }, config.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.commandLine = [config.command, ...args].join(' ');
    this.meterClass = config.meterClass ?? 'informative';
  }

  describe(): MeterInfo {
    return { kind: this.kind, name: this.commandLine, class: this.meterClass, uncertaintyPct: null, intervalMs: this.intervalMs };
  }

  protected toReading(window: RawWindow): MeterReading {
    const samples = window.ticks.map((tick) => ({ tNs: tick.tNs, watts: tick.values[0]! }));
    return { samples, counterEnergyJ: null, uncertaintyPct: null, error: windowError(window, samples.length) };
  }
}

export interface NvmlMeterConfig {
  /** nvidia-smi GPU index. */
  gpu?: number;
  intervalMs?: number;
}

/**
 * GPU board power from NVML through nvidia-smi. Informative tier: on recent drivers power.draw is a
 * one-second average, whatever the polling interval.
 */
export class NvmlMeter extends CommandMeter {
  protected override readonly kind: MeterKind = 'nvml';

  constructor(config: NvmlMeterConfig = {}) {
    const intervalMs = config.intervalMs ?? DEFAULT_INTERVAL_MS;
    const gpu = config.gpu ?? 0;
    super({
      command: 'nvidia-smi',
      args: ['--query-gpu=power.draw', '--format=csv,noheader,nounits', '-lms', String(intervalMs), '-i', String(gpu)],
      meterClass: 'informative',
      intervalMs,
    });
  }
}
