// The runner backend against real runner processes: the reference runner (onnxruntime-node behind the
// protocol) must give the same outputs as onnxruntime in-process, and each way a runner can misbehave
// must end in its own error code with no process left behind.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { toOnnxRuntimeFeeds } from '../../src/harness/backends/onnxruntime.js';
import {
  REFERENCE_RUNNER_NAME,
  RunnerFailure,
  backendDescriptionSchema,
  createRunnerBackend,
  createSyntheticInputs,
  referenceRunnerCommand,
  type HostTensor,
  type RunnerBackendConfig,
  type RunnerFailureCode,
} from '../../src/harness/index.js';
import { fixtureModel } from '../helpers/fixtures.js';

const MLP = fixtureModel('mlp-classifier.onnx');
const MISBEHAVING_RUNNER = fileURLToPath(new URL('../fixtures/runners/misbehaving-runner.mjs', import.meta.url));
const PYTHON_RUNNER_DIR = fileURLToPath(new URL('../../docs/examples/python-runner/', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The reference runner; `runnerArgs` such as ['--protocol', '1'] go to the runner. */
function referenceBackend(overrides: Partial<RunnerBackendConfig> = {}, runnerArgs: string[] = []) {
  const { command, args } = referenceRunnerCommand();
  return createRunnerBackend({ command, args: [...args, ...runnerArgs], loadOptions: { intraOpNumThreads: 1 }, requestTimeoutMs: 30_000, ...overrides });
}

const sha256 = (data: ArrayBufferView) => createHash('sha256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest('hex');

async function inProcessOutputs(inputs: HostTensor[]) {
  const session = await InferenceSession.create(MLP, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    return await session.run(toOnnxRuntimeFeeds(inputs));
  } finally {
    await session.release();
  }
}

async function expectRunnerFailure(promise: Promise<unknown>, code: RunnerFailureCode): Promise<RunnerFailure> {
  const error: unknown = await promise.then(
    () => new Error(`expected ${code}, but the call succeeded`),
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(RunnerFailure);
  expect((error as RunnerFailure).code, (error as Error).message).toBe(code);
  return error as RunnerFailure;
}

describe('reference runner through the runner backend', () => {
  it('protocol v2: loads a sample library once, runs samples by index and answers each with the sha256 of its outputs', async () => {
    const signature = [{ name: 'input', elementType: 'float32', shape: ['batch', 64] }];
    const samples = [1, 2, 3].map((seed) => createSyntheticInputs(signature, { seed, dynamicDims: { batch: 2 } }));
    const backend = referenceBackend();
    try {
      await backend.load(MLP);
      expect(backend.describe().sessionOptions).toEqual({ runnerProtocolVersion: 2, deviceTiming: 'runner' });
      const library = backend.sampleLibrary();
      expect(library).toMatchObject({ protocolVersion: 2, deterministicOutputs: true, maxInFlight: 1 });
      await library!.loadSamples(samples);
      const answers = await library!.runSamplesWithOutputs([2, 0]);
      for (const [i, index] of [2, 0].entries()) {
        const expected = (await inProcessOutputs(samples[index]!)).probabilities!;
        expect(answers[i]?.sampleIndex).toBe(index);
        expect(answers[i]?.outputs?.[0]?.data).toEqual(expected.data);
        // Independent digest: sha256 of onnxruntime's own output bytes.
        expect(answers[i]?.digests).toEqual([sha256(expected.data as Float32Array)]);
      }
      await library!.runSamples([1, 1, 2]);
      const timed = library!.takeAnswers();
      expect(timed.map((answer) => answer.sampleIndex)).toEqual([1, 1, 2]);
      expect(timed.every((answer) => answer.outputs === undefined)).toBe(true);
      expect(timed[2]?.digests).toEqual(answers[0]?.digests);
      expect(backend.takeDeviceTimings()?.ns).toHaveLength(2 + 3);
    } finally {
      await backend.close();
    }
    expect(isAlive(backend.pid!)).toBe(false);
  });

  it('protocol v2: with maxInFlight > 1 several runs are in flight and answers are matched by id', async () => {
    // The fixture holds its first run until a second arrives and answers them in reverse order:
    // a host with one request in flight would wait for the timeout.
    const backend = createRunnerBackend({ command: process.execPath, args: [MISBEHAVING_RUNNER, 'two-in-flight'], requestTimeoutMs: 20_000 });
    try {
      await backend.load(MLP);
      const library = backend.sampleLibrary()!;
      expect(library.maxInFlight).toBe(2);
      await library.loadSamples([[{ name: 'x', elementType: 'float32', dims: [1, 4], data: new Float32Array(4) }], [{ name: 'x', elementType: 'float32', dims: [1, 4], data: new Float32Array(4).fill(1) }]]);
      await Promise.all([library.runSamples([0]), library.runSamples([1])]);
      const answers = library.takeAnswers();
      // Completion order: the second request was answered first, each with its own sample's digest.
      expect(answers.map((answer) => answer.sampleIndex)).toEqual([1, 0]);
      expect(answers.map((answer) => answer.digests)).toEqual([['1'.repeat(64)], ['0'.repeat(64)]]);
    } finally {
      await backend.close();
    }
  });

  it('protocol v1 (a runner that speaks only v1): gives the outputs onnxruntime gives in-process, and describes the runner and its device', async () => {
    const inputs = createSyntheticInputs([{ name: 'input', elementType: 'float32', shape: ['batch', 64] }], { seed: 1, dynamicDims: { batch: 4 } });
    const backend = referenceBackend({}, ['--protocol', '1']);
    try {
      const signature = await backend.load(MLP);
      expect(signature).toEqual({
        inputs: [{ name: 'input', elementType: 'float32', shape: ['batch', 64] }],
        outputs: [{ name: 'probabilities', elementType: 'float32', shape: ['batch', 10] }],
      });
      const feeds = backend.prepareFeeds(inputs);
      const [probabilities] = await backend.runWithOutputs(feeds);
      const expected = (await inProcessOutputs(inputs)).probabilities!;
      expect(probabilities).toEqual({ name: 'probabilities', elementType: 'float32', dims: [4, 10], data: expected.data });

      const description = backendDescriptionSchema.parse(backend.describe());
      expect(description).toMatchObject({
        runtime: REFERENCE_RUNNER_NAME,
        executionProvider: `runner:${REFERENCE_RUNNER_NAME}`,
        executionProviderOptions: { intraOpNumThreads: 1 },
        sessionOptions: { runnerProtocolVersion: 1, deviceTiming: 'runner' },
        device: { vendor: 'host-cpu', properties: { runtime: 'onnxruntime-node', executionProvider: 'cpu' } },
      });

      await backend.run(feeds);
      await backend.runWithOutputs(feeds, 3);
      const timings = backend.takeDeviceTimings();
      expect(timings?.source).toBe('runner');
      expect(timings?.ns).toHaveLength(1 + 1 + 3);
      expect(timings?.ns.every((ns) => ns > 0)).toBe(true);
      expect(backend.takeDeviceTimings()?.ns).toEqual([]);
    } finally {
      await backend.close();
    }
    expect(isAlive(backend.pid!)).toBe(false);
  });

  it('protocol v1: sends inputs too large for a line by file', async () => {
    // 40,000 x 64 float32 is 10 MB, 13.7 MB as base64: more than the inline share of a 16 MiB line.
    const inputs = createSyntheticInputs([{ name: 'input', elementType: 'float32', shape: ['batch', 64] }], { seed: 1, dynamicDims: { batch: 40_000 } });
    const backend = referenceBackend({}, ['--protocol', '1']);
    try {
      await backend.load(MLP);
      const [probabilities] = await backend.runWithOutputs(backend.prepareFeeds(inputs));
      expect(probabilities?.data).toEqual((await inProcessOutputs(inputs)).probabilities!.data);
    } finally {
      await backend.close();
    }
  });
});

describe('runner failures', () => {
  const misbehaving = (mode: string, env: Record<string, string> = {}) =>
    // Generous enough for a node start on a loaded CI machine; the hang test waits this long once.
    createRunnerBackend({ command: process.execPath, args: [MISBEHAVING_RUNNER, mode], env, requestTimeoutMs: 4_000, loadTimeoutMs: 10_000 });
  const toyFeeds: HostTensor[] = [{ name: 'x', elementType: 'float32', dims: [1, 4], data: new Float32Array(4) }];

  it('runner.spawn_failed when the command does not exist', async () => {
    const backend = createRunnerBackend({ command: 'npubench-no-such-runner' });
    const error = await expectRunnerFailure(backend.load(MLP), 'runner.spawn_failed');
    expect(error.message).toContain('npubench-no-such-runner');
    await backend.close();
  });

  it.each([
    ['bad-json', /not JSON: "this is not json"/],
    ['unknown-id', /answered request id 1001, but 1 was in flight/],
    ['wrong-version', /protocol version 99; this host speaks 2 and 1/],
    ['missing-fields', /'load' result is malformed[\s\S]*inputs/],
    ['oversized-line', /longer than 16777216 bytes/],
  ])('runner.protocol_error when the runner answers with %s', async (mode, message) => {
    const backend = misbehaving(mode);
    const error = await expectRunnerFailure(backend.load(MLP), 'runner.protocol_error');
    expect(error.message).toMatch(message);
    expect(isAlive(backend.pid!)).toBe(false);
    await backend.close();
  });

  it('runner.bad_output when an output tensor has the wrong byte length', async () => {
    const backend = misbehaving('wrong-size');
    await backend.load(MLP);
    const error = await expectRunnerFailure(backend.runWithOutputs(backend.prepareFeeds(toyFeeds)), 'runner.bad_output');
    expect(error.message).toContain("tensor 'y' (float32 [1, 2]) needs 8 bytes");
    expect(isAlive(backend.pid!)).toBe(false);
    await backend.close();
  });

  it('runner.crashed with the exit code and the last stderr lines when the runner dies mid-run', async () => {
    const backend = misbehaving('crash');
    await backend.load(MLP);
    const error = await expectRunnerFailure(backend.run(backend.prepareFeeds(toyFeeds)), 'runner.crashed');
    expect(error.details.exit).toEqual({ code: 3, signal: null });
    expect(error.details.stderrTail).toEqual(['loading firmware blob', 'npu0: watchdog timeout, resetting']);
    expect(error.message).toMatch(/exited with code 3 while handling 'run'[\s\S]*watchdog timeout/);
    // Later calls fail the same way instead of writing to a dead process.
    await expectRunnerFailure(backend.run(backend.prepareFeeds(toyFeeds)), 'runner.crashed');
    await backend.close();
  });

  it('runner.timeout kills a hung runner and the helpers in its process group', async () => {
    const pidDirectory = mkdtempSync(join(tmpdir(), 'npubench-runner-test-'));
    const pidFile = join(pidDirectory, 'pids.json');
    const backend = misbehaving('hang', { PID_FILE: pidFile });
    try {
      await backend.load(MLP);
      const error = await expectRunnerFailure(backend.run(backend.prepareFeeds(toyFeeds)), 'runner.timeout');
      expect(error.message).toContain("did not answer 'run' within 4000 ms");
      expect(error.details.exit).toEqual({ code: null, signal: 'SIGKILL' });
      const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { runner: number; helper: number };
      expect(pids.runner).toBe(backend.pid);
      expect(isAlive(pids.runner)).toBe(false);
      // The helper is not our child, so nothing reaps it at once; give init a moment.
      await expect.poll(() => isAlive(pids.helper), { timeout: 2_000 }).toBe(false);
    } finally {
      rmSync(pidDirectory, { recursive: true, force: true });
    }
    await backend.close();
  });

  it("runner.error carries the runner's own code and message", async () => {
    const backend = misbehaving('error');
    const error = await expectRunnerFailure(backend.load(MLP), 'runner.error');
    expect(error.details.runnerError).toEqual({ code: 'vendor.model_unsupported', message: 'op Foo is not supported by this NPU' });
    expect(error.message).toContain("failed 'load': vendor.model_unsupported: op Foo is not supported by this NPU");
    expect(isAlive(backend.pid!)).toBe(false);
    await backend.close();
  });
});

describe('example Python runner', () => {
  it.skipIf(!hasPython)('answers hello, load, load_samples, run and close on v2 (skipped when python3 is not on PATH)', async () => {
    const backend = createRunnerBackend({ command: 'python3', args: [join(PYTHON_RUNNER_DIR, 'runner.py')] });
    try {
      const signature = await backend.load(join(PYTHON_RUNNER_DIR, 'toy-model.json'));
      expect(signature.outputs).toEqual([{ name: 'probabilities', elementType: 'float32', shape: [1, 10] }]);
      const library = backend.sampleLibrary();
      expect(library?.protocolVersion).toBe(2);
      await library!.loadSamples([[{ name: 'input', elementType: 'float32', dims: [1, 64], data: new Float32Array(64).fill(0.5) }]]);
      const [answer] = await library!.runSamplesWithOutputs([0]);
      expect(answer?.outputs).toEqual([{ name: 'probabilities', elementType: 'float32', dims: [1, 10], data: new Float32Array(10) }]);
      expect(answer?.digests).toEqual([sha256(new Float32Array(10))]);
      await library!.runSamples([0]);
      expect(backend.takeDeviceTimings()).toMatchObject({ source: 'runner', ns: [expect.any(Number), expect.any(Number)] });
      expect(backend.describe().device).toMatchObject({ name: 'Toy NPU', vendor: 'Example Corp', driverVersion: '0.0.0' });
    } finally {
      await backend.close();
    }
    expect(isAlive(backend.pid!)).toBe(false);
  });
});
