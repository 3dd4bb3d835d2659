// Greedy-token agreement with the FP32 reference (#17): the harness's record (runAccuracy, MMLU with a
// reference) is checked token for token against a cache-free loop written in the test
// (test/helpers/independent-token-agreement.ts). The attack, the tiny LM with one weight block
// scaled ×3, scores above the reference on MMLU (so an accuracy rule alone passes it) and must fall below
// slm-on-device@2's token-agreement bound; the runner path gives the in-process record exactly.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accuracySpecSchema, summarizeAccuracy, type AccuracyRaw } from '../../src/harness/accuracy/accuracy-format.js';
import { runAccuracy } from '../../src/harness/accuracy/run-accuracy.js';
import { RunnerCausalLm } from '../../src/harness/backends/runner-causal-lm.js';
import { RunnerProcessBackend } from '../../src/harness/backends/runner-process.js';
import { referenceRunnerCommand } from '../../src/harness/index.js';
import { BUILTIN_MMLU_SUBJECTS } from '../../src/harness/accuracy/builtin-mmlu-data.js';
import { BUILT_IN_PROFILES } from '../../src/services/certificates/profiles.js';
import { fixtureLlm } from '../helpers/archives.js';
import { independentTokenAgreement, scaledTinyLm } from '../helpers/independent-token-agreement.js';

const REFERENCE = fixtureLlm('tiny-lm');
const DIGEST = 'c'.repeat(64);
const THREADS = { intraOpNumThreads: 1 };
const spec = accuracySpecSchema.parse({ mmlu: {}, reference: { modelDigest: DIGEST } });
const SLM_2 = BUILT_IN_PROFILES.find((p) => p.name === 'slm-on-device' && p.version === 2)!;
const scaled = scaledTinyLm('layer1.fc2.weight', 3);
afterAll(() => rmSync(scaled, { recursive: true, force: true }));

const evaluate = (dir: string, candidateLm?: () => Promise<RunnerCausalLm>) =>
  runAccuracy({
    spec,
    seed: 0,
    dynamicDims: {},
    modelPath: join(dir, 'model.onnx'),
    bundleDir: dir,
    reference: { modelPath: join(REFERENCE, 'model.onnx'), bundleDir: REFERENCE, digest: DIGEST },
    backend: { executionProvider: 'cpu', ...THREADS },
    ...(candidateLm && { candidateLm }),
  });

const tokensOf = (raw: AccuracyRaw) => raw.tokenAgreement!.sequences.map((s) => ({ reference: s.referenceTokens, candidate: s.candidateTokens }));

describe('greedy-token agreement against the FP32 reference', () => {
  it('the reference agrees with itself on every token; its greedy tokens are those of a cache-free loop', async () => {
    const raw = await evaluate(REFERENCE);
    const mine = await independentTokenAgreement(REFERENCE, REFERENCE);
    expect(tokensOf(raw)).toEqual(mine.sequences);
    // Round-robin over the subjects in name order: question 0 of each, then question 1.
    const subjects = Object.keys(BUILTIN_MMLU_SUBJECTS).sort((a, b) => a.localeCompare(b));
    const expected = [0, 1].flatMap((index) => subjects.map((subject) => [subject, index])).slice(0, 8);
    expect(raw.tokenAgreement!.sequences.map((s) => [s.subject, s.index])).toEqual(expected);
    const summary = summarizeAccuracy(raw, spec).tokenAgreement!;
    expect(summary).toMatchObject({ prompts: 8, tokens: 256, matched: 256, share: 1, meanMatchedPrefix: 32, fullMatchShare: 1 });
    console.log(`token agreement cost: ${(raw.tokenAgreement!.costNs / 1e6).toFixed(0)} ms of a ${(raw.timing.totalNs / 1e6).toFixed(0)} ms accuracy pass`);
  }, 240_000);

  it('one weight block scaled ×3 passes the MMLU accuracy bound and fails slm-on-device@2 on token agreement', async () => {
    const raw = await evaluate(scaled);
    const mine = await independentTokenAgreement(scaled, REFERENCE);
    expect(tokensOf(raw)).toEqual(mine.sequences);
    const summary = summarizeAccuracy(raw, spec);
    expect(summary.tokenAgreement!.share).toBe(mine.share);
    const minTokenAgreement = SLM_2.rules.fidelity!.minTokenAgreement!;
    expect(mine.share).toBeLessThan(minTokenAgreement);
    // The attack: its MMLU accuracy is at least the reference's, so the accuracy rule alone would pass it.
    const mmlu = summary.mmlu!;
    expect(mmlu.accuracy / mmlu.reference!.accuracy).toBeGreaterThanOrEqual(SLM_2.rules.accuracy!.minRelativeToReference);
    console.log(`×3 block: token agreement ${mine.share.toFixed(4)}, matched prefix ${summary.tokenAgreement!.meanMatchedPrefix}, MMLU ${mmlu.accuracy.toFixed(4)} vs ${mmlu.reference!.accuracy.toFixed(4)}, answers agreeing ${mmlu.reference!.predictionAgreement.toFixed(4)}`);
  }, 240_000);

  it('through the reference runner process (lm_forward) the record is the in-process one, token for token', async () => {
    const backend = new RunnerProcessBackend({ ...referenceRunnerCommand(), loadOptions: THREADS, requestTimeoutMs: 60_000 });
    try {
      await backend.load(join(scaled, 'model.onnx'));
      const viaRunner = await evaluate(scaled, () => RunnerCausalLm.open(backend, scaled));
      const inProcess = await evaluate(scaled);
      expect(tokensOf(viaRunner)).toEqual(tokensOf(inProcess));
    } finally {
      await backend.close();
    }
  }, 240_000);

  it('recomputes the figures from the record and refuses one whose sequences are short', async () => {
    const raw = await evaluate(REFERENCE);
    const edited = structuredClone(raw);
    const first = edited.tokenAgreement!.sequences[0]!;
    first.candidateTokens[5] = (first.candidateTokens[5]! + 1) % 657;
    const summary = summarizeAccuracy(edited, spec).tokenAgreement!;
    expect(summary).toMatchObject({ matched: 255, share: 255 / 256, fullMatchShare: 7 / 8, meanMatchedPrefix: (7 * 32 + 5) / 8 });
    first.candidateTokens.pop();
    expect(() => summarizeAccuracy(edited, spec)).toThrow(/sequence 0/);
    const noReference = accuracySpecSchema.parse({ mmlu: {} });
    expect(() => summarizeAccuracy({ ...raw, referenceModelDigest: undefined } as AccuracyRaw, noReference)).toThrow(/token agreement without MMLU against a reference/);
  }, 240_000);
});
