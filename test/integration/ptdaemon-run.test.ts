// A benchmark measured with a lab meter through the SPEC PTDaemon protocol (simulated on loopback):
// MLPerf's ranging pass then the testing run, the 1% uncertainty rule, and a meter that disconnects
// mid-run, which invalidates the power result but keeps the latency results.
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSuiteSpec, runBenchmark, verifySummaryAgainstRawSamples } from '../../src/harness/index.js';
import { createPowerMeter } from '../../src/harness/power/create-power-meter.js';
import { PtdaemonSimulator } from '../helpers/ptdaemon-simulator.js';
import { fixtureModel } from '../helpers/fixtures.js';

let simulator: PtdaemonSimulator | undefined;
afterEach(async () => simulator?.close());

async function measuredRun(options: Parameters<typeof PtdaemonSimulator.start>[0], during?: () => void) {
  simulator = await PtdaemonSimulator.start(options);
  const meter = createPowerMeter({ kind: 'ptdaemon', host: '127.0.0.1', port: simulator.port, intervalMs: 20, rangeSettleMs: 0, timeoutMs: 2_000 });
  const spec = resolveSuiteSpec({ preset: 'smoke', minDurationMs: 400 });
  const timer = during && setTimeout(during, 150);
  try {
    return await runBenchmark({ modelPath: fixtureModel('mlp-classifier.onnx'), spec, backend: { executionProvider: 'cpu' }, power: { meter, idleMs: 0, rangingRun: true } });
  } finally {
    clearTimeout(timer);
    await meter.close();
  }
}

describe('PTDaemon-measured runs', () => {
  it('ranges, then tests, and reports lab-class energy', async () => {
    const { summary, rawSamples } = await measuredRun({ power: () => 42, uncertaintyPct: 0.4 });
    expect(verifySummaryAgainstRawSamples(summary, rawSamples)).toEqual([]);
    const power = summary.power;
    expect(power.measured && power.result).toBe('VALID');
    if (!power.measured) return;
    expect(power.meter).toMatchObject({ kind: 'ptdaemon', class: 'lab' });
    expect(power.ranging?.avgW).toBeCloseTo(42, 6);
    expect(power.avgW).toBeCloseTo(42, 6);
    expect(power.uncertaintyPct).toBeCloseTo(0.4, 6);
  });

  it('is INVALID when the meter states more than 1% uncertainty', async () => {
    const { summary } = await measuredRun({ power: () => 42, uncertaintyPct: 2.5 });
    expect(summary.power.measured && summary.power.invalidReasons.join()).toContain('uncertainty 2.5%');
  });

  it('keeps the latency results when the meter disconnects mid-run, and says why power is INVALID', async () => {
    const { summary, rawSamples } = await measuredRun({ power: () => 42, uncertaintyPct: 0.4 }, () => simulator?.dropConnections());
    expect(verifySummaryAgainstRawSamples(summary, rawSamples)).toEqual([]);
    // The latency run went on to its minimums: every query is in the raw samples.
    expect(summary.queryCount).toBe(rawSamples.runs.reduce((sum, run) => sum + run.queries.length, 0));
    expect(summary).toMatchObject({ minQueriesSatisfied: true, minDurationSatisfied: true });
    expect(summary.power.measured && summary.power.result).toBe('INVALID');
    expect(summary.power.measured && summary.power.invalidReasons.join()).toMatch(/disconnected|failed/);
  });
});
