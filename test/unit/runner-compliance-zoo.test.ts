// The dishonest-runner zoo (issue #16): each cheat runs through the real harness behind the real
// reference runner and must end INVALID with its own compliance reason; honest runners must stay VALID.
// The cheats sit in test/fixtures/runners/dishonest-runner.mjs, in front of a fake 4 ms device.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRunnerBackend, referenceRunnerCommand, resolveSuiteSpec, runBenchmark, type ComplianceReason, type RunnerBackendConfig } from '../../src/harness/index.js';
import { fixtureModel } from '../helpers/fixtures.js';

const MLP = fixtureModel('mlp-classifier.onnx');
const DISHONEST_RUNNER = fileURLToPath(new URL('../fixtures/runners/dishonest-runner.mjs', import.meta.url));
const PYTHON_RUNNER = fileURLToPath(new URL('../../docs/examples/python-runner/runner.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;
const SPEC = resolveSuiteSpec({ minQueryCount: 100, minDurationMs: 0, warmupQueries: 2 });

const reference = referenceRunnerCommand();
const referenceArgs = [...reference.args];

function behind(mode: string): RunnerBackendConfig {
  return { command: process.execPath, args: [DISHONEST_RUNNER, mode, reference.command, ...referenceArgs], loadOptions: { intraOpNumThreads: 1 }, requestTimeoutMs: 60_000 };
}

async function verdict(config: RunnerBackendConfig, model = MLP) {
  const { summary } = await runBenchmark({ modelPath: model, spec: SPEC, backend: createRunnerBackend(config), compliance: { referenceModelPath: MLP } });
  return summary;
}

const ZOO: [string, ComplianceReason][] = [
  ['skip-timed', 'compliance.output_mismatch'],
  ['cache-by-input', 'compliance.caching_detected'],
  ['other-sample', 'compliance.output_mismatch'],
  ['device-time-low', 'compliance.device_time_implausible'],
  ['detect-benchmark', 'compliance.reference_mismatch'],
  ['drop-queries', 'compliance.dropped_queries'],
  ['lower-precision-timed', 'compliance.output_mismatch'],
];

describe('dishonest-runner zoo', () => {
  it.each(ZOO)('%s ends INVALID with %s and nothing else', async (mode, reason) => {
    const summary = await verdict(behind(mode));
    expect(summary.result).toBe('INVALID');
    expect(summary.compliance?.invalidReasons, JSON.stringify(summary.compliance?.checks)).toEqual([reason]);
    // The run itself met every latency rule: only the compliance check made it INVALID.
    expect(summary.minQueriesSatisfied && summary.earlyStoppingSatisfied).toBe(true);
  }, 180_000);

  it('the same proxy without a cheat is VALID with every check passed', async () => {
    const summary = await verdict(behind('honest'));
    expect(summary.compliance?.invalidReasons, JSON.stringify(summary.compliance?.checks)).toEqual([]);
    expect(summary.compliance?.checks.map((check) => check.outcome)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(summary.result).toBe('VALID');
  }, 180_000);

  it('the reference runner on v2 is VALID with its outputs verified', async () => {
    const summary = await verdict({ ...reference, loadOptions: { intraOpNumThreads: 1 }, requestTimeoutMs: 60_000 });
    expect(summary.compliance?.invalidReasons, JSON.stringify(summary.compliance?.checks)).toEqual([]);
    expect(summary.compliance).toMatchObject({ protocolVersion: 2, outputsVerified: true });
    expect(summary.sampleSet?.performanceSampleCount).toBe(64);
    expect(summary.result).toBe('VALID');
  }, 180_000);

  it('a v1 runner stays VALID and its report says its outputs are not verified', async () => {
    const summary = await verdict({ command: reference.command, args: [...referenceArgs, '--protocol', '1'], loadOptions: { intraOpNumThreads: 1 }, requestTimeoutMs: 60_000 });
    expect(summary.compliance).toMatchObject({ protocolVersion: 1, outputsVerified: false, invalidReasons: [] });
    expect(summary.compliance?.checks.find((check) => check.check === 'query-outputs')).toMatchObject({ outcome: 'not-run', detail: 'protocol v1: outputs not verified' });
    expect(summary.result).toBe('VALID');
  }, 180_000);

  it.skipIf(!hasPython)("the Python example runner on v2 is VALID with its outputs verified", async () => {
    const summary = await runBenchmark({
      modelPath: fileURLToPath(new URL('../../docs/examples/python-runner/toy-model.json', import.meta.url)),
      spec: SPEC,
      backend: createRunnerBackend({ command: 'python3', args: [PYTHON_RUNNER], requestTimeoutMs: 60_000 }),
    });
    expect(summary.summary.compliance?.invalidReasons, JSON.stringify(summary.summary.compliance?.checks)).toEqual([]);
    expect(summary.summary.compliance).toMatchObject({ protocolVersion: 2, outputsVerified: true });
    expect(summary.summary.result).toBe('VALID');
  }, 180_000);
});
