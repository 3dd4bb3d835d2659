// Jetson-style INA3221 rail monitors (hwmon driver, L4T 34+): per channel inN_input (bus mV),
// currN_input (mA) and inN_label (rail name). VDD_IN is the module's whole input; the other rails are
// parts of it, so summing VDD_IN with them counts twice. Onboard tier.
import { join } from 'node:path';
import type { MeterInfo, MeterReading } from './power-meter.js';
import { DEFAULT_INTERVAL_MS, type RawWindow } from './power-sampler.js';
import { SampledMeter, channelPaths, channelsReading, type PowerChannel } from './sampled-meter.js';
import { listDir, meterUnavailable, numberedEntries, readTextOrNull, requireReadableNumber } from './sysfs-files.js';

export interface Ina3221MeterConfig {
  /** Rail labels to sum, e.g. ["VDD_IN"]. Default: VDD_IN when present, else the first channel. */
  rails?: string[];
  root?: string;
  intervalMs?: number;
}

export interface Ina3221Rail {
  /** inN_label, or device/inN when unlabeled. */
  label: string;
  channel: PowerChannel;
}

const TOTAL_INPUT_RAIL = 'VDD_IN';

export function listIna3221Rails(root = '/sys'): Ina3221Rail[] {
  const driverDir = join(root, 'bus', 'i2c', 'drivers', 'ina3221');
  return listDir(driverDir)
    .sort()
    .flatMap((device) =>
      numberedEntries(join(driverDir, device, 'hwmon'), /^hwmon\d+$/).flatMap((hwmon) => {
        const dir = join(driverDir, device, 'hwmon', hwmon);
        const files = new Set(listDir(dir));
        return [1, 2, 3]
          .filter((n) => files.has(`in${n}_input`) && files.has(`curr${n}_input`))
          .map((n) => ({
            label: readTextOrNull(join(dir, `in${n}_label`)) ?? `${device}/in${n}`,
            channel: { files: [join(dir, `in${n}_input`), join(dir, `curr${n}_input`)], scale: 1e-6 },
          }));
      }),
    );
}

export function selectIna3221Rails(config: Ina3221MeterConfig): Ina3221Rail[] {
  const all = listIna3221Rails(config.root);
  const driverDir = join(config.root ?? '/sys', 'bus', 'i2c', 'drivers', 'ina3221');
  if (all.length === 0) throw meterUnavailable(`No INA3221 channels under ${driverDir}`);
  const wanted = config.rails ?? [all.some((rail) => rail.label === TOTAL_INPUT_RAIL) ? TOTAL_INPUT_RAIL : all[0]!.label];
  const chosen = wanted.map((label) => {
    const rail = all.find((candidate) => candidate.label === label);
    if (rail === undefined) throw meterUnavailable(`No INA3221 rail '${label}' under ${driverDir}; available: ${all.map((candidate) => candidate.label).join(', ')}`);
    return rail;
  });
  for (const file of channelPaths(chosen.map((rail) => rail.channel))) requireReadableNumber(file);
  return chosen;
}

export class Ina3221Meter extends SampledMeter {
  private readonly rails: Ina3221Rail[];

  constructor(config: Ina3221MeterConfig = {}) {
    const rails = selectIna3221Rails(config);
    super({ kind: 'files', paths: channelPaths(rails.map((rail) => rail.channel)) }, config.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.rails = rails;
  }

  describe(): MeterInfo {
    return { kind: 'ina3221', name: `ina3221 ${this.rails.map((rail) => rail.label).join(' + ')}`, class: 'onboard', uncertaintyPct: null, intervalMs: this.intervalMs };
  }

  protected toReading(window: RawWindow): MeterReading {
    return channelsReading(
      window,
      this.rails.map((rail) => rail.channel),
    );
  }
}
