// The API replays a Server rate search on upload and does not take the agent's word for the rate: a real
// harness run of the MLP fixture with a search is stored, while the same record claiming a higher final
// rate than its steps justify (its reported run rescheduled to match, so only the replay can tell) or
// with its steps reordered is refused before anything is stored.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createAgent } from '../../src/services/agents/agents.js';
import { runBenchmark, type BenchmarkResult, type RawSamples } from '../../src/harness/index.js';
import { serverScheduleOf } from '../../src/harness/report-format.js';
import type { SuiteSpec } from '../../src/harness/suite-spec.js';

let t: TestApi;
let agentToken: string;
let jobId: string;
let spec: SuiteSpec;
let honest: BenchmarkResult;

beforeAll(async () => {
  t = await startTestApi();
  const admin = await t.createOrgWithKey('ADMIN');
  const vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-search', name: 'CPU', manufacturer: 'test' } });
  agentToken = (await createAgent(t.deps.db, { name: 'search-agent', devices: ['cpu-search'] })).token;
  const model = (await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp-search' }) })).json() as { id: string };
  // A given start rate, so the first step's rate is known here; three steps at most.
  const suite = { scenario: 'server', targetPercentile: 90, minQueryCount: 64, minDurationMs: 0, targetLatencyMs: 25, dynamicDims: { batch: 1 }, serverSearch: { startQps: 200, maxSteps: 3, stepMinDurationMs: 0 } };
  const job = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model.id, device: 'cpu-search', suite } });
  expect(job.statusCode, job.body).toBe(201);
  jobId = (job.json() as { id: string }).id;
  const claim = await t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${jobId}/claim`, headers: bearer(agentToken) });
  expect(claim.statusCode, claim.body).toBe(200);
  spec = (claim.json() as { suite: SuiteSpec }).suite;
  honest = await runBenchmark({ modelPath: fixtureModel('mlp-classifier.onnx'), spec, backend: { executionProvider: 'cpu', intraOpNumThreads: 1 } });
}, 300_000);

function upload(raw: RawSamples) {
  const form = new FormData();
  form.set('summary', JSON.stringify(honest.summary));
  form.set('environment', JSON.stringify(honest.environment));
  form.set('raw', new Blob([JSON.stringify(raw)], { type: 'application/json' }), 'raw-samples.json');
  return t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${jobId}/result`, headers: bearer(agentToken), payload: form });
}

describe('a searched Server result is replayed on upload', () => {
  it('refuses a final rate the steps do not justify, even with a reported run scheduled at it', async () => {
    const raw = structuredClone(honest.rawSamples);
    const search = raw.serverSearch!;
    // A rate the search did not find: the highest step tried when that is not the found one, else twice the found.
    const tried = Math.max(...search.steps.map((s) => s.targetQps));
    const forged = tried !== search.finalQps ? tried : search.finalQps * 2;
    search.finalQps = forged;
    // The reported run rebuilt on the forged rate's own schedule, every query 1 ms: its schedule checks pass.
    raw.runs = raw.runs.map(() => ({ queries: Array.from(serverScheduleOf({ ...spec, targetQps: forged }), (at): [number, number, number] => [at, at, at + 1e6]) }));
    const body = expectProblem(await upload(raw), 422, 'harness.invalid_raw_samples');
    expect(body.detail).toMatch(new RegExp(`final run is at ${forged} QPS; the search found ${honest.rawSamples.serverSearch!.finalQps}`));
    expect(await t.deps.db.report.count({ where: { jobId } })).toBe(0);
  });

  it('refuses the steps reordered', async () => {
    const raw = structuredClone(honest.rawSamples);
    const steps = raw.serverSearch!.steps;
    expect(steps[0]!.targetQps).toBe(200);
    expect(steps.length).toBeGreaterThanOrEqual(2);
    [steps[0], steps[1]] = [steps[1]!, steps[0]!];
    const body = expectProblem(await upload(raw), 422, 'harness.invalid_raw_samples');
    expect(body.detail).toMatch(new RegExp(`step 0 ran at ${steps[0]!.targetQps} QPS; the search chooses 200`));
    expect(await t.deps.db.report.count({ where: { jobId } })).toBe(0);
  });

  it('stores the honest record, its search as the raw steps give it', async () => {
    const res = await upload(honest.rawSamples);
    expect(res.statusCode, res.body).toBe(201);
    const report = await t.deps.db.report.findFirstOrThrow({ where: { jobId } });
    const stored = (report.summary as { serverSearch: { steps: { targetQps: number; percentileLatencyNs: number }[]; finalQps: number } }).serverSearch;
    expect(stored.finalQps).toBe(honest.rawSamples.serverSearch!.finalQps);
    // Each step's p90 as LoadGen takes it, sorted[floor(n·0.9)] of end − scheduled, written here.
    honest.rawSamples.serverSearch!.steps.forEach((step, i) => {
      const latencies = step.queries.map(([scheduled, , end]) => end - scheduled).sort((a, b) => a - b);
      expect(stored.steps[i]).toMatchObject({ targetQps: step.targetQps, percentileLatencyNs: latencies[Math.floor(latencies.length * 0.9)] });
    });
  });
});
