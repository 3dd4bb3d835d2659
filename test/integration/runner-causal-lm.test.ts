// Causal LMs through a runner (issue #16): the real reference runner process serves lm_forward on
// test/fixtures/llm/tiny-lm, and MMLU and LLM latency through it must give what onnxruntime gives in
// this process — every log-likelihood and every generated token exactly. Dishonest LM runners (a wrong
// token count, another first token once timed) must end INVALID with their TEST06-like reason.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CausalLm, allLogitsOf } from '../../src/harness/accuracy/causal-lm.js';
import { RunnerCausalLm } from '../../src/harness/backends/runner-causal-lm.js';
import { RunnerFailure, RunnerProcessBackend, type RunnerBackendConfig } from '../../src/harness/backends/runner-process.js';
import { referenceRunnerCommand, resolveSuiteSpec, runBenchmark, type ComplianceReason } from '../../src/harness/index.js';
import { fixtureLlm } from '../helpers/archives.js';
import { fixtureModel } from '../helpers/fixtures.js';

const TINY_LM = fixtureLlm('tiny-lm');
const TINY_LM_MODEL = join(TINY_LM, 'model.onnx');
const DISHONEST_LM_RUNNER = fileURLToPath(new URL('../fixtures/runners/dishonest-lm-runner.mjs', import.meta.url));
const PYTHON_RUNNER = fileURLToPath(new URL('../../docs/examples/python-runner/runner.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;
const reference = referenceRunnerCommand();
// One thread on both sides, so onnxruntime sums in the same order in both processes.
const THREADS = { intraOpNumThreads: 1 };
const REFERENCE_RUNNER: RunnerBackendConfig = { ...reference, loadOptions: THREADS, requestTimeoutMs: 60_000 };
const LLM = { runs: 3, warmupRuns: 1, promptTokens: 40, outputTokens: 12 };
const SPEC = resolveSuiteSpec({ minQueryCount: 100, minDurationMs: 0, warmupQueries: 2, accuracy: { mmlu: { shots: 3 } }, llm: LLM });

function behind(mode: string): RunnerBackendConfig {
  return { command: process.execPath, args: [DISHONEST_LM_RUNNER, mode, reference.command, ...reference.args], loadOptions: THREADS, requestTimeoutMs: 60_000 };
}

const bench = (backend: RunnerBackendConfig | 'in-process', spec = SPEC) =>
  runBenchmark({
    modelPath: TINY_LM_MODEL,
    spec,
    backend: backend === 'in-process' ? { executionProvider: 'cpu', ...THREADS } : new RunnerProcessBackend(backend),
    accuracy: { bundleDir: TINY_LM, backend: { executionProvider: 'cpu', ...THREADS } },
  });

describe('lm_forward through the reference runner process', () => {
  let backend: RunnerProcessBackend;
  let runnerLm: RunnerCausalLm;
  let local: CausalLm;
  beforeAll(async () => {
    backend = new RunnerProcessBackend(REFERENCE_RUNNER);
    await backend.load(TINY_LM_MODEL);
    runnerLm = await RunnerCausalLm.open(backend, TINY_LM);
    local = await CausalLm.load(TINY_LM_MODEL, TINY_LM, { executionProvider: 'cpu', ...THREADS });
  });
  afterAll(async () => {
    // The last test made the runner fail on purpose, so releasing its caches fails too.
    await runnerLm?.close().catch(() => {});
    await backend?.close();
    await local?.close();
  });

  it('gives onnxruntime’s logits bit for bit: the last position, every position, a kept prefix, a decode step', async () => {
    const prompt = Array.from({ length: 30 }, (_, i) => (i * 37 + 5) % 650);
    const [remote, here] = [await runnerLm.forward(prompt, undefined, 'all'), await local.forward(prompt)];
    expect(remote.vocabSize).toBe(657);
    expect(remote.cache.length).toBe(30);
    expect(Buffer.from(allLogitsOf(remote).buffer)).toEqual(Buffer.from(allLogitsOf(here).slice().buffer));
    expect([...remote.lastLogits]).toEqual([...here.lastLogits]);

    // Prefix reuse: keep 20 positions, run 4 new tokens after them (the MMLU path).
    const tail = [11, 12, 13, 14];
    const keptRemote = await runnerLm.forward(tail, runnerLm.truncateCache(remote.cache, 20), 'all');
    const keptHere = await local.forward(tail, local.truncateCache(here.cache, 20));
    expect(keptRemote.cache.length).toBe(24);
    expect([...allLogitsOf(keptRemote)]).toEqual([...allLogitsOf(keptHere)]);

    // The untruncated cache is still usable after its truncation was: one decode step on all 30.
    const stepRemote = await runnerLm.forward([7], remote.cache);
    const stepHere = await local.forward([7], here.cache);
    expect(stepRemote.allLogits).toBeUndefined();
    expect(stepRemote.cache.length).toBe(31);
    expect([...stepRemote.lastLogits]).toEqual([...stepHere.lastLogits]);
    runnerLm.releaseCache(remote.cache);
    await expect(runnerLm.forward([7], remote.cache)).rejects.toThrow(/was released/);
  });

  it('the runner refuses a cache it was told to release (and fails the connection, so this test goes last)', async () => {
    const channel = backend.causalLmChannel()!;
    const { result } = await channel.forward({ tokens: [1, 2, 3], cache: null, logits: 'last' });
    await channel.release([result.cacheHandle]);
    const failure = await channel.forward({ tokens: [4], cache: result.cacheHandle, logits: 'last' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(RunnerFailure);
    expect((failure as RunnerFailure).details.runnerError).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/no KV cache/) as unknown });
  });
});

describe('MMLU and LLM latency through a runner', () => {
  it('record the same log-likelihoods and generated tokens as in-process onnxruntime, and the run is VALID', async () => {
    const here = await bench('in-process');
    const remote = await bench(REFERENCE_RUNNER);
    const hereQuestions = here.rawSamples.accuracy!.mmlu!.questions;
    const remoteQuestions = remote.rawSamples.accuracy!.mmlu!.questions;
    expect(remoteQuestions).toHaveLength(46);
    expect(remoteQuestions.every((q) => q.shotsUsed === 3)).toBe(true);
    // Every one of the 4 × 46 log-likelihoods, compared as numbers (no tolerance).
    expect(remoteQuestions.map((q) => q.logprobs)).toEqual(hereQuestions.map((q) => q.logprobs));
    expect(remote.summary.accuracy?.mmlu?.accuracy).toBe(here.summary.accuracy?.mmlu?.accuracy);

    expect(remote.rawSamples.llm!.outputTokenIds).toHaveLength(LLM.outputTokens);
    expect(remote.rawSamples.llm!.outputTokenIds).toEqual(here.rawSamples.llm!.outputTokenIds);
    expect(remote.summary.backend.executionProvider).toBe('runner:npubench-reference-runner');

    const llmCheck = remote.summary.compliance?.checks.find((check) => check.check === 'llm-tokens');
    expect(llmCheck, JSON.stringify(remote.summary.compliance?.checks)).toMatchObject({ outcome: 'passed', reasons: [] });
    const record = remote.rawSamples.compliance!.llm!;
    expect(record.accuracyPassFirstToken).toBe(here.rawSamples.llm!.outputTokenIds[0]);
    expect(record.runs).toEqual(Array.from({ length: LLM.runs }, () => ({ firstTokenId: record.accuracyPassFirstToken, generatedTokens: LLM.outputTokens, reportedSequenceLength: LLM.promptTokens + LLM.outputTokens - 1, miscountedSteps: 0 })));
    expect(remote.summary.compliance?.invalidReasons).toEqual([]);
    expect(remote.summary.result).toBe('VALID');
    // In-process runs have no compliance record.
    expect(here.rawSamples.compliance).toBeUndefined();
  }, 240_000);

  const CHEATS: [string, ComplianceReason][] = [
    ['token-count', 'compliance.llm_token_count_mismatch'],
    ['first-token-timed', 'compliance.llm_first_token_mismatch'],
  ];
  const llmOnly = resolveSuiteSpec({ minQueryCount: 100, minDurationMs: 0, warmupQueries: 2, llm: LLM });

  it.each(CHEATS)('a runner cheating with %s ends INVALID with %s', async (mode, reason) => {
    const { summary, rawSamples } = await bench(behind(mode), llmOnly);
    const llmCheck = summary.compliance?.checks.find((check) => check.check === 'llm-tokens');
    expect(llmCheck, JSON.stringify(summary.compliance?.checks)).toMatchObject({ outcome: 'failed', reasons: [reason] });
    expect(summary.compliance?.invalidReasons).toContain(reason);
    expect(summary.result).toBe('INVALID');
    const record = rawSamples.compliance!.llm!;
    if (mode === 'token-count') expect(record.runs.every((run) => run.reportedSequenceLength === LLM.promptTokens + LLM.outputTokens && run.miscountedSteps === LLM.outputTokens - 1)).toBe(true);
    else expect(record.runs.every((run) => run.firstTokenId !== record.accuracyPassFirstToken)).toBe(true);
  }, 180_000);

  it('the same proxy without a cheat passes the LLM token check', async () => {
    const { summary } = await bench(behind('honest'), llmOnly);
    expect(summary.compliance?.checks.find((check) => check.check === 'llm-tokens'), JSON.stringify(summary.compliance?.checks)).toMatchObject({ outcome: 'passed' });
    expect(summary.compliance?.invalidReasons).toEqual([]);
  }, 180_000);

  it('a runner whose hello declares no LM ops (protocol v1) is refused with a clear error, not run in-process', async () => {
    const v1 = { ...REFERENCE_RUNNER, args: [...reference.args, '--protocol', '1'] };
    await expect(bench(v1, llmOnly)).rejects.toMatchObject({ code: 'harness.accuracy_unsupported', message: expect.stringMatching(/declares no causal LM ops/) as unknown });
  }, 180_000);

  it('the reference runner answers lm_forward on a vision model with unsupported_op', async () => {
    const backend = new RunnerProcessBackend(REFERENCE_RUNNER);
    try {
      await backend.load(fixtureModel('mlp-classifier.onnx'));
      const failure = await backend.causalLmChannel()!.forward({ tokens: [1], cache: null, logits: 'last' }).catch((err: unknown) => err);
      expect((failure as RunnerFailure).details.runnerError).toMatchObject({ code: 'unsupported_op', message: expect.stringMatching(/not a causal LM/) as unknown });
    } finally {
      await backend.close();
    }
  });

  it.skipIf(!hasPython)('the Python example declares no LM ops and answers lm_forward with unsupported_op', () => {
    const lines = [{ id: 1, op: 'hello', protocolVersions: [2, 1] }, { id: 2, op: 'lm_forward', tokens: [1], cache: null, logits: 'last' }, { id: 3, op: 'close' }];
    const child = spawnSync('python3', [PYTHON_RUNNER], { input: lines.map((line) => `${JSON.stringify(line)}\n`).join(''), encoding: 'utf8' });
    const [hello, forward] = child.stdout.trim().split('\n').map((line) => JSON.parse(line) as { ok: boolean; result?: Record<string, unknown>; error?: { code: string } });
    expect(hello?.ok).toBe(true);
    expect(hello?.result).not.toHaveProperty('ops');
    expect(forward).toMatchObject({ ok: false, error: { code: 'unsupported_op' } });
  });
});
