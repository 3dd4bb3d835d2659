// `npubench bench <lm-bundle> --runner "npubench runner"` (issue #16): MMLU and LLM latency through the
// reference runner process (with a reference model), with the log-likelihoods of the same command run in-process.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../helpers/isolated-resources.js';
import { NPUBENCH_BIN, runNpubench } from '../helpers/processes.js';
import { fixtureLlm } from '../helpers/archives.js';

interface Report {
  summary: { result: string; backend: { executionProvider: string }; compliance?: { checks: { check: string; outcome: string }[] } };
  rawSamples: { accuracy: { mmlu: { questions: { logprobs: number[] }[]; reference?: { logprobs: number[] }[] } }; llm: { outputTokenIds: number[] } };
}

describe('npubench bench of an LM bundle through a runner', () => {
  it('scores MMLU and runs LLM latency through `npubench runner` with the in-process figures', async () => {
    const dir = await createTempDir('npubench-bench-runner-lm');
    const suite = JSON.stringify({ accuracy: { mmlu: {} }, llm: { runs: 3, promptTokens: 32, outputTokens: 8 } });
    const bench = async (name: string, extra: string[]): Promise<Report> => {
      const out = join(dir, `${name}.json`);
      const res = await runNpubench(['bench', fixtureLlm('tiny-lm'), '--preset', 'smoke', '--suite', suite, '--out', out, ...extra], {});
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/MMLU accuracy\s+\d+\.\d% \(\d+\/46/);
      expect(res.stdout).toMatch(/LLM TTFT p50 \/ p90\s+\d+\.\d+ ms/);
      return JSON.parse(await readFile(out, 'utf8')) as Report;
    };
    const remote = await bench('runner', ['--runner', `${process.execPath} ${NPUBENCH_BIN} runner`, '--reference', fixtureLlm('tiny-lm')]);
    const local = await bench('in-process', []);
    expect(remote.summary.backend.executionProvider).toBe('runner:npubench-reference-runner');
    expect(remote.rawSamples.accuracy.mmlu.questions.map((q) => q.logprobs)).toEqual(local.rawSamples.accuracy.mmlu.questions.map((q) => q.logprobs));
    expect(remote.rawSamples.llm.outputTokenIds).toEqual(local.rawSamples.llm.outputTokenIds);
    expect(remote.summary.compliance?.checks.find((check) => check.check === 'llm-tokens')).toMatchObject({ outcome: 'passed' });
    expect(remote.summary.result).toBe('VALID');
    // The reference (the same model, onnxruntime on the CPU) scores what the runner scored.
    expect(remote.rawSamples.accuracy.mmlu.reference?.map((r) => r.logprobs)).toEqual(local.rawSamples.accuracy.mmlu.questions.map((q) => q.logprobs));
  }, 180_000);
});
