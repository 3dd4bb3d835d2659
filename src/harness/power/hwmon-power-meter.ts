// Generic hwmon power sensors: powerN_input (µW; amdgpu gives powerN_average) or an inN_input (mV) ×
// currN_input (mA) pair, as INA2xx/INA3221 and PMBus drivers expose. Onboard tier.
import { join } from 'node:path';
import type { MeterInfo, MeterReading } from './power-meter.js';
import { DEFAULT_INTERVAL_MS, type RawWindow } from './power-sampler.js';
import { SampledMeter, channelPaths, channelsReading, type PowerChannel } from './sampled-meter.js';
import { listDir, meterUnavailable, numberedEntries, readTextOrNull, requireReadableNumber } from './sysfs-files.js';

export interface HwmonPowerMeterConfig {
  /** The hwmon `name` file's content, e.g. "ina3221", "amdgpu". Default: the first chip with a power channel. */
  chip?: string;
  /** A channel label (power1_label, in1_label) or id ("power1", "in1"). Default: the chip's first power channel. */
  channel?: string;
  root?: string;
  intervalMs?: number;
}

export interface HwmonChannel {
  chip: string;
  /** e.g. hwmon3 */
  hwmon: string;
  /** powerN or inN */
  id: string;
  label: string | null;
  channel: PowerChannel;
}

const MICRO = 1e-6;

/** Power channels first, then voltage × current pairs, each group in channel order. */
function chipChannels(dir: string, hwmon: string, chip: string): HwmonChannel[] {
  const files = new Set(listDir(dir));
  const label = (prefix: string) => readTextOrNull(join(dir, `${prefix}_label`));
  const power: HwmonChannel[] = [];
  const pairs: HwmonChannel[] = [];
  for (const file of [...files].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    const powerMatch = /^power(\d+)_(input|average)$/.exec(file);
    // Prefer the instantaneous input over the average when a driver offers both.
    if (powerMatch !== null && !(powerMatch[2] === 'average' && files.has(`power${powerMatch[1]}_input`))) {
      const id = `power${powerMatch[1]}`;
      power.push({ chip, hwmon, id, label: label(id), channel: { files: [join(dir, file)], scale: MICRO } });
    }
    const inMatch = /^in(\d+)_input$/.exec(file);
    if (inMatch !== null && files.has(`curr${inMatch[1]}_input`)) {
      const id = `in${inMatch[1]}`;
      pairs.push({ chip, hwmon, id, label: label(id) ?? label(`curr${inMatch[1]}`), channel: { files: [join(dir, file), join(dir, `curr${inMatch[1]}_input`)], scale: MICRO } });
    }
  }
  return [...power, ...pairs];
}

export function listHwmonChannels(root = '/sys'): HwmonChannel[] {
  const base = join(root, 'class', 'hwmon');
  return numberedEntries(base, /^hwmon\d+$/).flatMap((hwmon) => {
    const dir = join(base, hwmon);
    return chipChannels(dir, hwmon, readTextOrNull(join(dir, 'name')) ?? '');
  });
}

export function selectHwmonChannel(config: HwmonPowerMeterConfig): HwmonChannel {
  const all = listHwmonChannels(config.root);
  const onChip = config.chip === undefined ? all : all.filter((channel) => channel.chip === config.chip);
  const wanted = config.channel;
  const chosen =
    wanted === undefined
      ? // Without a channel, a chip's power channel beats another chip's voltage/current pair.
        (onChip.find((channel) => channel.id.startsWith('power')) ?? onChip[0])
      : onChip.find((channel) => channel.label === wanted || channel.id === wanted);
  if (chosen === undefined) {
    const available = all.map((channel) => `${channel.hwmon} ${channel.chip}/${channel.label ?? channel.id}`).join(', ') || 'none';
    throw meterUnavailable(
      `No hwmon power channel${config.chip === undefined ? '' : ` on chip '${config.chip}'`}${wanted === undefined ? '' : ` named '${wanted}'`} under ${join(config.root ?? '/sys', 'class', 'hwmon')}; available: ${available}`,
    );
  }
  for (const file of chosen.channel.files) requireReadableNumber(file);
  return chosen;
}

export class HwmonPowerMeter extends SampledMeter {
  private readonly selected: HwmonChannel;

  constructor(config: HwmonPowerMeterConfig = {}) {
    const selected = selectHwmonChannel(config);
    super({ kind: 'files', paths: channelPaths([selected.channel]) }, config.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.selected = selected;
  }

  describe(): MeterInfo {
    const { hwmon, chip, id, label } = this.selected;
    return { kind: 'hwmon', name: `${hwmon} (${chip}) ${id}${label === null ? '' : ` (${label})`}`, class: 'onboard', uncertaintyPct: null, intervalMs: this.intervalMs };
  }

  protected toReading(window: RawWindow): MeterReading {
    return channelsReading(window, [this.selected.channel]);
  }
}
