// The API does not take an agent's accuracy figures on trust: it recomputes them from the uploaded
// raw record. A real harness run produces an honest result; an inflated score or a prediction that
// does not follow from its log-probabilities is refused, and the honest upload is stored.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm } from '../helpers/fixtures.js';
import { fixtureBundle, fixtureLlm } from '../helpers/archives.js';
import { createAgent } from '../../src/services/agents/agents.js';
import { runBenchmark, type BenchmarkResult } from '../../src/harness/index.js';
import type { SuiteSpec } from '../../src/harness/suite-spec.js';

let t: TestApi;
let agentToken: string;
let jobId: string;
let honest: BenchmarkResult;

beforeAll(async () => {
  t = await startTestApi();
  const admin = await t.createOrgWithKey('ADMIN');
  const vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-acc', name: 'CPU', manufacturer: 'test' } });
  agentToken = (await createAgent(t.deps.db, { name: 'recompute-agent', devices: ['cpu-acc'] })).token;
  const model = (await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(await readFile(fixtureBundle('tiny-lm.tar.gz')), 'tiny-lm.tar.gz') })).json() as { id: string };
  const job = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model.id, device: 'cpu-acc', suite: { preset: 'smoke', accuracy: { mmlu: { subjects: ['korean_science'] } }, llm: { runs: 2 } } } });
  jobId = (job.json() as { id: string }).id;
  const claim = await t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${jobId}/claim`, headers: bearer(agentToken) });
  expect(claim.statusCode, claim.body).toBe(200);
  const dir = fixtureLlm('tiny-lm');
  honest = await runBenchmark({
    modelPath: `${dir}/model.onnx`,
    spec: (claim.json() as { suite: SuiteSpec }).suite,
    backend: { executionProvider: 'cpu' },
    accuracy: { backend: { executionProvider: 'cpu' }, bundleDir: dir },
  });
}, 120_000);

function upload(summary: unknown, raw: unknown) {
  const form = new FormData();
  form.set('summary', JSON.stringify(summary));
  form.set('environment', JSON.stringify(honest.environment));
  form.set('raw', new Blob([JSON.stringify(raw)], { type: 'application/json' }), 'raw-samples.json');
  return t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${jobId}/result`, headers: bearer(agentToken), payload: form });
}

describe('accuracy results are recomputed on upload', () => {
  it('refuses an inflated MMLU score', async () => {
    const summary = structuredClone(honest.summary);
    summary.accuracy!.mmlu!.correct = summary.accuracy!.mmlu!.questionCount;
    summary.accuracy!.mmlu!.accuracy = 1;
    const body = expectProblem(await upload(summary, honest.rawSamples), 422, 'result.summary_mismatch');
    expect(body.fields).toEqual(['accuracy']);
  });

  it('refuses faster LLM token times than the record holds', async () => {
    const summary = structuredClone(honest.summary);
    summary.llm!.outputTokensPerSecond *= 2;
    expect(expectProblem(await upload(summary, honest.rawSamples), 422, 'result.summary_mismatch').fields).toEqual(['llm']);
  });

  it('refuses a record whose prediction does not follow from its log-probabilities', async () => {
    const raw = structuredClone(honest.rawSamples);
    const question = raw.accuracy!.mmlu!.questions[0]!;
    question.prediction = question.prediction === 'A' ? 'B' : 'A';
    const body = expectProblem(await upload(honest.summary, raw), 422, 'harness.invalid_raw_samples');
    expect(body.detail).toMatch(/log-probabilities give/);
  });

  it('stores the honest result with the figures it recomputed', async () => {
    const res = await upload(honest.summary, honest.rawSamples);
    expect(res.statusCode, res.body).toBe(201);
    const report = await t.deps.db.report.findFirstOrThrow({ where: { jobId } });
    expect((report.summary as { accuracy: unknown }).accuracy).toEqual(honest.summary.accuracy);
  });
});
