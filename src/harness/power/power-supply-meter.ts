// A power_supply class device, usually the battery's fuel gauge: power_now (µW) when the driver has it,
// else voltage_now (µV) × current_now (µA). Onboard tier. A battery only measures the device while it
// runs on that battery; on mains it reads the charge current instead.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MeterInfo, MeterReading } from './power-meter.js';
import { DEFAULT_INTERVAL_MS, type RawWindow } from './power-sampler.js';
import { SampledMeter, channelPaths, channelsReading, type PowerChannel } from './sampled-meter.js';
import { listDir, meterUnavailable, readTextOrNull, requireReadableNumber } from './sysfs-files.js';

export interface PowerSupplyMeterConfig {
  /** Directory name under class/power_supply, e.g. BAT0. Default: the first supply of type Battery. */
  supply?: string;
  root?: string;
  intervalMs?: number;
}

export interface PowerSupplyInfo {
  name: string;
  type: string | null;
  channel: PowerChannel | null;
}

export function listPowerSupplies(root = '/sys'): PowerSupplyInfo[] {
  const base = join(root, 'class', 'power_supply');
  return listDir(base)
    .sort()
    .map((name) => {
      const dir = join(base, name);
      const file = (leaf: string) => join(dir, leaf);
      const channel: PowerChannel | null = existsSync(file('power_now'))
        ? { files: [file('power_now')], scale: 1e-6 }
        : existsSync(file('voltage_now')) && existsSync(file('current_now'))
          ? { files: [file('voltage_now'), file('current_now')], scale: 1e-12 }
          : null;
      return { name, type: readTextOrNull(file('type')), channel };
    });
}

export function selectPowerSupply(config: PowerSupplyMeterConfig): PowerSupplyInfo & { channel: PowerChannel } {
  const all = listPowerSupplies(config.root);
  const chosen = config.supply === undefined ? all.find((supply) => supply.type === 'Battery' && supply.channel !== null) : all.find((supply) => supply.name === config.supply);
  const base = join(config.root ?? '/sys', 'class', 'power_supply');
  if (chosen === undefined) {
    throw meterUnavailable(`No ${config.supply === undefined ? 'battery' : `power supply '${config.supply}'`} under ${base}; available: ${all.map((supply) => supply.name).join(', ') || 'none'}`);
  }
  if (chosen.channel === null) throw meterUnavailable(`Power supply ${join(base, chosen.name)} has neither power_now nor voltage_now and current_now`);
  for (const file of chosen.channel.files) requireReadableNumber(file);
  return { ...chosen, channel: chosen.channel };
}

export class PowerSupplyMeter extends SampledMeter {
  private readonly supply: PowerSupplyInfo & { channel: PowerChannel };

  constructor(config: PowerSupplyMeterConfig = {}) {
    const supply = selectPowerSupply(config);
    super({ kind: 'files', paths: channelPaths([supply.channel]) }, config.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.supply = supply;
  }

  describe(): MeterInfo {
    const how = this.supply.channel.files.length === 1 ? 'power_now' : 'voltage_now × current_now';
    return { kind: 'power-supply', name: `${this.supply.name} (${how})`, class: 'onboard', uncertaintyPct: null, intervalMs: this.intervalMs };
  }

  protected toReading(window: RawWindow): MeterReading {
    return channelsReading(window, [this.supply.channel]);
  }
}
