// Accuracy through real agent jobs: MMLU on the committed tiny LM, checked against log-probabilities
// this test computes itself with onnxruntime (its own prompt text, its own tokenizer instance, no KV
// cache); a model that always answers B, whose exact accuracy is known from the dataset; fidelity of
// identical and perturbed models; and a gate.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { newHfTokenizer } from '../../src/harness/accuracy/tokenizer.js';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm, fixtureModel, modelForm } from '../helpers/fixtures.js';
import { fixtureLlm, tarOf } from '../helpers/archives.js';
import { BUILTIN_MMLU_SUBJECTS } from '../../src/harness/accuracy/builtin-mmlu-data.js';
import { createSyntheticInputs } from '../../src/harness/inputs/synthetic-inputs.js';

let t: TestApi;
let vendor: { key: string };
const models: Record<string, string> = {};

async function bundleOf(folder: string): Promise<Buffer> {
  const files: Record<string, Uint8Array> = {};
  for (const name of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json']) files[name] = await readFile(join(fixtureLlm(folder), name));
  return tarOf(files);
}

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-acc', name: 'CPU', manufacturer: 'test' } });
  await startTestAgent(t, ['cpu-acc']);
  for (const folder of ['tiny-lm', 'tiny-lm-favours-b', 'tiny-lm-perturbed']) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(await bundleOf(folder), `${folder}.tar`) });
    expect(res.statusCode, res.body).toBe(201);
    models[folder] = (res.json() as { id: string }).id;
  }
  for (const file of ['mlp-classifier.onnx', 'mlp-classifier-perturbed.onnx']) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel(file)) });
    models[file] = (res.json() as { id: string }).id;
  }
}, 60_000);

interface QuestionRecord { subject: string; index: number; answer: string; logprobs: number[]; prediction: string; promptTokens: number; shotsUsed: number; truncated: boolean }
interface Report {
  summary: { accuracy: { mmlu: { accuracy: number; correct: number; questionCount: number; macroAccuracy: number; subjects: { subject: string; correct: number; questions: number; accuracy: number }[]; reference: { predictionAgreement: number; accuracy: number } | null } | null; fidelity: { outputs: { name: string; cosineSimilarity: number; maxAbsError: number; meanAbsError: number; top1Agreement: number | null; top5Agreement: number | null }[] } | null; gate: { result: string; relativeScore: number; metric: string } | null } };
}

async function runJob(modelId: string, suite: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'cpu-acc', suite: { preset: 'smoke', ...suite }, ...extra } });
  expect(res.statusCode, res.body).toBe(201);
  const job = await waitForJob(t, (res.json() as { id: string }).id, 120_000);
  expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
  const view = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: bearer(vendor.key) })).json() as { reportId: string };
  const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}`, headers: bearer(vendor.key) })).json() as Report;
  const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}/raw-samples`, headers: bearer(vendor.key) })).json() as {
    accuracy: { mmlu: { questions: QuestionRecord[]; reference?: { prediction: string }[]; letters: { tokenIds: number[] }[] } };
  };
  return { report, raw };
}

/** The test's own reading of the built-in dataset: the answer is the last field of each line. */
function builtinTestAnswers(): { subject: string; answer: string }[] {
  return Object.entries(BUILTIN_MMLU_SUBJECTS)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([subject, { test }]) => test.trim().split('\n').map((line) => ({ subject, answer: line.slice(-1) })));
}

/** Independent scoring: literal prompt template, a fresh tokenizer, full-prompt forward without a cache. */
async function directLogprobs(folder: string, subject: string, shots: string[][], row: string[]): Promise<number[]> {
  const dir = fixtureLlm(folder);
  const tokenizer = newHfTokenizer(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as object, JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as object);
  const block = (r: string[], answer: boolean) => `${r[0]}\nA. ${r[1]}\nB. ${r[2]}\nC. ${r[3]}\nD. ${r[4]}\nAnswer:${answer ? ` ${r[5]}\n\n` : ''}`;
  const prompt = `The following are multiple choice questions (with answers) about ${subject.replaceAll('_', ' ')}.\n\n${shots.map((s) => block(s, true)).join('')}${block(row, false)}`;
  const ids = tokenizer.encode(prompt, { add_special_tokens: false }).ids;
  const session = await InferenceSession.create(join(dir, 'model.onnx'));
  const n = ids.length;
  const feeds: Record<string, Tensor> = {
    input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    position_ids: new Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), [1, n]),
  };
  for (let layer = 0; layer < 2; layer++) for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = new Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
  const logits = (await session.run(feeds)).logits!;
  await session.release();
  const vocab = logits.dims[2]!;
  const last = Array.from((logits.data as Float32Array).subarray((n - 1) * vocab, n * vocab));
  const max = Math.max(...last);
  const logSum = max + Math.log(last.reduce((s, v) => s + Math.exp(v - max), 0));
  return [' A', ' B', ' C', ' D'].map((letter) => {
    const [id] = tokenizer.encode(letter, { add_special_tokens: false }).ids;
    return last[id!]! - logSum;
  });
}

/** Rows of a built-in CSV split, parsed by the test (quoted fields only hold commas, no quotes or newlines). */
function rows(csv: string): string[][] {
  return csv.trim().split('\n').map((line) => [...line.matchAll(/"([^"]*)"|([^,]+)/g)].map((m) => m[1] ?? m[2]!));
}

describe('MMLU through an agent job', () => {
  it('stores per-question log-probabilities that match a direct onnxruntime computation', async () => {
    const { report, raw } = await runJob(models['tiny-lm']!, { accuracy: { mmlu: { shots: 5 } } });
    const questions = raw.accuracy.mmlu.questions;
    const answers = builtinTestAnswers();
    expect(questions.map((q) => [q.subject, q.answer])).toEqual(answers.map((a) => [a.subject, a.answer]));
    // Every question (Korean ones included), scored independently; the harness reuses the KV cache of
    // the shared few-shot prefix, which must not change the scores beyond float rounding.
    for (const q of questions) {
      const subject = BUILTIN_MMLU_SUBJECTS[q.subject]!;
      const expected = await directLogprobs('tiny-lm', q.subject, rows(subject.dev).slice(0, 5), rows(subject.test)[q.index]!);
      q.logprobs.forEach((lp, i) => expect(lp).toBeCloseTo(expected[i]!, 3));
      expect(q.prediction).toBe('ABCD'[expected.indexOf(Math.max(...expected))]);
      expect(q.shotsUsed).toBe(5);
    }
    const correct = questions.filter((q) => q.prediction === q.answer).length;
    const mmlu = report.summary.accuracy.mmlu!;
    expect(mmlu.questionCount).toBe(46);
    expect(mmlu.correct).toBe(correct);
    expect(mmlu.accuracy).toBe(correct / 46);
  }, 180_000);

  it('scores a model that always answers B at exactly the share of B answers', async () => {
    const { report, raw } = await runJob(models['tiny-lm-favours-b']!, { accuracy: { mmlu: {} } });
    expect(new Set(raw.accuracy.mmlu.questions.map((q) => q.prediction))).toEqual(new Set(['B']));
    const answers = builtinTestAnswers();
    const mmlu = report.summary.accuracy.mmlu!;
    expect(mmlu.correct).toBe(answers.filter((a) => a.answer === 'B').length);
    expect(mmlu.accuracy).toBe(answers.filter((a) => a.answer === 'B').length / answers.length);
    const subjects = [...new Set(answers.map((a) => a.subject))];
    const perSubject = subjects.map((s) => answers.filter((a) => a.subject === s && a.answer === 'B').length / answers.filter((a) => a.subject === s).length);
    expect(mmlu.subjects.map((s) => s.accuracy)).toEqual(perSubject);
    expect(mmlu.macroAccuracy).toBeCloseTo(perSubject.reduce((a, b) => a + b, 0) / perSubject.length, 12);
  }, 180_000);

  it('refuses MMLU on a single .onnx model', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: models['mlp-classifier.onnx'], device: 'cpu-acc', suite: { accuracy: { mmlu: {} } } } });
    expectProblem(res, 422, 'suite.needs_llm_bundle');
  });
});

describe('fidelity against a reference model', () => {
  it('gives cosine 1, full agreement and PASS for identical models', async () => {
    const { report } = await runJob(models['tiny-lm']!, { accuracy: { mmlu: { subjects: ['korean_culture', 'basic_arithmetic'] }, gate: {} } }, { referenceModelId: models['tiny-lm'] });
    const { mmlu, fidelity, gate } = report.summary.accuracy;
    expect(mmlu!.reference!.predictionAgreement).toBe(1);
    for (const output of fidelity!.outputs) {
      expect(output.cosineSimilarity).toBeCloseTo(1, 12);
      expect(output.maxAbsError).toBe(0);
    }
    expect(gate).toMatchObject({ metric: 'mmlu.accuracy', relativeScore: 1, result: 'PASS' });
  }, 180_000);

  it('reports the agreement of a perturbed LM with its original', async () => {
    const { report, raw } = await runJob(models['tiny-lm-perturbed']!, { accuracy: { mmlu: {} } }, { referenceModelId: models['tiny-lm'] });
    const own = await runJob(models['tiny-lm']!, { accuracy: { mmlu: {} } });
    const candidate = raw.accuracy.mmlu.questions.map((q) => q.prediction);
    const original = own.raw.accuracy.mmlu.questions.map((q) => q.prediction);
    // The reference answers recorded in the job are the original model's own answers.
    expect(raw.accuracy.mmlu.reference!.map((r) => r.prediction)).toEqual(original);
    const agreement = candidate.filter((p, i) => p === original[i]).length / candidate.length;
    expect(report.summary.accuracy.mmlu!.reference!.predictionAgreement).toBe(agreement);
    const logits = report.summary.accuracy.fidelity!.outputs.find((o) => o.name === 'logits')!;
    expect(logits.cosineSimilarity).toBeGreaterThan(0.99);
    expect(logits.cosineSimilarity).toBeLessThan(1);
  }, 240_000);

  it('reports top-1/top-5 agreement of a perturbed classifier and gates on it', async () => {
    const { report } = await runJob(models['mlp-classifier-perturbed.onnx']!, { dynamicDims: { batch: 4 }, accuracy: { fidelitySamples: 8, gate: { minRelativeScore: 0.99 } } }, { referenceModelId: models['mlp-classifier.onnx'] });
    // Independently: both models on the same synthetic inputs (the latency run's generator, seed + i).
    const a = await InferenceSession.create(fixtureModel('mlp-classifier-perturbed.onnx'));
    const b = await InferenceSession.create(fixtureModel('mlp-classifier.onnx'));
    let agree = 0;
    let rowsSeen = 0;
    for (let i = 0; i < 8; i++) {
      const [input] = createSyntheticInputs([{ name: 'input', elementType: 'float32', shape: ['batch', 64] }], { seed: 2085463073 + i, dynamicDims: { batch: 4 } });
      const feed = { input: new Tensor('float32', input!.data as Float32Array, input!.dims) };
      const pa = (await a.run(feed)).probabilities!.data as Float32Array;
      const pb = (await b.run(feed)).probabilities!.data as Float32Array;
      for (let row = 0; row < 4; row++) {
        const ra = Array.from(pa.subarray(row * 10, row * 10 + 10));
        const rb = Array.from(pb.subarray(row * 10, row * 10 + 10));
        if (ra.indexOf(Math.max(...ra)) === rb.indexOf(Math.max(...rb))) agree++;
        rowsSeen++;
      }
    }
    const output = report.summary.accuracy.fidelity!.outputs.find((o) => o.name === 'probabilities')!;
    expect(output.top1Agreement).toBe(agree / rowsSeen);
    expect(output.top5Agreement).toBe(1);
    const gate = report.summary.accuracy.gate!;
    expect(gate.metric).toBe('top1Agreement');
    expect(gate.result).toBe(agree / rowsSeen >= 0.99 ? 'PASS' : 'FAIL');
  }, 180_000);
});

describe('classification accuracy on a labelled input set', () => {
  it('gives the exact top-1/top-5 accuracy of labels built from the model\'s own answers', async () => {
    // Labels: the FP32 model's own top class for rows 0-6 (correct by construction), its second-best
    // class for rows 7-9 (wrong at top-1, right at top-5).
    const session = await InferenceSession.create(fixtureModel('mlp-classifier.onnx'));
    const samples = [];
    for (let i = 0; i < 10; i++) {
      const data = Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j));
      const scores = Array.from((await session.run({ input: new Tensor('float32', Float32Array.from(data), [1, 64]) })).probabilities!.data as Float32Array);
      const ranked = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]!);
      samples.push({ inputs: { input: { elementType: 'float32', dims: [1, 64], data } }, label: i < 7 ? ranked[0] : ranked[1] });
    }
    await session.release();
    const file = JSON.stringify({ format: 'npubench.labelled-inputs/v1', output: 'probabilities', samples });
    const up = await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendor.key), payload: bytesForm(Buffer.from(file), 'labels.json', { name: 'mlp-labels' }) });
    expect(up.statusCode, up.body).toBe(201);
    const dataset = up.json() as { ref: string; format: string; questionCount: number };
    expect(dataset).toMatchObject({ format: 'labelled-inputs', questionCount: 10 });

    const { report } = await runJob(models['mlp-classifier.onnx']!, { accuracy: { classification: { dataset: dataset.ref } } });
    const summary = (report.summary.accuracy as unknown as { classification: { rows: number; top1Accuracy: number; top5Accuracy: number; reference: null } }).classification;
    expect(summary).toMatchObject({ rows: 10, top1Accuracy: 0.7, top5Accuracy: 1, reference: null });

    const gated = await runJob(models['mlp-classifier-perturbed.onnx']!, { accuracy: { classification: { dataset: dataset.ref }, gate: {} } }, { referenceModelId: models['mlp-classifier.onnx'] });
    const withReference = (gated.report.summary.accuracy as unknown as { classification: { reference: { top1Accuracy: number } } }).classification;
    expect(withReference.reference.top1Accuracy).toBe(0.7);
    expect(gated.report.summary.accuracy.gate).toMatchObject({ metric: 'classification.top1Accuracy' });

    // The same set inside an archive, one folder down: the upload and the agent both find the file in it.
    const archived = await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendor.key), payload: bytesForm(await tarOf({ 'set/labelled-inputs.json': file }), 'labels.tar', { name: 'mlp-labels-tar' }) });
    expect(archived.statusCode, archived.body).toBe(201);
    const archivedRef = (archived.json() as { ref: string; format: string; questionCount: number });
    expect(archivedRef).toMatchObject({ format: 'labelled-inputs', questionCount: 10 });
    const fromArchive = await runJob(models['mlp-classifier.onnx']!, { accuracy: { classification: { dataset: archivedRef.ref } } });
    expect((fromArchive.report.summary.accuracy as unknown as { classification: unknown }).classification).toMatchObject({ rows: 10, top1Accuracy: 0.7, top5Accuracy: 1 });
  }, 300_000);

  it('refuses a classification job naming an MMLU dataset', async () => {
    const up = await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendor.key), payload: bytesForm(await tarOf({ 'x_dev.csv': 'Q?,a,b,c,d,A\n', 'x_test.csv': 'Q?,a,b,c,d,B\n' }), 'mmlu.tar', { name: 'mmlu-x' }) });
    const ref = (up.json() as { ref: string }).ref;
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: models['mlp-classifier.onnx'], device: 'cpu-acc', suite: { accuracy: { classification: { dataset: ref } } } } });
    expectProblem(res, 422, 'dataset.wrong_format');
  });
});

describe('LLM latency', () => {
  it('records per-token times for fixed lengths and a greedy continuation that matches cache-free decoding', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: models['tiny-lm'], device: 'cpu-acc', suite: { preset: 'smoke', llm: { preset: 'short', runs: 3 } } } });
    expect(res.statusCode, res.body).toBe(201);
    const job = await waitForJob(t, (res.json() as { id: string }).id, 120_000);
    expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
    const view = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: bearer(vendor.key) })).json() as { reportId: string; suite: { llm: unknown } };
    expect(view.suite.llm).toEqual({ preset: 'short', promptTokens: 128, outputTokens: 32, runs: 3, warmupRuns: 1 });
    const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}`, headers: bearer(vendor.key) })).json() as { summary: { llm: { runs: number; ttft: { count: number; p50Ns: number }; tpot: { meanNs: number }; outputTokensPerSecond: number } } };
    const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}/raw-samples`, headers: bearer(vendor.key) })).json() as { llm: { runs: { tokenNs: number[] }[]; outputTokenIds: number[] } };
    expect(raw.llm.runs).toHaveLength(3);
    for (const run of raw.llm.runs) {
      expect(run.tokenNs).toHaveLength(32);
      run.tokenNs.forEach((ns, i) => expect(ns).toBeGreaterThanOrEqual(i === 0 ? 1 : run.tokenNs[i - 1]!));
    }
    const totalNs = raw.llm.runs.reduce((sum, run) => sum + run.tokenNs[31]!, 0);
    expect(report.summary.llm.outputTokensPerSecond).toBeCloseTo((32 * 3) / (totalNs / 1e9), 9);
    const ttfts = raw.llm.runs.map((run) => run.tokenNs[0]!).sort((a, b) => a - b);
    expect(report.summary.llm.ttft).toMatchObject({ count: 3, p50Ns: ttfts[1] });
    // The mean is truncated to a whole ns, as LoadGen does.
    const meanTpot = raw.llm.runs.reduce((sum, run) => sum + (run.tokenNs[31]! - run.tokenNs[0]!) / 31, 0) / 3;
    expect(report.summary.llm.tpot.meanNs).toBeLessThanOrEqual(meanTpot + 1e-6);
    expect(report.summary.llm.tpot.meanNs).toBeGreaterThan(meanTpot - 1);

    // Cache-free greedy decoding of the same prompt, computed here.
    const dir = fixtureLlm('tiny-lm');
    const tokenizer = newHfTokenizer(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as object, JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as object);
    const text = Object.values(BUILTIN_MMLU_SUBJECTS).map((s) => s.test).join('\n');
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids.slice(0, 128);
    const session = await InferenceSession.create(join(dir, 'model.onnx'));
    const generated: number[] = [];
    for (let step = 0; step < 32; step++) {
      const seq = [...ids, ...generated];
      const n = seq.length;
      const feeds: Record<string, Tensor> = {
        input_ids: new Tensor('int64', BigInt64Array.from(seq, BigInt), [1, n]),
        attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
        position_ids: new Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), [1, n]),
      };
      for (let layer = 0; layer < 2; layer++) for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = new Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
      const logits = (await session.run(feeds)).logits!;
      const vocab = logits.dims[2]!;
      const last = Array.from((logits.data as Float32Array).subarray((n - 1) * vocab, n * vocab));
      generated.push(last.indexOf(Math.max(...last)));
    }
    await session.release();
    expect(raw.llm.outputTokenIds).toEqual(generated);
  }, 180_000);

  it('refuses LLM latency on a single .onnx model', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: models['mlp-classifier.onnx'], device: 'cpu-acc', suite: { llm: {} } } });
    expectProblem(res, 422, 'suite.needs_llm_bundle');
  });
});
