// Power sampler overhead: the same SingleStream run with and without a meter sampling beside it
// (worker-thread sampler reading an hwmon-format sysfs file; RAPL when this machine has a readable one),
// at the default 100 ms interval and at 10 ms. Target (issue #4): p50 ratio <= 1.01. Also reports the
// sampling rate achieved.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark, resolveSuiteSpec } from '../src/harness/index.js';
import { createPowerMeter, detectPowerMeter } from '../src/harness/power/create-power-meter.js';
import type { PowerMeterConfig } from '../src/harness/power/power-meter-config.js';
import { ocrSampleModels } from '../src/lib/sample-models.js';
import { machineLine, median, printTable } from './bench-utils.js';

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const INTERVALS_MS = [100, 10];
const model = ocrSampleModels().detection;
const spec = resolveSuiteSpec({
  warmupQueries: 100,
  minQueryCount: 1_500,
  minDurationMs: 1_500,
  dynamicDims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 64, 'p2o.DynamicDimension.2': 96 },
});

async function fakeHwmon(): Promise<PowerMeterConfig> {
  const root = await mkdtemp(join(tmpdir(), 'npubench-bench-sysfs-'));
  const dir = join(root, 'class', 'hwmon', 'hwmon0');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'name'), 'bench_rail\n');
  await writeFile(join(dir, 'power1_input'), '5000000\n');
  return { kind: 'hwmon', root, intervalMs: 100 };
}

const detected = detectPowerMeter();
const baseConfig = detected ?? (await fakeHwmon());
console.log(`power sampler overhead, ${detected ? `${detected.kind} (detected)` : 'hwmon-format fake sysfs file'}; PP-OCRv4 det 1x3x64x96; ${machineLine()}`);

async function p50(withMeter: boolean, config: PowerMeterConfig): Promise<{ p50Ns: number; rateHz: number | null }> {
  if (!withMeter) return { p50Ns: (await runBenchmark({ modelPath: model, spec, backend: { executionProvider: 'cpu' } })).summary.latency.p50Ns, rateHz: null };
  const meter = createPowerMeter(config);
  try {
    const { summary } = await runBenchmark({ modelPath: model, spec, backend: { executionProvider: 'cpu' }, power: { meter, idleMs: 0, rangingRun: false } });
    return { p50Ns: summary.latency.p50Ns, rateHz: summary.power.measured ? summary.power.sampleRateHz : null };
  } finally {
    await meter.close();
  }
}

const rows: (string | number)[][] = [['interval', 'p50 µs without', 'p50 µs with meter', 'ratio', 'target', 'met', 'sampling Hz achieved / requested']];
for (const intervalMs of INTERVALS_MS) {
  const config = { ...baseConfig, intervalMs };
  const without: number[] = [];
  const withMeter: number[] = [];
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // ABBA ordering so drift hits both sides alike.
    for (const metered of round % 2 === 0 ? [false, true] : [true, false]) {
      const r = await p50(metered, config);
      (metered ? withMeter : without).push(r.p50Ns);
      if (r.rateHz !== null) rates.push(r.rateHz);
    }
  }
  const ratio = median(withMeter) / median(without);
  rows.push([`${intervalMs} ms`, (median(without) / 1e3).toFixed(2), (median(withMeter) / 1e3).toFixed(2), ratio.toFixed(4), '<= 1.01', ratio <= 1.01 ? 'yes' : 'NO', `${median(rates).toFixed(1)} / ${1000 / intervalMs}`]);
}
printTable(rows);
