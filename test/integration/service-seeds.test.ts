// The service chooses every job's QSL, sample-index and schedule seeds (issue #16 item 2): a client
// cannot name them, the claimed suite carries them to the agent, the report records them as
// service-chosen (and the MLPerf summary writes them), and the certificate issuer refuses a report whose
// seeds the vendor could have chosen or that differ from the ones the service drew.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createAgent } from '../../src/services/agents/agents.js';
import { formatMlperfSummary, resolveSuiteSpec, runBenchmark, type BenchmarkResult } from '../../src/harness/index.js';
import type { SuiteSpec } from '../../src/harness/suite-spec.js';

const MLP = fixtureModel('mlp-classifier.onnx');
const DEVICE = 'cpu-seeds';
let t: TestApi;
let admin: { key: string };
let vendor: { key: string; orgId: string };
let agentToken: string;
let modelId: string;
let profileId: string;

beforeAll(async () => {
  t = await startTestApi();
  admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: DEVICE, name: 'CPU', manufacturer: 'test' } });
  agentToken = (await createAgent(t.deps.db, { name: 'seeds-agent', devices: [DEVICE] })).token;
  modelId = ((await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(MLP, { name: 'mlp' }) })).json() as { id: string }).id;
  const profile = await t.app.inject({
    method: 'POST',
    url: '/v1/profiles',
    headers: bearer(admin.key),
    payload: { name: 'seeds-lenient', version: 1, title: 'Lenient', description: '', rules: { latency: { percentile: 90, maxMs: 60_000 } }, validityDays: 30 },
  });
  expect(profile.statusCode, profile.body).toBe(201);
  profileId = (profile.json() as { id: string }).id;
});

const submit = (suite: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: DEVICE, suite } });

async function submitted(): Promise<string> {
  const res = await submit({ preset: 'smoke' });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { id: string }).id;
}

async function claim(jobId: string): Promise<SuiteSpec> {
  const res = await t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${jobId}/claim`, headers: bearer(agentToken) });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { suite: SuiteSpec }).suite;
}

const measure = (spec: SuiteSpec) => runBenchmark({ modelPath: MLP, spec, backend: { executionProvider: 'cpu', intraOpNumThreads: 1 } });

async function upload(jobId: string, result: BenchmarkResult): Promise<string> {
  const form = new FormData();
  form.set('summary', JSON.stringify(result.summary));
  form.set('environment', JSON.stringify(result.environment));
  form.set('raw', new Blob([JSON.stringify(result.rawSamples)], { type: 'application/json' }), 'raw-samples.json');
  const res = await t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${jobId}/result`, headers: bearer(agentToken), payload: form });
  expect(res.statusCode, res.body).toBe(201);
  return (await t.deps.db.report.findUniqueOrThrow({ where: { jobId } })).id;
}

const certify = (reportId: string) => t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(admin.key), payload: { reportId, profileId } });

/** The seeds as the job row holds them: the service's own record, read past the API. */
async function storedSeeds(jobId: string) {
  const job = await t.deps.db.job.findUniqueOrThrow({ where: { id: jobId } });
  return (job.suite as { sampleSeeds?: { qslSeed: number; sampleIndexSeed: number; scheduleSeed: number; chosenBy: string } }).sampleSeeds;
}

describe('service-chosen seeds', () => {
  it('a client that names sampleSeeds is refused before anything is stored', async () => {
    const before = await t.deps.db.job.count();
    const body = expectProblem(await submit({ preset: 'smoke', sampleSeeds: { qslSeed: 1, sampleIndexSeed: 2, scheduleSeed: 3, chosenBy: 'service' } }), 400, 'suite.seeds_service_chosen');
    expect(body.errors).toEqual([{ path: 'suite.sampleSeeds', message: 'chosen by the service' }]);
    expect(await t.deps.db.job.count()).toBe(before);
  });

  it('every job gets its own three seeds, and the claim hands them to the agent', async () => {
    const [first, second] = [await submitted(), await submitted()];
    const [a, b] = [await storedSeeds(first), await storedSeeds(second)];
    expect(a?.chosenBy).toBe('service');
    for (const seeds of [a!, b!]) for (const seed of [seeds.qslSeed, seeds.sampleIndexSeed, seeds.scheduleSeed]) expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
    // Drawn independently: two jobs sharing all three by chance has probability 2^-96.
    expect([a!.qslSeed, a!.sampleIndexSeed, a!.scheduleSeed]).not.toEqual([b!.qslSeed, b!.sampleIndexSeed, b!.scheduleSeed]);
    expect((await claim(first)).sampleSeeds).toEqual(a);
  });

  it('the report records the service seeds, the MLPerf summary writes them, and the report can be certified', async () => {
    const jobId = await submitted();
    const suite = await claim(jobId);
    const drawn = (await storedSeeds(jobId))!;
    const result = await measure(suite);
    expect(result.summary.sampleSet).toEqual({ performanceSampleCount: 64, qslSeed: drawn.qslSeed, sampleIndexSeed: drawn.sampleIndexSeed, scheduleSeed: drawn.scheduleSeed, chosenBy: 'service', source: { kind: 'synthetic', reason: 'the run names no dataset of model inputs' } });
    const mlperf = formatMlperfSummary(result.summary, result.environment);
    expect(mlperf).toContain(`qsl_rng_seed : ${drawn.qslSeed}\n`);
    expect(mlperf).toContain(`sample_index_rng_seed : ${drawn.sampleIndexSeed}\n`);
    expect(mlperf).toContain(`schedule_rng_seed : ${drawn.scheduleSeed}\n`);
    // With service seeds the spec's own seed no longer picks the latency run's inputs or their order.
    const otherSeed = await measure(resolveSuiteSpec({ ...suite, seed: (suite.seed + 1) % 2 ** 32 }));
    expect(otherSeed.summary.sampleSet).toEqual(result.summary.sampleSet);
    const res = await certify(await upload(jobId, result));
    expect(res.statusCode, res.body).toBe(201);
  }, 120_000);

  it('attack: a report claiming service seeds other than the job drew is refused', async () => {
    const jobId = await submitted();
    const suite = await claim(jobId);
    const result = await measure(suite);
    // A vendor-friendly sample set, with the summary and raw samples kept consistent so the upload passes.
    const forged = { ...result.summary.sampleSet!, qslSeed: (result.summary.sampleSet!.qslSeed + 1) % 2 ** 32 };
    const reportId = await upload(jobId, { ...result, summary: { ...result.summary, sampleSet: forged }, rawSamples: { ...result.rawSamples, sampleSet: forged } });
    expectProblem(await certify(reportId), 422, 'certificate.seeds_not_service_chosen');
    expect(await t.deps.db.certificate.count({ where: { reportId } })).toBe(0);
  }, 120_000);

  it('attack: a run on client-chosen seeds cannot produce a certifiable report', async () => {
    // A job whose suite carries no service seeds (one from before them, or written past the API): the
    // run derives its seeds from the spec's seed, which the client chose.
    const model = await t.deps.db.model.findUniqueOrThrow({ where: { id: modelId } });
    const device = await t.deps.db.device.findUniqueOrThrow({ where: { slug: DEVICE } });
    const clientSuite = resolveSuiteSpec({ preset: 'smoke', seed: 42 });
    const job = await t.deps.db.job.create({ data: { id: randomUUID(), orgId: model.orgId, modelId, deviceId: device.id, suite: clientSuite, status: 'QUEUED' } });
    const result = await measure(await claim(job.id));
    expect(result.summary.sampleSet?.chosenBy).toBe('client');
    const reportId = await upload(job.id, result);
    expectProblem(await certify(reportId), 422, 'certificate.seeds_not_service_chosen');
    // Relabelling the client seeds as the service's does not help: the job row holds no service seeds.
    const relabelled = await t.deps.db.job.create({ data: { id: randomUUID(), orgId: model.orgId, modelId, deviceId: device.id, suite: clientSuite, status: 'QUEUED' } });
    const again = await measure(await claim(relabelled.id));
    const claimed = { ...again.summary.sampleSet!, chosenBy: 'service' as const };
    const relabelledId = await upload(relabelled.id, { ...again, summary: { ...again.summary, sampleSet: claimed }, rawSamples: { ...again.rawSamples, sampleSet: claimed } });
    expectProblem(await certify(relabelledId), 422, 'certificate.seeds_not_service_chosen');
  }, 120_000);
});
