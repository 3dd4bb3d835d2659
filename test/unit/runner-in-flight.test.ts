// Runners with several requests in flight (issue #16): full benchmarks in every scenario through the
// reference runner with --max-in-flight 4 behind a proxy that answers out of request order, a runner that
// hangs mid-run, and device times above host time in the scenarios where queries overlap.
// The fixture is test/fixtures/runners/in-flight-runner.mjs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RunnerFailure, createRunnerBackend, createSyntheticInputs, referenceRunnerCommand, resolveSuiteSpec, runBenchmark, type RunnerBackendConfig, type SuiteSpecInput } from '../../src/harness/index.js';
import { summarizeCompliance, type ComplianceRaw } from '../../src/harness/compliance/compliance-format.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { NPUBENCH_BIN } from '../helpers/processes.js';

const MLP = fixtureModel('mlp-classifier.onnx');
const IN_FLIGHT_RUNNER = fileURLToPath(new URL('../fixtures/runners/in-flight-runner.mjs', import.meta.url));
const reference = referenceRunnerCommand();

/** p90 everywhere, so 100 queries give an early-stopping estimate; bounds generous for a loaded host. */
const SPECS: Record<string, SuiteSpecInput> = {
  'single-stream': { scenario: 'single-stream', targetPercentile: 90, minQueryCount: 100, minDurationMs: 0, warmupQueries: 4 },
  'multi-stream': { scenario: 'multi-stream', targetPercentile: 90, samplesPerQuery: 4, minQueryCount: 100, minDurationMs: 0, warmupQueries: 4 },
  server: { scenario: 'server', targetPercentile: 90, targetQps: 100, targetLatencyMs: 2000, minQueryCount: 200, minDurationMs: 0, warmupQueries: 4 },
  offline: { scenario: 'offline', targetPercentile: 90, offlineSampleCount: 400, maxOutstandingQueries: 16, minDurationMs: 0, warmupQueries: 4 },
};

interface ProxyStats {
  peakInFlight: number;
  outOfOrder: number;
  childPid: number;
}

async function proxied(mode: string, extra: Partial<RunnerBackendConfig> = {}): Promise<{ config: RunnerBackendConfig; stats: () => ProxyStats }> {
  const statsFile = join(await createTempDir('npubench-in-flight'), 'stats.json');
  return {
    config: {
      command: process.execPath,
      args: [IN_FLIGHT_RUNNER, mode, reference.command, ...reference.args, '--max-in-flight', '4'],
      env: { STATS_FILE: statsFile },
      loadOptions: { intraOpNumThreads: 1 },
      requestTimeoutMs: 60_000,
      ...extra,
    },
    stats: () => JSON.parse(readFileSync(statsFile, 'utf8')) as ProxyStats,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a runner with maxInFlight 4', () => {
  it.each(Object.keys(SPECS))('%s is VALID with every answer matched to its request by id', async (scenario) => {
    const { config, stats } = await proxied('reorder');
    const { summary, rawSamples } = await runBenchmark({ modelPath: MLP, spec: resolveSuiteSpec(SPECS[scenario]), backend: createRunnerBackend(config), compliance: { referenceModelPath: MLP } });
    const checks = JSON.stringify(summary.compliance?.checks);
    expect(summary.compliance?.invalidReasons, checks).toEqual([]);
    expect(summary.compliance?.checks.map((check) => check.outcome), checks).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(summary.result, JSON.stringify({ ...summary, spec: undefined })).toBe('VALID');
    // Each answer's digests were compared with its own sample's accuracy-pass digests: a mix-up of ids
    // (or an answer paired by arrival order) would show as mismatches.
    const queryOutputs = rawSamples.compliance?.queryOutputs;
    expect(queryOutputs?.comparedAnswers).toBeGreaterThan(summary.queryCount);
    expect(queryOutputs?.mismatches).toBe(0);
    // Server and Offline keep every query's device times beside it, though answers came out of order.
    const timing = rawSamples.compliance?.timing;
    expect(timing?.hostNs.length).toBe(rawSamples.runs[0]?.queries.length);
    if (scenario === 'offline') {
      // 16 workers against 4 queues: the host had 4 requests out, and the proxy answered out of order.
      expect(stats().peakInFlight).toBe(4);
      expect(stats().outOfOrder).toBeGreaterThan(0);
      expect(timing?.concurrent).toBe(true);
    }
  }, 240_000);
});

describe('device times with requests in flight', () => {
  it('stay in the order the requests were issued, whatever order the answers come in', async () => {
    const { config, stats } = await proxied('tagged-times');
    const backend = createRunnerBackend(config);
    try {
      const { inputs } = await backend.load(MLP);
      const library = backend.sampleLibrary()!;
      const samples = Array.from({ length: 12 }, (_, k) => createSyntheticInputs(inputs, { seed: k, dynamicDims: { batch: 1 } }));
      await library.loadSamples(samples);
      // Issued in this order, 4 at a time; the proxy tags each device time with its sample's index + 1.
      const order = [5, 0, 11, 3, 8, 1, 9, 2, 7, 10, 4, 6];
      await Promise.all(order.map((index) => library.runSamples([index])));
      expect(stats().outOfOrder).toBeGreaterThan(0);
      expect(backend.takeDeviceTimings()).toEqual({ source: 'runner', ns: order.map((index) => index + 1) });
    } finally {
      await backend.close();
    }
  }, 60_000);
});

describe('npubench runner', () => {
  it('takes --max-in-flight and --protocol like the reference runner main, and runs a VALID Offline benchmark at 4 in flight', async () => {
    const cli = (...args: string[]): RunnerBackendConfig => ({ command: process.execPath, args: [NPUBENCH_BIN, 'runner', ...args], loadOptions: { intraOpNumThreads: 1 }, requestTimeoutMs: 60_000 });
    const backend = createRunnerBackend(cli('--max-in-flight', '4'));
    const { summary } = await runBenchmark({ modelPath: MLP, spec: resolveSuiteSpec(SPECS.offline), backend, compliance: { referenceModelPath: MLP } });
    expect(summary.compliance?.invalidReasons, JSON.stringify(summary.compliance?.checks)).toEqual([]);
    expect(summary.result).toBe('VALID');
    const v1 = createRunnerBackend(cli('--protocol', '1'));
    try {
      await v1.load(MLP);
      expect(v1.protocolVersion).toBe(1);
    } finally {
      await v1.close();
    }
    const v2 = createRunnerBackend(cli('--protocol', '2', '--max-in-flight', '3'));
    try {
      await v2.load(MLP);
      expect(v2.sampleLibrary()?.maxInFlight).toBe(3);
    } finally {
      await v2.close();
    }
    // A bad value is refused by the runner at start, with the reason on stderr.
    const bad = createRunnerBackend(cli('--max-in-flight', '0'));
    await expect(bad.load(MLP)).rejects.toMatchObject({ code: 'runner.crashed', message: expect.stringMatching(/maxInFlight/) });
    await bad.close();
  }, 120_000);
});

describe('a runner that stops answering mid-run', () => {
  it.each(['single-stream', 'offline'])('%s ends with runner.timeout, the runner killed, no report', async (scenario) => {
    const { config, stats } = await proxied('hang-timed', { requestTimeoutMs: 3_000 });
    const run = runBenchmark({ modelPath: MLP, spec: resolveSuiteSpec(SPECS[scenario]), backend: createRunnerBackend(config) });
    const error: unknown = await run.then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(RunnerFailure);
    expect((error as RunnerFailure).code).toBe('runner.timeout');
    expect((error as RunnerFailure).message).toMatch(/did not answer 'run' within 3000 ms/);
    // The whole process group went: the proxy and the reference runner behind it.
    await expect.poll(() => isAlive(stats().childPid), { timeout: 10_000 }).toBe(false);
  }, 120_000);
});

describe('timing plausibility where queries overlap', () => {
  it.each(['server', 'offline'])('%s: device times above host time make the run INVALID', async (scenario) => {
    const { config } = await proxied('device-time-high');
    const { summary } = await runBenchmark({ modelPath: MLP, spec: resolveSuiteSpec(SPECS[scenario]), backend: createRunnerBackend(config) });
    expect(summary.compliance?.invalidReasons, JSON.stringify(summary.compliance?.checks)).toEqual(['compliance.device_time_implausible']);
    expect(summary.result).toBe('INVALID');
  }, 240_000);

  it('overlapping queries are judged on the upper bound only; serial ones also on uncovered host time', () => {
    // Hand-made figures: 100 queries of 10 ms host time, each with 1 ms of device time (a device that
    // waited 9 ms for a free queue, plausible only when queries overlap).
    const raw = (concurrent: boolean): ComplianceRaw => ({
      protocolVersion: 2,
      outputsVerified: true,
      deterministicOutputs: true,
      accuracyPass: null,
      queryOutputs: null,
      caching: null,
      timing: { hostNs: Array(100).fill(10e6), deviceNs: Array(100).fill(1e6), ...(concurrent && { concurrent: true as const }) },
      costNs: 0,
    });
    const timing = (concurrent: boolean) => summarizeCompliance(raw(concurrent), 1e9).checks.find((check) => check.check === 'timing');
    expect(timing(true)?.outcome).toBe('passed');
    expect(timing(false)).toMatchObject({ outcome: 'failed', reasons: ['compliance.device_time_implausible'] });
    const above = raw(true);
    above.timing!.deviceNs[57] = 10.2e6; // 2% above its host time: beyond a foreign clock's 1%
    expect(summarizeCompliance(above, 1e9).checks.find((check) => check.check === 'timing')).toMatchObject({ outcome: 'failed', reasons: ['compliance.device_time_implausible'] });
  });
});
