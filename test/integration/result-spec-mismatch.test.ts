// An agent's result must have been measured with the suite the job asked for. A result measured with
// another spec is internally consistent (its summary follows from its raw samples), so only the check
// against the job's own suite can refuse it.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createAgent } from '../../src/services/agents/agents.js';
import { runBenchmark, verifySummaryAgainstRawSamples, type BenchmarkResult } from '../../src/harness/index.js';
import type { SuiteSpec } from '../../src/harness/suite-spec.js';

const MLP = fixtureModel('mlp-classifier.onnx');
let t: TestApi;
let agentToken: string;
let jobId: string;
let suite: SuiteSpec;

beforeAll(async () => {
  t = await startTestApi();
  const admin = await t.createOrgWithKey('ADMIN');
  const vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-spec', name: 'CPU', manufacturer: 'test' } });
  agentToken = (await createAgent(t.deps.db, { name: 'spec-agent', devices: ['cpu-spec'] })).token;
  const model = (await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(MLP, { name: 'mlp' }) })).json() as { id: string };
  const job = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model.id, device: 'cpu-spec', suite: { preset: 'smoke' } } });
  expect(job.statusCode, job.body).toBe(201);
  jobId = (job.json() as { id: string }).id;
  const claim = await t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${jobId}/claim`, headers: bearer(agentToken) });
  expect(claim.statusCode, claim.body).toBe(200);
  suite = (claim.json() as { suite: SuiteSpec }).suite;
});

const measure = (spec: SuiteSpec) => runBenchmark({ modelPath: MLP, spec, backend: { executionProvider: 'cpu', intraOpNumThreads: 1 } });

function upload(result: BenchmarkResult) {
  const form = new FormData();
  form.set('summary', JSON.stringify(result.summary));
  form.set('environment', JSON.stringify(result.environment));
  form.set('raw', new Blob([JSON.stringify(result.rawSamples)], { type: 'application/json' }), 'raw-samples.json');
  return t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${jobId}/result`, headers: bearer(agentToken), payload: form });
}

describe('a result measured with another suite spec', () => {
  it('is refused with result.spec_mismatch although its summary follows from its raw samples', async () => {
    // An agent that ran a lighter suite than the job asked for: fewer queries, no minimum duration.
    const lighter = await measure({ ...suite, minQueryCount: 8, minDurationMs: 0 });
    expect(verifySummaryAgainstRawSamples(lighter.summary, lighter.rawSamples)).toEqual([]);
    expectProblem(await upload(lighter), 422, 'result.spec_mismatch');
    expect(await t.deps.db.report.count({ where: { jobId } })).toBe(0);
  });

  it('is stored when measured with the job suite', async () => {
    const res = await upload(await measure(suite));
    expect(res.statusCode, res.body).toBe(201);
    const report = await t.deps.db.report.findFirstOrThrow({ where: { jobId } });
    expect((report.summary as { spec: unknown }).spec).toEqual(suite);
  });
});
