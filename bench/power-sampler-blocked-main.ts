// Power sampler beside a blocked main thread: the worker-thread sampler reads an hwmon-format sysfs file
// while the main thread spins (an inference call that never yields) for 200 ms, ROUNDS times per
// interval. Target: no gap between samples longer than 3 intervals, and at least 200 / interval - 2
// samples inside each block. The unit test (test/unit/power-meters-sysfs.test.ts) only checks that
// samples are taken during the block at all, which holds at any load; this measures how evenly.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HwmonPowerMeter } from '../src/harness/power/hwmon-power-meter.js';
import { machineLine, median, printTable } from './bench-utils.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const BLOCK_MS = 200;
const INTERVALS_MS = [20, 10];
const nowNs = () => Number(process.hrtime.bigint());

const root = mkdtempSync(join(tmpdir(), 'npubench-bench-blocked-'));
const dir = join(root, 'class', 'hwmon', 'hwmon0');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'name'), 'ina226\n');
writeFileSync(join(dir, 'power1_input'), '7000000\n');
console.log(`power sampler beside a ${BLOCK_MS} ms blocked main thread; ${machineLine()}`);

const rows: (string | number)[][] = [['interval', 'max gap ms (worst round)', 'median max gap ms', 'samples in block (fewest)', 'target', 'met']];
for (const intervalMs of INTERVALS_MS) {
  const meter = new HwmonPowerMeter({ root, intervalMs });
  const maxGaps: number[] = [];
  const inside: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await meter.start(`blocked-${round}`);
      await sleep(3 * intervalMs);
      const from = nowNs();
      while (nowNs() - from < BLOCK_MS * 1e6) {
        // Spin.
      }
      const to = nowNs();
      await sleep(3 * intervalMs);
      const { samples } = await meter.stop();
      maxGaps.push(Math.max(...samples.slice(1).map((sample, i) => (sample.tNs - samples[i]!.tNs) / 1e6)));
      inside.push(samples.filter((sample) => sample.tNs > from && sample.tNs < to).length);
    }
  } finally {
    await meter.close();
  }
  const worst = Math.max(...maxGaps);
  const fewest = Math.min(...inside);
  const met = worst <= 3 * intervalMs && fewest >= BLOCK_MS / intervalMs - 2;
  rows.push([`${intervalMs} ms`, worst.toFixed(2), median(maxGaps).toFixed(2), fewest, `gap <= ${3 * intervalMs} ms, >= ${BLOCK_MS / intervalMs - 2} samples`, met ? 'yes' : 'NO']);
}
printTable(rows);
