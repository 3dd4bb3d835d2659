// `npubench bench` with accuracy on this machine: MMLU on an LLM bundle with a reference and a gate,
// LLM latency, and the summary printed as a vendor sees it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../helpers/isolated-resources.js';
import { runNpubench } from '../helpers/processes.js';
import { fixtureBundle, fixtureLlm } from '../helpers/archives.js';

describe('npubench bench with accuracy', () => {
  it('runs MMLU, fidelity against a reference, the gate and LLM latency on a bundle', async () => {
    const dir = await createTempDir('npubench-bench-acc');
    const out = join(dir, 'report.json');
    const res = await runNpubench(['bench', fixtureBundle('tiny-lm.tar.gz'), '--preset', 'smoke', '--mmlu', '--shots', '3', '--reference', fixtureLlm('tiny-lm'), '--gate', '0.99', '--llm', 'short', '--out', out], {});
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/MMLU accuracy\s+\d+\.\d% \(\d+\/46, 95% CI/);
    expect(res.stdout).toMatch(/accuracy gate\s+PASS: mmlu\.accuracy/);
    expect(res.stdout).toMatch(/fidelity logits\s+cosine 1\.000000/);
    expect(res.stdout).toMatch(/LLM TTFT p50 \/ p90\s+\d+\.\d+ ms/);
    const report = JSON.parse(await readFile(out, 'utf8')) as {
      summary: { spec: { accuracy: { mmlu: { shots: number } } }; accuracy: { mmlu: { questionCount: number; reference: { predictionAgreement: number } } }; llm: { runs: number } };
      rawSamples: { accuracy: { mmlu: { questions: { shotsUsed: number }[] } } };
    };
    expect(report.summary.spec.accuracy.mmlu.shots).toBe(3);
    expect(report.rawSamples.accuracy.mmlu.questions.every((q) => q.shotsUsed === 3)).toBe(true);
    expect(report.summary.accuracy.mmlu.reference.predictionAgreement).toBe(1);
    expect(report.summary.llm.runs).toBe(10);
  }, 120_000);

  it('explains what a bundle folder lacks', async () => {
    const res = await runNpubench(['bench', fixtureBundle('.'), '--mmlu'], {});
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/not an LLM bundle folder: it lacks tokenizer\.json/);
  }, 60_000);
});
