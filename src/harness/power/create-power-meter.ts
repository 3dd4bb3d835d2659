// Builds a meter from a validated config, and finds the best meter a machine offers when none is
// configured.
import { z } from 'zod';
import { HarnessError } from '../../lib/errors.js';
import { CommandMeter, NvmlMeter } from './command-meter.js';
import { HwmonPowerMeter } from './hwmon-power-meter.js';
import { Ina3221Meter, listIna3221Rails } from './ina3221-meter.js';
import type { PowerMeter } from './power-meter.js';
import { powerMeterConfigSchema, type PowerMeterConfig, type PowerMeterConfigInput } from './power-meter-config.js';
import { PowerSupplyMeter } from './power-supply-meter.js';
import { RaplMeter } from './rapl-meter.js';
import { PtdaemonMeter } from './ptdaemon-meter.js';

export function createPowerMeter(input: PowerMeterConfigInput): PowerMeter {
  const parsed = powerMeterConfigSchema.safeParse(input);
  if (!parsed.success) throw new HarnessError('power.meter_config_invalid', `Invalid power meter config: ${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  switch (config.kind) {
    case 'rapl':
      return new RaplMeter(config);
    case 'hwmon':
      return new HwmonPowerMeter(config);
    case 'power-supply':
      return new PowerSupplyMeter(config);
    case 'ina3221':
      return new Ina3221Meter(config);
    case 'command':
      return new CommandMeter(config);
    case 'nvml':
      return new NvmlMeter(config);
    case 'ptdaemon':
      return new PtdaemonMeter(config);
  }
}

/**
 * The first usable meter in order of preference: RAPL packages, the INA3221 VDD_IN rail, an hwmon power
 * channel, the battery. "Usable" means the meter constructs: its files exist and read (a RAPL tree that
 * only root may read is skipped). Returns the config with defaults filled in, or null.
 */
export function detectPowerMeter(root = '/sys'): PowerMeterConfig | null {
  const candidates: PowerMeterConfigInput[] = [
    { kind: 'rapl', root },
    { kind: 'ina3221', root, ...(listIna3221Rails(root).some((rail) => rail.label === 'VDD_IN') ? { rails: ['VDD_IN'] } : {}) },
    { kind: 'hwmon', root },
    { kind: 'power-supply', root },
  ];
  for (const candidate of candidates) {
    try {
      // Construction checks the files; the sampler thread starts only on start(), so nothing to close.
      createPowerMeter(candidate);
      return powerMeterConfigSchema.parse(candidate);
    } catch (err) {
      if (!(err instanceof HarnessError)) throw err;
    }
  }
  return null;
}
