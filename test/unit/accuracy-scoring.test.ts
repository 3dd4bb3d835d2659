// The pure parts of accuracy: the CSV reader, the MMLU score and its intervals, the recomputation that
// makes the API refuse a tampered accuracy record, shot dropping to fit the context, and the scoring
// of letters that tokenize to several tokens.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { parseCsvRecords, parseMmluCsv, mmluDatasetFromFiles, builtinMmluDataset } from '../../src/harness/accuracy/mmlu-dataset.js';
import { accuracySpecSchema, summarizeAccuracy, wilsonInterval, type AccuracyRaw } from '../../src/harness/accuracy/accuracy-format.js';
import { preparePrompt, continuationLogprobs, evaluateMmlu } from '../../src/harness/accuracy/mmlu-eval.js';
import { CausalLm, logSoftmax } from '../../src/harness/accuracy/causal-lm.js';
import { loadTokenizer, newHfTokenizer, type TextTokenizer } from '../../src/harness/accuracy/tokenizer.js';
import { causalLmLayout } from '../../src/harness/accuracy/causal-lm-signature.js';
import { verifySummaryAgainstRawSamples, type LatencySummaryReport, type RawSamples } from '../../src/harness/report-format.js';
import { resolveSuiteSpec } from '../../src/harness/suite-spec.js';
import { recomputeSummaryFromRawSamples } from '../../src/harness/report-format.js';
import { fixtureLlm } from '../helpers/archives.js';

describe('hendrycks CSV reading', () => {
  it('reads RFC 4180 quoting: commas, doubled quotes, newlines inside quotes, CRLF, a BOM', () => {
    expect(parseCsvRecords('\uFEFFa,"b, c","d ""e""",f\r\n"multi\nline",x,y,z\n', 'f.csv')).toEqual([
      ['a', 'b, c', 'd "e"', 'f'],
      ['multi\nline', 'x', 'y', 'z'],
    ]);
  });

  it('names the file and row of a malformed row or an unknown answer', () => {
    expect(() => parseMmluCsv('q,a,b,c,d,A\nq,a,b,c,d\n', 'test/x_test.csv')).toThrow(/x_test\.csv row 2 has 5 fields/);
    expect(() => parseMmluCsv('q,a,b,c,d,Z\n', 'x.csv')).toThrow(expect.objectContaining({ code: 'dataset.unknown_answer' }));
    expect(parseMmluCsv('q,a,b,c,d, b \n', 'x.csv')[0]!.answer).toBe('B');
  });

  it('needs a dev split for every test subject', () => {
    expect(() => mmluDatasetFromFiles('x', new Map([['test/s_test.csv', 'q,a,b,c,d,A\n']]))).toThrow(expect.objectContaining({ code: 'dataset.missing_dev_split' }));
  });

  it('ships a built-in dataset with Korean subjects and every answer letter', () => {
    const dataset = builtinMmluDataset();
    expect(dataset.subjects.map((s) => s.name)).toEqual(['basic_arithmetic', 'computing_basics', 'everyday_science', 'korean_culture', 'korean_science']);
    expect(dataset.subjects.every((s) => s.dev.length >= 5)).toBe(true);
    const letters = new Set(dataset.subjects.flatMap((s) => s.test.map((q) => q.answer)));
    expect(letters).toEqual(new Set(['A', 'B', 'C', 'D']));
    expect(dataset.subjects.find((s) => s.name === 'korean_culture')!.test[0]!.question).toMatch(/[가-힣]/);
  });
});

const question = (subject: string, answer: 'A' | 'B' | 'C' | 'D', prediction: 'A' | 'B' | 'C' | 'D', index = 0) => {
  const logprobs: [number, number, number, number] = [-3, -3, -3, -3];
  logprobs['ABCD'.indexOf(prediction)] = -1;
  return { subject, index, answer, logprobs, prediction, promptTokens: 10, shotsUsed: 5, truncated: false };
};

function mmluRaw(questions: ReturnType<typeof question>[], reference?: ReturnType<typeof question>[]): AccuracyRaw {
  return {
    mmlu: {
      dataset: 'builtin:npubench-mmlu-mini',
      shots: 5,
      contextLength: 1024,
      letters: (['A', 'B', 'C', 'D'] as const).map((letter, i) => ({ letter, text: ` ${letter}`, tokenIds: [i] })),
      questions,
      ...(reference && { reference: reference.map((r) => ({ logprobs: r.logprobs, prediction: r.prediction })) }),
    },
    timing: { promptNs: 10, modelNs: 30, totalNs: 50 },
  };
}

describe('MMLU score', () => {
  it('computes micro (by question) and macro (by subject) averages and Wilson intervals', () => {
    // Subject a: 3 of 4 right; subject b: 0 of 1 right. Micro 3/5, macro (0.75 + 0) / 2.
    const raw = mmluRaw([question('a', 'A', 'A'), question('a', 'B', 'B', 1), question('a', 'C', 'C', 2), question('a', 'D', 'A', 3), question('b', 'A', 'C')]);
    const summary = summarizeAccuracy(raw, accuracySpecSchema.parse({ mmlu: {} }));
    expect(summary.mmlu).toMatchObject({ questionCount: 5, correct: 3, accuracy: 0.6, macroAccuracy: 0.375 });
    expect(summary.mmlu!.subjects).toEqual([
      { subject: 'a', questions: 4, correct: 3, accuracy: 0.75, accuracyCi95: wilsonInterval(3, 4) },
      { subject: 'b', questions: 1, correct: 0, accuracy: 0, accuracyCi95: wilsonInterval(0, 1) },
    ]);
    // Wilson 95% for 3/5, from the textbook formula.
    const [lo, hi] = wilsonInterval(3, 5);
    expect(lo).toBeCloseTo(0.2307, 4);
    expect(hi).toBeCloseTo(0.8824, 4);
    expect(summary.timing.promptShare).toBeCloseTo(0.2, 12);
  });

  it('refuses a record whose prediction does not follow from its log-probabilities', () => {
    const tampered = question('a', 'A', 'A');
    tampered.prediction = 'B';
    expect(() => summarizeAccuracy(mmluRaw([tampered]), accuracySpecSchema.parse({ mmlu: {} }))).toThrow(/records B, its log-probabilities give A/);
  });

  it('gates MLPerf-style on the reference score', () => {
    const spec = accuracySpecSchema.parse({ mmlu: {}, reference: { modelDigest: 'a'.repeat(64) }, gate: { minRelativeScore: 0.99 } });
    const cand = [question('a', 'A', 'A'), question('a', 'B', 'C', 1)];
    const ref = [question('a', 'A', 'A'), question('a', 'B', 'B', 1)];
    const raw = { ...mmluRaw(cand, ref), referenceModelDigest: 'a'.repeat(64) };
    expect(summarizeAccuracy(raw, spec).gate).toEqual({ metric: 'mmlu.accuracy', minRelativeScore: 0.99, candidate: 0.5, reference: 1, relativeScore: 0.5, result: 'FAIL' });
    expect(summarizeAccuracy({ ...mmluRaw(ref, ref), referenceModelDigest: 'a'.repeat(64) }, spec).gate!.result).toBe('PASS');
  });
});

describe('the API recomputes the accuracy figures of an upload', () => {
  it('names the accuracy section when the summary does not follow from the raw record', () => {
    const spec = resolveSuiteSpec({ minQueryCount: 2, minDurationMs: 0, warmupQueries: 0, accuracy: { mmlu: {} } });
    const raw: RawSamples = {
      format: 'npubench.raw-samples/v2',
      clock: 'process.hrtime.bigint (CLOCK_MONOTONIC)',
      unit: 'ns',
      scenario: 'single-stream',
      runs: [{ queries: [[0, 10], [10, 30]] }],
      accuracy: mmluRaw([question('a', 'A', 'A'), question('a', 'B', 'C', 1)]),
    };
    const measured = recomputeSummaryFromRawSamples(raw, spec);
    const summary = { format: 'npubench.latency-summary/v2', clock: raw.clock, spec, ...measured, modelLoadMs: 1, firstInferenceMs: 1, backend: { runtime: 'x', runtimeVersion: '1', executionProvider: 'cpu', registeredProviders: ['cpu'], executionProviderOptions: {}, sessionOptions: {} } } as LatencySummaryReport;
    expect(verifySummaryAgainstRawSamples(summary, raw)).toEqual([]);
    const inflated = structuredClone(summary);
    inflated.accuracy!.mmlu!.accuracy = 1;
    expect(verifySummaryAgainstRawSamples(inflated, raw)).toEqual(['accuracy']);
    const { accuracy: _dropped, ...withoutRecord } = raw;
    expect(() => verifySummaryAgainstRawSamples(summary, withoutRecord as RawSamples)).toThrow(/asks for accuracy/);
  });
});

describe('prompt fitting and letter scoring', () => {
  it('drops shots from the end until the prompt fits, then cuts the oldest tokens', async () => {
    const tokenizer = await loadTokenizer(fixtureLlm('tiny-lm'));
    const subject = builtinMmluDataset().subjects[0]!;
    const full = preparePrompt(tokenizer, subject, 0, 5, 1024, 1);
    expect(full.shotsUsed).toBe(5);
    const fewer = preparePrompt(tokenizer, subject, 0, 5, full.ids.length - 1, 1);
    expect(fewer.shotsUsed).toBe(4);
    expect(fewer.ids.length).toBeLessThanOrEqual(full.ids.length - 1);
    const cut = preparePrompt(tokenizer, subject, 0, 5, 12, 1);
    expect(cut).toMatchObject({ shotsUsed: 0, truncated: true });
    expect(cut.ids).toHaveLength(12);
  });

  it('scores a letter of several tokens as the sum of its tokens\' log-probabilities (via the KV cache)', async () => {
    // The fixture tokenizer without the merges "Ġ A".."Ġ D": " A" becomes two tokens, "Ġ" and "A".
    const dir = fixtureLlm('tiny-lm');
    const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as { model: { merges: string[]; vocab: Record<string, number> } };
    json.model.merges = json.model.merges.filter((m) => !/^Ġ [ABCD]$/.test(m));
    const hf = newHfTokenizer(json, JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as object);
    const tokenizer: TextTokenizer = { encode: (text) => hf.encode(text, { add_special_tokens: false }).ids, bosTokenId: null, decode: (ids) => hf.decode([...ids]) };
    const letters = [' A', ' B', ' C', ' D'].map((l) => tokenizer.encode(l));
    expect(letters.every((ids) => ids.length === 2)).toBe(true);
    const prompt = tokenizer.encode('What is 2 plus 2?\nA. 4\nB. 5\nC. 6\nD. 7\nAnswer:');
    const lm = await CausalLm.load(join(dir, 'model.onnx'), dir, { executionProvider: 'cpu' });
    const scores = await continuationLogprobs(lm, await lm.forward(prompt), letters);
    await lm.close();
    // Directly: the log-probability of each token of prompt + letter, from one cache-free pass.
    const session = await InferenceSession.create(join(dir, 'model.onnx'));
    for (const [i, tokens] of letters.entries()) {
      const seq = [...prompt, ...tokens];
      const n = seq.length;
      const feeds: Record<string, Tensor> = {
        input_ids: new Tensor('int64', BigInt64Array.from(seq, BigInt), [1, n]),
        attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
        position_ids: new Tensor('int64', BigInt64Array.from({ length: n }, (_, p) => BigInt(p)), [1, n]),
      };
      for (let layer = 0; layer < 2; layer++) for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = new Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
      const logits = (await session.run(feeds)).logits!;
      const vocab = logits.dims[2]!;
      const data = logits.data as Float32Array;
      const expected = tokens.reduce((sum, token, j) => sum + logSoftmax(data.subarray((prompt.length - 1 + j) * vocab, (prompt.length + j) * vocab))[token]!, 0);
      expect(scores[i]).toBeCloseTo(expected, 4);
    }
    await session.release();
  });

  it('runs an LM without a position_ids input (positions from the cache) to the same answers', async () => {
    const dir = fixtureLlm('tiny-lm');
    const implicitDir = fixtureLlm('tiny-lm-no-position-ids');
    const withIds = await CausalLm.load(join(dir, 'model.onnx'), dir, { executionProvider: 'cpu' });
    const implicit = await CausalLm.load(join(implicitDir, 'model.onnx'), implicitDir, { executionProvider: 'cpu' });
    expect([withIds.layout.hasPositionIds, implicit.layout.hasPositionIds]).toEqual([true, false]);
    const tokenizer = await loadTokenizer(dir);
    const spec = accuracySpecSchema.parse({ mmlu: { subjects: ['korean_culture'] } }).mmlu!;
    const a = await evaluateMmlu(withIds, tokenizer, builtinMmluDataset(), spec, null);
    const b = await evaluateMmlu(implicit, tokenizer, builtinMmluDataset(), spec, null);
    b.raw.questions.forEach((q, i) => {
      expect(q.prediction).toBe(a.raw.questions[i]!.prediction);
      q.logprobs.forEach((lp, j) => expect(lp).toBeCloseTo(a.raw.questions[i]!.logprobs[j]!, 4));
    });
    await withIds.close();
    await implicit.close();
  });

  it('explains every way a model misses the causal-LM layout', () => {
    const sig = { inputs: [{ name: 'input_ids', elementType: 'int64', shape: ['b', 's'] }, { name: 'past_key_values.0.key', elementType: 'float32', shape: ['b', 2, 'p', 16] }], outputs: [{ name: 'logits', elementType: 'float32', shape: ['b', 's', 10] }] };
    expect(() => causalLmLayout(sig)).toThrow(/no input 'attention_mask'.*no output 'present\.0\.key'.*no input 'past_key_values\.0\.value'/);
    const withoutCache = { inputs: [{ name: 'input_ids', elementType: 'int64', shape: ['b', 's'] }, { name: 'attention_mask', elementType: 'int64', shape: ['b', 's'] }], outputs: sig.outputs };
    expect(() => causalLmLayout(withoutCache)).toThrow(/KV cache/);
  });
});
