// Intel/AMD RAPL through the powercap framework: cumulative energy counters per domain. MLPerf Client's
// "informative" tier: a model inside the CPU, not a calibrated meter.
import { join } from 'node:path';
import type { MeterInfo, MeterReading, PowerSample } from './power-meter.js';
import { DEFAULT_INTERVAL_MS, type RawWindow } from './power-sampler.js';
import { SampledMeter, windowError } from './sampled-meter.js';
import { meterConfigInvalid, meterUnavailable, numberedEntries, readTextOrNull, requireReadableNumber } from './sysfs-files.js';

export interface RaplMeterConfig {
  /** Domain names (`package-0`, `dram`, `psys`, ...); every zone with a listed name is summed. Default: every top-level package. */
  domains?: string[];
  root?: string;
  intervalMs?: number;
}

export interface RaplZone {
  /** Directory name, e.g. intel-rapl:0 or intel-rapl:0:1. */
  id: string;
  name: string;
  energyFile: string;
  maxEnergyRangeUj: number;
}

const ZONE_PATTERN = /^intel-rapl:(\d+)(?::(\d+))?$/;
// Parts of the package's own energy: summing them with their package would count them twice. DRAM is
// outside the package domain, so package + dram is a valid sum.
const INSIDE_PACKAGE = new Set(['core', 'uncore']);
const ROOT_ONLY_HINT = ' (energy_uj is readable only by root on kernels patched for CVE-2020-8694; run the agent as root or grant read access)';

/** Every RAPL zone under root, top-level zones and their subzones, without reading energy. */
export function listRaplZones(root = '/sys'): { id: string; name: string; dir: string; topLevel: boolean }[] {
  const base = join(root, 'class', 'powercap');
  return numberedEntries(base, ZONE_PATTERN).map((id) => {
    const dir = join(base, id);
    return { id, name: readTextOrNull(join(dir, 'name')) ?? id, dir, topLevel: ZONE_PATTERN.exec(id)?.[2] === undefined };
  });
}

export function selectRaplZones(config: RaplMeterConfig): RaplZone[] {
  const all = listRaplZones(config.root);
  if (all.length === 0) throw meterUnavailable(`No RAPL zones under ${join(config.root ?? '/sys', 'class', 'powercap')}`);
  const wanted = config.domains;
  const chosen = wanted === undefined ? all.filter((zone) => zone.topLevel && zone.name.startsWith('package-')) : all.filter((zone) => wanted.includes(zone.name));
  const available = all.map((zone) => `${zone.id} (${zone.name})`).join(', ');
  for (const name of wanted ?? []) {
    if (!all.some((zone) => zone.name === name)) throw meterUnavailable(`No RAPL domain named '${name}'; available: ${available}`);
  }
  if (chosen.length === 0) throw meterUnavailable(`No RAPL package domain; available: ${available}`);
  for (const zone of chosen) {
    const parentId = zone.id.split(':').slice(0, 2).join(':');
    if (!zone.topLevel && INSIDE_PACKAGE.has(zone.name) && chosen.some((other) => other.id === parentId)) {
      throw meterConfigInvalid(`RAPL domain ${zone.id} (${zone.name}) is part of ${parentId}; selecting both counts its energy twice`);
    }
  }
  return chosen.map((zone) => {
    const energyFile = join(zone.dir, 'energy_uj');
    requireReadableNumber(energyFile, ROOT_ONLY_HINT);
    return { id: zone.id, name: zone.name, energyFile, maxEnergyRangeUj: requireReadableNumber(join(zone.dir, 'max_energy_range_uj')) };
  });
}

export class RaplMeter extends SampledMeter {
  private readonly zones: RaplZone[];

  constructor(config: RaplMeterConfig = {}) {
    const zones = selectRaplZones(config);
    super({ kind: 'files', paths: zones.map((zone) => zone.energyFile) }, config.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.zones = zones;
  }

  describe(): MeterInfo {
    return {
      kind: 'rapl',
      name: this.zones.map((zone) => `${zone.id} (${zone.name})`).join(' + '),
      class: 'informative',
      uncertaintyPct: null,
      intervalMs: this.intervalMs,
    };
  }

  /**
   * Each sample is the average power over the interval that ends at its tNs (like a PTDaemon log line),
   * so the window's first read yields no sample. counterEnergyJ sums the counter deltas from the first
   * read to the last: exact, whatever the sampling.
   */
  protected toReading(window: RawWindow): MeterReading {
    const ticks = window.ticks.filter((tick) => tick.values.every(Number.isFinite));
    const samples: PowerSample[] = [];
    let energyUj = 0;
    for (let i = 1; i < ticks.length; i++) {
      const previous = ticks[i - 1]!;
      const current = ticks[i]!;
      let deltaUj = 0;
      this.zones.forEach((zone, z) => {
        const before = previous.values[z]!;
        const after = current.values[z]!;
        // A lower reading means the counter passed max_energy_range_uj once; the interval is far too
        // short for two wraps (the range is hours of package power).
        deltaUj += after >= before ? after - before : after + zone.maxEnergyRangeUj - before;
      });
      energyUj += deltaUj;
      const seconds = (current.tNs - previous.tNs) / 1e9;
      if (seconds > 0) samples.push({ tNs: current.tNs, watts: deltaUj / 1e6 / seconds });
    }
    return {
      samples,
      counterEnergyJ: ticks.length >= 2 ? energyUj / 1e6 : null,
      uncertaintyPct: null,
      error: ticks.length >= 2 ? windowError(window, samples.length) : (windowError(window, 0) ?? 'fewer than two RAPL readings in the window'),
    };
  }
}
