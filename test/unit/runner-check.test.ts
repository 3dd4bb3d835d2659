// The conformance kit (issue #16 item 5): `npubench runner-check` of each dishonest-runner zoo member must
// say NOT CONFORMANT with that cheat's own reason, and the reference runner, the Python example and the
// C example (compiled here with cc) must say CONFORMANT. The runners are real processes behind the real
// harness; the reference outputs come from onnxruntime in-process, independent of every runner.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerCheck, runnerCheckReportSchema, type RunnerCheckReport } from '../../src/cli/commands/runner-check.js';
import { createRunnerBackend, referenceRunnerCommand, resolveSuiteSpec, runBenchmark, type ComplianceReason } from '../../src/harness/index.js';
import { fixtureModel } from '../helpers/fixtures.js';

const MLP = fixtureModel('mlp-classifier.onnx');
const TINY_LINEAR = fixtureModel('tiny-linear.onnx');
const fixture = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const DISHONEST_RUNNER = fixture('../fixtures/runners/dishonest-runner.mjs');
const MISBEHAVING_RUNNER = fixture('../fixtures/runners/misbehaving-runner.mjs');
const PYTHON_RUNNER = fixture('../../docs/examples/python-runner/runner.py');
const PYTHON_TOY_MODEL = fixture('../../docs/examples/python-runner/toy-model.json');
const C_RUNNER_DIR = fixture('../../docs/examples/c-runner/');
const CLI = fixture('../../src/cli/main.ts');
const hasPython = spawnSync('python3', ['--version']).status === 0;

const reference = referenceRunnerCommand();
const referenceLine = [reference.command, ...reference.args].join(' ');
const ONE_THREAD = JSON.stringify({ intraOpNumThreads: 1 });

const check = (model: string, runner: string, extra: { loadOptions?: string; reference?: string } = {}) => runnerCheck(model, { runner, ...extra });
const outcomes = (report: RunnerCheckReport) => Object.fromEntries(report.checks.map((c) => [c.check, c.outcome]));

const ZOO: [string, ComplianceReason, string][] = [
  ['skip-timed', 'compliance.output_mismatch', 'query-outputs'],
  ['cache-by-input', 'compliance.caching_detected', 'caching'],
  ['other-sample', 'compliance.output_mismatch', 'query-outputs'],
  ['device-time-low', 'compliance.device_time_implausible', 'timing'],
  ['detect-benchmark', 'compliance.reference_mismatch', 'accuracy-pass'],
  ['drop-queries', 'compliance.dropped_queries', 'query-outputs'],
  ['lower-precision-timed', 'compliance.output_mismatch', 'query-outputs'],
];

describe('runner-check of the dishonest-runner zoo', () => {
  it.each(ZOO)('%s: NOT CONFORMANT with %s from the %s check, and nothing else', async (mode, reason, failedCheck) => {
    const report = await check(MLP, `${process.execPath} ${DISHONEST_RUNNER} ${mode} ${referenceLine}`, { loadOptions: ONE_THREAD });
    expect(report.verdict).toBe('NOT CONFORMANT');
    expect(report.reasons, JSON.stringify(report.checks)).toEqual([reason]);
    expect(report.checks.find((c) => c.check === failedCheck)).toMatchObject({ outcome: 'failed', reasons: [reason] });
    expect(report.protocolFailure).toBeNull();
  }, 180_000);
});

describe('runner-check of honest runners', () => {
  it('the reference runner is CONFORMANT: v2, every check passed, capabilities and overhead reported', async () => {
    const report = await check(MLP, referenceLine, { loadOptions: ONE_THREAD });
    expect(report.reasons, JSON.stringify(report.checks)).toEqual([]);
    expect(report.verdict).toBe('CONFORMANT');
    expect(report).toMatchObject({ protocolVersion: 2, capabilities: { maxInFlight: 1, deterministicOutputs: true, deviceTiming: 'runner' }, reference: MLP });
    expect(outcomes(report)).toEqual({ 'accuracy-pass': 'passed', 'query-outputs': 'passed', caching: 'passed', timing: 'passed' });
    // The accuracy pass compared with the in-process reference, not only with itself.
    expect(report.checks.find((c) => c.check === 'accuracy-pass')?.detail).toMatch(/largest error against the reference/);
    const overhead = report.overhead!;
    expect(overhead.inProcessP50Ns).toBeGreaterThan(0);
    expect(overhead.overheadNs).toBe(overhead.runnerP50Ns - overhead.inProcessP50Ns!);
    expect(overhead.runnerP50Ns).toBe(report.run?.p50Ns);
  }, 180_000);

  it('the same proxy without a cheat is CONFORMANT', async () => {
    const report = await check(MLP, `${process.execPath} ${DISHONEST_RUNNER} honest ${referenceLine}`, { loadOptions: ONE_THREAD });
    expect(report.reasons, JSON.stringify(report.checks)).toEqual([]);
    expect(report.verdict).toBe('CONFORMANT');
  }, 180_000);

  it.skipIf(!hasPython)('the Python example is CONFORMANT; without an ONNX model the overhead says why it was not measured', async () => {
    const report = await check(PYTHON_TOY_MODEL, `python3 ${PYTHON_RUNNER}`);
    expect(report.reasons, JSON.stringify(report.checks)).toEqual([]);
    expect(report.verdict).toBe('CONFORMANT');
    expect(report).toMatchObject({ reference: null, runner: { name: 'python-toy-runner' }, capabilities: { maxInFlight: 1, deterministicOutputs: true } });
    expect(report.overhead).toMatchObject({ inProcessP50Ns: null, overheadNs: null, notMeasured: expect.stringMatching(/--reference/) });
  }, 180_000);

  it('a v1 runner is NOT CONFORMANT: its outputs cannot be verified', async () => {
    const report = await check(MLP, `${referenceLine} --protocol 1`, { loadOptions: ONE_THREAD });
    expect(report).toMatchObject({ verdict: 'NOT CONFORMANT', reasons: ['runner-check.outputs_not_verified'], protocolVersion: 1 });
  }, 180_000);

  it('a runner that breaks the protocol is NOT CONFORMANT with the host code, not an error', async () => {
    const report = await check(TINY_LINEAR, `${process.execPath} ${MISBEHAVING_RUNNER} bad-json`);
    expect(report).toMatchObject({ verdict: 'NOT CONFORMANT', reasons: ['runner.protocol_error'], runner: null, checks: [], protocolFailure: { code: 'runner.protocol_error' } });
  }, 180_000);
});

describe('the C runner example (docs/examples/c-runner), compiled with cc', () => {
  let dir: string;
  let runner: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'npubench-c-runner-'));
    runner = join(dir, 'runner');
    // -Werror -pedantic: the example claims ISO C99 (plus clock_gettime) and must stay warning-free.
    execFileSync('cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-pedantic', '-Werror', '-o', runner, 'runner.c', 'fake-device.c'], { cwd: C_RUNNER_DIR, stdio: 'pipe' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a benchmark through it is VALID with every compliance check passed against onnxruntime', async () => {
    const { summary } = await runBenchmark({
      modelPath: TINY_LINEAR,
      spec: resolveSuiteSpec({ minQueryCount: 100, minDurationMs: 0, warmupQueries: 2 }),
      backend: createRunnerBackend({ command: runner, args: [], requestTimeoutMs: 60_000 }),
      compliance: { referenceModelPath: TINY_LINEAR },
    });
    expect(summary.compliance?.invalidReasons, JSON.stringify(summary.compliance?.checks)).toEqual([]);
    expect(summary.compliance?.checks.map((c) => c.outcome)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(summary.compliance).toMatchObject({ protocolVersion: 2, outputsVerified: true });
    expect(summary.backend).toMatchObject({ runtime: 'c-example-runner', device: { name: 'Fake NPU' } });
    expect(summary.result).toBe('VALID');
  }, 180_000);

  it('`npubench runner-check --json` on it exits 0 with a CONFORMANT report of the declared shape', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'runner-check', '--runner', runner, '--json', TINY_LINEAR], { encoding: 'utf8', timeout: 170_000 });
    expect(run.status, run.stderr).toBe(0);
    const report = runnerCheckReportSchema.parse(JSON.parse(run.stdout));
    expect(report).toMatchObject({ verdict: 'CONFORMANT', reasons: [], protocolVersion: 2, runner: { name: 'c-example-runner' }, capabilities: { maxInFlight: 1, deterministicOutputs: true, deviceTiming: 'runner' } });
    expect(outcomes(report)).toEqual({ 'accuracy-pass': 'passed', 'query-outputs': 'passed', caching: 'passed', timing: 'passed' });
    expect(report.overhead?.inProcessP50Ns).toBeGreaterThan(0);
  }, 180_000);

  it('a cheat in front of it is caught too: exit 1, NOT CONFORMANT in the text report', () => {
    // The zoo's proxy works in front of any v2 runner; skip-timed answers timed queries with made-up digests.
    const run = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'runner-check', '--runner', `${process.execPath} ${DISHONEST_RUNNER} skip-timed ${runner}`, TINY_LINEAR], { encoding: 'utf8', timeout: 170_000 });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/verdict\s+NOT CONFORMANT: compliance\.output_mismatch/);
  }, 180_000);

  it('usage errors exit 2 before any runner starts', () => {
    const noRunner = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'runner-check', TINY_LINEAR], { encoding: 'utf8', timeout: 120_000 });
    expect(noRunner.status).toBe(2);
    expect(noRunner.stderr).toMatch(/--runner <command> is required/);
    const unknownOption = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'runner-check', '--runner', runner, '--nope', TINY_LINEAR], { encoding: 'utf8', timeout: 120_000 });
    expect(unknownOption.status).toBe(2);
  }, 240_000);
});
