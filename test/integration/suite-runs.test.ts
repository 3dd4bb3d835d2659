// #17's acceptance for suite runs on the CPU host, with real agents, real models and a simulated lab
// power meter (PTDaemon protocol): `POST /v1/suite-runs {suite: npubench-edge@1}` runs every workload ×
// required scenario as jobs and yields ONE signed suite report whose subjects are every workload report;
// a profile requiring accuracy, fidelity and power PASSes tiny-cnn's image-classification report from the
// run and FAILs the broken-quantized variant's on its quality rule; a run resumes after an agent dies,
// without rerunning what finished. Every checked figure is recomputed here (onnxruntime, node:crypto).
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { PtdaemonSimulator } from '../helpers/ptdaemon-simulator.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { syntheticImages } from '../../src/harness/index.js';
import { createRedis } from '../../src/lib/redis.js';
import { createLogger } from '../../src/lib/logger.js';
import { Agent } from '../../src/workers/agent/agent.js';
import { createAgent } from '../../src/services/agents/agents.js';
import { claimJob } from '../../src/services/jobs/job-execution.js';
import { reconcileJobs } from '../../src/services/jobs/reconciler.js';
import type { SuiteReport, SuiteRun } from '../../src/contracts/suite-runs.js';

const DEVICE = 'cpu-host-metered';
const SPARE_DEVICE = 'cpu-host-spare';
const SUITE = 'npubench-edge@1';
const BROKEN = 'tiny-cnn-int8-qdq-broken.onnx';
// npubench-edge@1's image-classification target, with a certified-power rule: what "accuracy, fidelity and
// power" means for this workload. (edge-vision-energy@1 asks for 100 samples; the suite's image set has 64.)
const PROFILE_RULES = {
  accuracy: { minRelativeToReference: 0.99, minSamples: 64 },
  fidelity: { minCosine: 0.995, minTop1Agreement: 0.99, minSamples: 64 },
  power: { required: true, meterClass: 'lab', maxUncertaintyPct: 1 },
};

let t: TestApi;
let simulator: PtdaemonSimulator;
let admin: { key: string };
let certifier: { key: string };
let vendor: { key: string };
let otherVendor: { key: string };
let brokenModelId: string;
let profileId: string;
let fullRun: SuiteRun;
let brokenRun: SuiteRun;

async function waitForRun(id: string, key: string, timeoutMs: number): Promise<SuiteRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${id}`, headers: bearer(key) });
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json() as SuiteRun;
    if (run.status === 'FINISHED') return run;
    if (Date.now() > deadline) throw new Error(`suite run ${id} still running: ${JSON.stringify(run.workloads.map((w) => w.entries.map((e) => `${w.id}/${e.scenario} ${e.status}`)))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function suiteReport(id: string, key = vendor.key): Promise<SuiteReport> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${id}/report`, headers: bearer(key) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as SuiteReport;
}

beforeAll(async () => {
  simulator = await PtdaemonSimulator.start({ power: () => 30, uncertaintyPct: 0.5 });
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER');
  vendor = await t.createOrgWithKey('VENDOR');
  otherVendor = await t.createOrgWithKey('VENDOR');
  const metered = { slug: DEVICE, name: 'CPU host, lab-metered', manufacturer: 'test', powerMeter: { kind: 'ptdaemon', host: '127.0.0.1', port: simulator.port, intervalMs: 20, rangeSettleMs: 0, timeoutMs: 5_000 } };
  for (const device of [metered, { slug: SPARE_DEVICE, name: 'CPU host, spare', manufacturer: 'test' }]) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: device });
    expect(res.statusCode, res.body).toBe(201);
  }
  await startTestAgent(t, [DEVICE], { harnessTimeoutMs: 600_000 });
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel(BROKEN), { name: 'tiny-cnn-broken', variantOf: createHash('sha256').update(readFileSync(fixtureModel('tiny-cnn.onnx'))).digest('hex'), variantTechnique: 'quantization' }) });
  expect(up.statusCode, up.body).toBe(201);
  brokenModelId = (up.json() as { id: string }).id;
  const profile = await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(admin.key), payload: { name: 'suite-image-classification-energy', version: 1, title: 'Image classification: suite quality and certified energy', description: '', rules: PROFILE_RULES, validityDays: 30 } });
  expect(profile.statusCode, profile.body).toBe(201);
  profileId = (profile.json() as { id: string }).id;

  // The whole suite with the reference models, on the smoke preset (recorded as not conforming).
  const res = await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendor.key), payload: { suite: SUITE, device: DEVICE, reducedPreset: 'smoke' } });
  expect(res.statusCode, res.body).toBe(201);
  fullRun = await waitForRun((res.json() as SuiteRun).id, vendor.key, 1_500_000);
  const broken = await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendor.key), payload: { suite: SUITE, device: DEVICE, reducedPreset: 'smoke', workloads: ['image-classification'], models: { 'image-classification': brokenModelId } } });
  expect(broken.statusCode, broken.body).toBe(201);
  brokenRun = await waitForRun((broken.json() as SuiteRun).id, vendor.key, 600_000);
}, 2_400_000);
afterAll(async () => simulator.close());

/** DSSE PAE and Ed25519 with node:crypto, against the key the service publishes. */
async function verifyEnvelope(envelope: SuiteReport['envelope']): Promise<boolean> {
  const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: { kid: string; kty: string; crv: string; x: string }[] };
  const body = Buffer.from(envelope.payload, 'base64');
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(envelope.payloadType)} ${envelope.payloadType} ${body.length} `), body]);
  return envelope.signatures.some((s) => {
    const jwk = jwks.keys.find((k) => k.kid === s.keyid);
    return jwk !== undefined && verify(null, pae, createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' }), Buffer.from(s.sig, 'base64'));
  });
}

/** Top-1 agreement of `file` with tiny-cnn on the suite's 64 images, and min cosine of their logits. */
async function independentImageQuality(file: string) {
  const candidate = await InferenceSession.create(fixtureModel(file));
  const reference = await InferenceSession.create(fixtureModel('tiny-cnn.onnx'));
  let agree = 0;
  const images = syntheticImages();
  for (const data of images) {
    const feed = { image: new Tensor('float32', data, [1, 3, 32, 32]) };
    const a = Array.from((await candidate.run(feed)).logits!.data as Float32Array);
    const b = Array.from((await reference.run(feed)).logits!.data as Float32Array);
    if (a.indexOf(Math.max(...a)) === b.indexOf(Math.max(...b))) agree += 1;
  }
  return { top1Agreement: agree / images.length };
}

describe('a suite run on the CPU host', () => {
  it('ran every workload × required scenario as one job each, and finished', async () => {
    const catalog = (await t.app.inject({ method: 'GET', url: `/v1/suites/${SUITE}` })).json() as { digest: string; workloads: { id: string; scenarios: { scenario: string }[] }[] };
    expect(fullRun.suite).toEqual({ id: SUITE, digest: catalog.digest });
    expect(fullRun.workloads.map((w) => [w.id, w.entries.map((e) => e.scenario)])).toEqual(catalog.workloads.map((w) => [w.id, w.scenarios.map((s) => s.scenario)]));
    for (const w of fullRun.workloads) for (const e of w.entries) expect([`${w.id}/${e.scenario}`, e.status, e.error]).toEqual([`${w.id}/${e.scenario}`, 'SUCCEEDED', null]);
    expect(fullRun.progress).toBe(1);
    // The smoke preset makes the run non-conforming, and it says so (and nothing else).
    expect(fullRun.conforming).toBe(false);
    expect(fullRun.deviations).toEqual(["every scenario ran the smoke preset instead of the catalog's settings"]);
    // The reference models were registered once, from the pinned files, under the lab, as public closed models.
    const refs = await t.deps.db.model.findMany({ where: { id: { in: fullRun.workloads.map((w) => w.referenceModelId) } } });
    expect(refs.map((m) => [m.visibility, m.division, m.suiteWorkload]).sort()).toEqual(catalog.workloads.map((w) => ['PUBLIC', 'closed', `${SUITE}/${w.id}`]).sort());
  });

  it('signed ONE suite report over every workload report and the suite digest', async () => {
    const report = await suiteReport(fullRun.id);
    expect(await verifyEnvelope(report.envelope)).toBe(true);
    expect(createHash('sha256').update(Buffer.from(report.envelope.payload, 'base64')).digest('hex')).toBe(report.statementDigest);
    const statement = JSON.parse(Buffer.from(report.envelope.payload, 'base64').toString('utf8')) as { predicateType: string; subject: { name: string; digest: { sha256: string } }[] };
    expect(statement.predicateType).toBe('https://npubench.dev/attestations/suite-report/v1');
    const expected = [{ name: `npubench-suite:${SUITE}`, digest: { sha256: fullRun.suite.digest.slice('sha256:'.length) } }];
    for (const w of fullRun.workloads) {
      for (const e of w.entries) {
        const row = await t.deps.db.report.findUniqueOrThrow({ where: { id: e.reportId! } });
        const payload = (row.envelope as { payload: string }).payload;
        expected.push({ name: `npubench-report:${w.id}/${e.scenario}`, digest: { sha256: createHash('sha256').update(Buffer.from(payload, 'base64')).digest('hex') } });
      }
    }
    expect(statement.subject).toEqual(expected);
    const byId = Object.fromEntries(report.predicate.workloads.map((w) => [w.id, w]));
    expect(Object.values(byId).map((w) => w.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // The recognizer is scored by character accuracy on the 48 text lines; the reference against itself meets its target.
    const ocr = byId['ocr-recognition']!.quality!;
    expect(ocr).toMatchObject({ metric: 'character-accuracy', measured: true, samples: 48, meetsTarget: true });
    expect(ocr.candidate).toBe(ocr.reference);
    // The reference against itself on the labelled image set: every image agrees.
    expect(byId['image-classification']!.quality).toMatchObject({ measured: true, candidate: 1, reference: 1, samples: 64, meetsTarget: true });
    // Power was measured by the lab meter on every scenario; the stated uncertainty is the simulator's on the
    // timed scenarios (the smoke Offline window is too short for the meter to report one).
    for (const s of byId['image-classification']!.scenarios) expect(s.facts?.power).toMatchObject({ measured: true, meterClass: 'lab' });
    for (const s of byId['image-classification']!.scenarios.filter((x) => x.scenario !== 'offline')) expect(s.facts?.power).toMatchObject({ uncertaintyPct: 0.5 });
    expect(report.predicate.conformance.conforming).toBe(false);
  });

  it('searched every Server entry\'s rate against its workload\'s bound, each step as its raw queries give it, and the suite report says so', async () => {
    const report = await suiteReport(fullRun.id);
    const catalog = (await t.app.inject({ method: 'GET', url: `/v1/suites/${SUITE}` })).json() as { workloads: { id: string; serverLatencyBoundMs: number | null }[] };
    const serverEntries = report.predicate.workloads.flatMap((w) => w.scenarios.filter((s) => s.scenario === 'server').map((s) => ({ workload: w.id, ...s })));
    expect(serverEntries.map((e) => e.workload)).toEqual(catalog.workloads.filter((w) => w.serverLatencyBoundMs !== null).map((w) => w.id));
    for (const entry of serverEntries) {
      const boundNs = catalog.workloads.find((w) => w.id === entry.workload)!.serverLatencyBoundMs! * 1e6;
      const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${entry.reportId}/raw-samples`, headers: bearer(vendor.key) })).json() as {
        runs: { queries: [number, number, number][] }[];
        serverSearch: { steps: { targetQps: number; queries: [number, number, number][] }[]; finalQps: number };
      };
      const search = entry.serverSearch!;
      expect(search.targetLatencyNs).toBe(boundNs);
      // The reduced preset's budget: at most 4 steps.
      expect(search.steps.length).toBeGreaterThanOrEqual(1);
      expect(search.steps.length).toBeLessThanOrEqual(4);
      expect(search.steps.map((s) => s.targetQps)).toEqual(raw.serverSearch.steps.map((s) => s.targetQps));
      raw.serverSearch.steps.forEach((step, i) => {
        // p99 as LoadGen takes it, sorted[floor(n·0.99)] of end − scheduled, written here; a step over the bound never passes.
        const latencies = step.queries.map(([scheduled, , end]) => end - scheduled).sort((a, b) => a - b);
        const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!;
        expect(search.steps[i]!.percentileLatencyNs).toBe(p99);
        if (p99 > boundNs) expect(search.steps[i]!.result).toBe('INVALID');
      });
      const passed = search.steps.filter((s) => s.result === 'VALID').map((s) => s.targetQps);
      expect(search.foundQps).toBe(passed.length ? Math.max(...passed) : null);
      // The reported run goes 10 % below the found rate (to 1/1000 QPS); with no rate found, the lowest tried.
      expect(search.finalQps).toBe(search.foundQps === null ? Math.min(...search.steps.map((s) => s.targetQps)) : Math.round(search.foundQps * 0.9 * 1000) / 1000);
      expect(raw.serverSearch.finalQps).toBe(search.finalQps);
      // The reported run is judged on its own: over the bound at p99 means INVALID, whatever the search found.
      const reported = raw.runs.flatMap((run) => run.queries.map(([scheduled, , end]) => end - scheduled)).sort((a, b) => a - b);
      const reportedP99 = reported[Math.min(reported.length - 1, Math.floor(reported.length * 0.99))]!;
      if (reportedP99 > boundNs) expect(entry.facts!.latency.result).toBe('INVALID');
      console.log(`${entry.workload}/server: steps ${search.steps.map((s) => `${s.targetQps}:${(s.percentileLatencyNs / 1e6).toFixed(1)}ms:${s.result}`).join(' ')}; found ${search.foundQps} (${search.stopReason}); reported p99 ${(reportedP99 / 1e6).toFixed(1)} ms ${entry.facts!.latency.result}`);
    }
    // Other scenarios carry no search.
    expect(report.predicate.workloads.flatMap((w) => w.scenarios.filter((s) => s.scenario !== 'server' && s.serverSearch !== undefined))).toEqual([]);
  });

  it('certifies the reference\'s image-classification report under accuracy + fidelity + power, and refuses the broken variant on quality', async () => {
    const refReport = fullRun.workloads.find((w) => w.id === 'image-classification')!.entries[0]!.reportId!;
    const pass = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId: refReport, profileId } });
    expect(pass.statusCode, pass.body).toBe(201);
    // The signed statement says what was certified: the suite workload, closed (the reference, quality met as measured).
    const statementOf = async (id: string) => {
      const row = await t.deps.db.certificate.findUniqueOrThrow({ where: { id } });
      return JSON.parse(Buffer.from((row.envelope as { payload: string }).payload, 'base64').toString('utf8')) as { predicate: { workload: { id: string; division: string; suite: unknown; note: string } } };
    };
    const closed = (await statementOf((pass.json() as { certificateId: string }).certificateId)).predicate.workload;
    expect(closed).toMatchObject({ id: `${SUITE}/image-classification`, division: 'closed', suite: { id: SUITE, digest: fullRun.suite.digest, workload: 'image-classification' } });
    expect((await t.deps.db.leaderboardEntry.findFirstOrThrow({ where: { certificateId: (pass.json() as { certificateId: string }).certificateId } })).workload).toBe(`${SUITE}/image-classification`);

    const independent = await independentImageQuality(BROKEN);
    expect(independent.top1Agreement).toBeLessThan(0.99);
    const brokenReport = await suiteReport(brokenRun.id);
    const quality = brokenReport.predicate.workloads.find((w) => w.id === 'image-classification')!.quality!;
    expect(quality.candidate).toBeCloseTo(independent.top1Agreement, 12);
    expect(quality.meetsTarget).toBe(false);
    expect(brokenReport.predicate.workloads.filter((w) => w.status === 'not-run').map((w) => w.id)).toEqual(['ocr-direction', 'ocr-recognition', 'slm-mmlu']);
    // Declared a closed-division variant (a QDQ INT8 of the reference) by its uploader: that is a claim; its quality decides.
    expect(brokenReport.predicate.workloads.find((w) => w.id === 'image-classification')!.model).toMatchObject({ id: brokenModelId, division: 'closed' });
    const failed = expectProblem(
      await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId: brokenRun.workloads[0]!.entries[0]!.reportId, profileId } }),
      422,
      'certificate.profile_failed',
    );
    const lines = failed.evaluation as { rule: string; passed: boolean }[];
    expect(lines.filter((l) => !l.passed).map((l) => l.rule)).toContain('accuracy');
    expect(lines.find((l) => l.rule === 'power')!.passed).toBe(true);

    // Under a latency-only profile the broken variant can be certified, but never in the closed division:
    // its measured quality misses the target, so it ranks in the workload's open division, apart from the reference.
    const latencyOnly = await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(admin.key), payload: { name: 'suite-latency-only', version: 1, title: 'Latency only', description: '', rules: { minQueryCount: 1 }, validityDays: 30 } });
    expect(latencyOnly.statusCode, latencyOnly.body).toBe(201);
    const openCert = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId: brokenRun.workloads[0]!.entries[0]!.reportId, profileId: (latencyOnly.json() as { id: string }).id } });
    expect(openCert.statusCode, openCert.body).toBe(201);
    const open = (await statementOf((openCert.json() as { certificateId: string }).certificateId)).predicate.workload;
    expect(open).toMatchObject({ id: `${SUITE}/image-classification:open`, division: 'open' });
    expect(open.note).toMatch(/^quality 0\.4375 of the reference misses the target 0\.99$/);
    const board = (await t.app.inject({ method: 'GET', url: `/v1/leaderboard?workload=${encodeURIComponent(`${SUITE}/image-classification`)}` })).json() as { items: { certificateId: string }[] };
    expect(board.items.map((i) => i.certificateId)).not.toContain((openCert.json() as { certificateId: string }).certificateId);
  });

  it('resumes after an agent dies: the lost entry gets a new job, finished entries are never rerun', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendor.key), payload: { suite: SUITE, device: SPARE_DEVICE, reducedPreset: 'smoke', workloads: ['image-classification'] } });
    expect(res.statusCode, res.body).toBe(201);
    const run = res.json() as SuiteRun;
    const lostJobId = run.workloads[0]!.entries[1]!.jobId;
    // An agent claims one entry and dies: it never sends a heartbeat, and the reconciler fails its job.
    const dead = await createAgent(t.deps.db, { name: `dies-${process.pid}`, devices: [SPARE_DEVICE] });
    await claimJob(t.deps, dead.id, lostJobId);
    const repaired = await reconcileJobs(t.deps, { agentDeadlineMs: 60_000 });
    expect(repaired.failedAgentVanished).toEqual([lostJobId]);
    const afterDeath = (await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${run.id}`, headers: bearer(vendor.key) })).json() as SuiteRun;
    const resumed = afterDeath.workloads[0]!.entries[1]!;
    expect(resumed.jobId).not.toBe(lostJobId);
    expect([resumed.status, resumed.jobs]).toEqual(['QUEUED', 2]);
    // The new job gets service seeds of its own: the lost job's were visible in its job view.
    const seedsOf = async (id: string) => ((await t.deps.db.job.findUniqueOrThrow({ where: { id } })).suite as { sampleSeeds?: unknown }).sampleSeeds;
    const [lostSeeds, newSeeds] = [await seedsOf(lostJobId), await seedsOf(resumed.jobId!)];
    expect(newSeeds).toBeDefined();
    expect(newSeeds).not.toEqual(lostSeeds);

    // A live agent takes the run from there.
    const { token } = await createAgent(t.deps.db, { name: `lives-${process.pid}`, devices: [SPARE_DEVICE] });
    const connection = createRedis(t.deps.config.env.REDIS_URL, 'worker');
    connection.on('error', () => undefined);
    const agent = new Agent({ apiUrl: t.url, token, devices: [SPARE_DEVICE], connection, queuePrefix: t.queuePrefix, cacheDir: await createTempDir('npubench-agent'), harnessTimeoutMs: 600_000, heartbeatIntervalMs: 1_000, log: createLogger('silent', 'test-agent') });
    await agent.start();
    try {
      const finished = await waitForRun(run.id, vendor.key, 900_000);
      expect(finished.workloads[0]!.entries.map((e) => [e.status, e.jobs])).toEqual([
        ['SUCCEEDED', 1],
        ['SUCCEEDED', 2],
        ['SUCCEEDED', 1],
        ['SUCCEEDED', 1],
      ]);
      const jobs = await t.deps.db.job.findMany({ where: { suiteRunId: run.id } });
      expect(jobs.length).toBe(5);
      expect(jobs.find((j) => j.id === lostJobId)).toMatchObject({ status: 'FAILED', errorCode: 'agent.vanished' });
      const report = await suiteReport(run.id);
      expect(report.predicate.workloads.find((w) => w.id === 'image-classification')!.scenarios.map((s) => s.jobId)).toEqual(finished.workloads[0]!.entries.map((e) => e.jobId));
    } finally {
      await agent.stop(5_000);
      await connection.quit();
    }
  }, 1_000_000);

  it('keeps runs to their organization and refuses what the suite does not have, before any side effect', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${fullRun.id}`, headers: bearer(otherVendor.key) }), 404, 'suite_run.not_found');
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${fullRun.id}/report`, headers: bearer(otherVendor.key) }), 404, 'suite_run.not_found');
    expect((await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${fullRun.id}`, headers: bearer(certifier.key) })).statusCode).toBe(200);
    const before = await t.deps.db.suiteRun.count();
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendor.key), payload: { suite: SUITE, device: DEVICE, workloads: ['no-such-workload'] } }), 400, 'suite_run.unknown_workload');
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendor.key), payload: { suite: 'npubench-edge@9', device: DEVICE } }), 404, 'suite.not_found');
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendor.key), payload: { suite: SUITE, device: 'no-such-device' } }), 404, 'device.not_found');
    // Another vendor's private model cannot be slipped in as "mine".
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(otherVendor.key), payload: { suite: SUITE, device: DEVICE, models: { 'image-classification': brokenModelId } } }), 404, 'model.not_found');
    // An LM workload needs an LLM bundle.
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendor.key), payload: { suite: SUITE, device: DEVICE, models: { 'slm-mmlu': brokenModelId } } }), 422, 'suite.reference_mismatch');
    expect(await t.deps.db.suiteRun.count()).toBe(before);
  });
});
