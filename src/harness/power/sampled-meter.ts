// Common body of the meters whose samples come from the sampler worker: the worker collects raw values,
// the subclass turns a window of them into watts.
import { errorMessage } from '../../lib/errors.js';
import type { MeterInfo, MeterReading, PowerMeter, PowerSample } from './power-meter.js';
import { MIN_INTERVAL_MS, PowerSampler, type RawWindow, type SamplerSource } from './power-sampler.js';
import { meterConfigInvalid } from './sysfs-files.js';

export abstract class SampledMeter implements PowerMeter {
  private readonly sampler: PowerSampler;

  protected constructor(
    source: SamplerSource,
    protected readonly intervalMs: number,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS) {
      throw meterConfigInvalid(`Power sampling interval must be an integer of at least ${MIN_INTERVAL_MS} ms, got ${intervalMs}`);
    }
    this.sampler = new PowerSampler(source, intervalMs);
  }

  abstract describe(): MeterInfo;

  /** Turns the raw window into the reading; may throw, stop() turns that into the reading's error. */
  protected abstract toReading(window: RawWindow): MeterReading;

  async start(_label: string): Promise<void> {
    await this.sampler.start();
  }

  async stop(): Promise<MeterReading> {
    const window = await this.sampler.stop();
    try {
      return this.toReading(window);
    } catch (err) {
      return { samples: [], counterEnergyJ: null, uncertaintyPct: null, error: errorMessage(err) };
    }
  }

  async close(): Promise<void> {
    await this.sampler.close();
  }
}

/** A power channel: watts = scale × |product of its files' values| (one file of µW, or mV and mA, ...). */
export interface PowerChannel {
  files: string[];
  scale: number;
}

/** The worker reads every channel's files in one batch, in this order. */
export function channelPaths(channels: PowerChannel[]): string[] {
  return channels.flatMap((channel) => channel.files);
}

/** Sum of the channels' power per tick; ticks with a failed read are dropped (the error says why). */
export function channelsReading(window: RawWindow, channels: PowerChannel[]): MeterReading {
  const samples: PowerSample[] = [];
  for (const tick of window.ticks) {
    if (tick.values.some((value) => !Number.isFinite(value))) continue;
    let offset = 0;
    let watts = 0;
    for (const channel of channels) {
      const product = tick.values.slice(offset, offset + channel.files.length).reduce((acc, value) => acc * value, 1);
      // Battery current is negative while discharging on some kernels; the magnitude is the power drawn.
      watts += Math.abs(product) * channel.scale;
      offset += channel.files.length;
    }
    samples.push({ tNs: tick.tNs, watts });
  }
  return { samples, counterEnergyJ: null, uncertaintyPct: null, error: windowError(window, samples.length) };
}

export function windowError(window: RawWindow, sampleCount: number): string | null {
  if (window.errors.length > 0) return window.errors.join('; ');
  return sampleCount === 0 ? 'the power meter gave no readings in the window' : null;
}
