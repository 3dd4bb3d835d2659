// The public leaderboard: a certified result from a real agent run appears with its report's figures
// and leaves when revoked; keyset pages over a seeded table return every row once in order; filters
// and bad cursors; smoke-test and demo results hidden unless asked. Plus the dashboard's supporting
// endpoints (me, device status, lab health).
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { bytesForm, fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { seedCertifiedResults, seededWorkloadDigest } from '../helpers/certified-results-seed.js';
import type { LeaderboardRow } from '../../src/services/leaderboard/leaderboard.js';
import { leaderboardFacetsSchema, leaderboardPageSchema } from '../../src/contracts/leaderboard.js';
import { SAMPLE_MODEL_NAME } from '../../src/services/bootstrap/sample-model.js';

let t: TestApi;
let admin: { key: string };
let certifier: { key: string };
let vendor: { key: string; orgId: string };
let reportId: string;
let modelId: string;

type Page = { items: LeaderboardRow[]; nextCursor: string | null; order: string };
const get = async (query: string) => {
  const res = await t.app.inject({ method: 'GET', url: `/v1/leaderboard?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  // Cached bytes, which the serializer never sees: still exactly the declared LeaderboardPage (parsing
  // drops undeclared members and throws on a wrong type, so equality holds only for the declared shape).
  const body: unknown = res.json();
  expect(leaderboardPageSchema.parse(body)).toEqual(body);
  return body as Page;
};

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER');
  vendor = await t.createOrgWithKey('VENDOR', 'board-vendor');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-board', name: 'Board NPU', manufacturer: 'Acme' } });
  await startTestAgent(t, ['npu-board']);
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp', task: 'classification', visibility: 'PUBLIC' }) });
  expect(up.statusCode, up.body).toBe(201);
  modelId = (up.json() as { id: string }).id;
  const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'npu-board', suite: { preset: 'smoke', minQueryCount: 64 } } })).json() as { id: string };
  expect((await waitForJob(t, job.id)).status).toBe('SUCCEEDED');
  reportId = (await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } })).id;
});

describe('leaderboard', () => {
  it('is empty until a certificate is issued, then shows the certified figures of the report', async () => {
    expect((await get('')).items).toEqual([]);
    const issued = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId, profileId: 'smoke-latency@1' } });
    expect(issued.statusCode, issued.body).toBe(201);
    const certificateId = (issued.json() as { certificateId: string }).certificateId;
    const report = await t.deps.db.report.findUniqueOrThrow({ where: { id: reportId } });
    const summary = report.summary as { targetLatencyNs: number; qps: number; latency: { p50Ns: number; p99Ns: number }; scenario: string };

    // A smoke-test certificate proves the pipeline, not the device: off the public board by default.
    expect((await get('profile=smoke-latency@1')).items).toEqual([]);
    const { items } = await get('profile=smoke-latency@1&demo=show');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      demo: true,
      certificateId,
      reportId,
      profileId: 'smoke-latency@1',
      task: 'classification',
      device: { slug: 'npu-board', name: 'Board NPU', manufacturer: 'Acme' },
      vendor: 'board-vendor',
      model: { name: 'mlp', version: expect.any(String) },
      precision: 'float32',
      executionProvider: 'cpu',
      scenario: summary.scenario,
      targetLatencyNs: summary.targetLatencyNs,
      p50Ns: summary.latency.p50Ns,
      p99Ns: summary.latency.p99Ns,
      qps: summary.qps,
      // The CPU device has no power meter: energy is absent, not zero.
      energyPerInferenceMj: null,
      accuracy: null,
    });
    expect((await get('device=npu-board&precision=float32&ep=cpu&vendor=board-vendor&demo=show')).items).toHaveLength(1);
    expect((await get('device=elsewhere&demo=show')).items).toEqual([]);
    expect((await get('precision=int8&demo=show')).items).toEqual([]);

    const facets = (await t.app.inject({ method: 'GET', url: '/v1/leaderboard/facets' })).json() as Record<string, string[]>;
    expect(leaderboardFacetsSchema.parse(facets)).toEqual(facets);
    expect(facets).toMatchObject({ profiles: ['smoke-latency@1'], devices: ['npu-board'], vendors: ['board-vendor'], precisions: ['float32'], executionProviders: ['cpu'], tasks: ['classification'], demoResults: 1 });

    const revoked = await t.app.inject({ method: 'POST', url: `/v1/certificates/${certificateId}/revoke`, headers: bearer(certifier.key), payload: { reason: 'test revocation' } });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect((await get('')).items).toEqual([]);
  });

  it('shows the classification accuracy a certified accuracy run measured', async () => {
    // Labels: the model's own top class for 7 of 10 rows, another class for 3, so top-1 is exactly 0.7.
    const session = await InferenceSession.create(fixtureModel('mlp-classifier.onnx'));
    const samples = [];
    for (let i = 0; i < 10; i++) {
      const data = Array.from({ length: 64 }, (_, j) => Math.cos(i * 64 + j));
      const scores = Array.from((await session.run({ input: new Tensor('float32', Float32Array.from(data), [1, 64]) })).probabilities!.data as Float32Array);
      const top = scores.indexOf(Math.max(...scores));
      samples.push({ inputs: { input: { elementType: 'float32', dims: [1, 64], data } }, label: i < 7 ? top : (top + 1) % scores.length });
    }
    await session.release();
    const labels = JSON.stringify({ format: 'npubench.labelled-inputs/v1', output: 'probabilities', samples });
    const up = await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendor.key), payload: bytesForm(Buffer.from(labels), 'labels.json', { name: 'board-labels' }) });
    expect(up.statusCode, up.body).toBe(201);
    const modelId = (await t.deps.db.model.findFirstOrThrow({ where: { orgId: vendor.orgId, name: 'mlp' } })).id;
    const suite = { preset: 'smoke', minQueryCount: 64, accuracy: { classification: { dataset: (up.json() as { ref: string }).ref } } };
    const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'npu-board', suite } })).json() as { id: string };
    expect((await waitForJob(t, job.id)).status).toBe('SUCCEEDED');
    const accuracyReport = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } });
    const issued = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId: accuracyReport.id, profileId: 'smoke-latency@1' } });
    expect(issued.statusCode, issued.body).toBe(201);

    const { items } = await get('device=npu-board&sort=accuracy&demo=show');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ reportId: accuracyReport.id, accuracy: 0.7 });
    const revoked = await t.app.inject({ method: 'POST', url: `/v1/certificates/${(issued.json() as { certificateId: string }).certificateId}/revoke`, headers: bearer(certifier.key), payload: { reason: 'test revocation' } });
    expect(revoked.statusCode, revoked.body).toBe(200);
  });

  it('keeps smoke-preset runs and the first-start sample off the board by default, and shows real results', async () => {
    // A lab profile that is not the smoke profile, so only the run itself decides.
    const profile = { name: 'board-lab', version: 1, title: 'Board lab profile', description: 'test', rules: { minQueryCount: 32 }, validityDays: 30 };
    const created = await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(certifier.key), payload: profile });
    expect(created.statusCode, created.body).toBe(201);
    const certifyRun = async (model: string, suite: Record<string, unknown>) => {
      const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model, device: 'npu-board', suite } })).json() as { id: string };
      expect((await waitForJob(t, job.id)).status).toBe('SUCCEEDED');
      const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } });
      const issued = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId: report.id, profileId: 'board-lab@1' } });
      expect(issued.statusCode, issued.body).toBe(201);
      return (issued.json() as { certificateId: string }).certificateId;
    };
    const real = await certifyRun(modelId, { minQueryCount: 64, minDurationMs: 200 });
    const smoke = await certifyRun(modelId, { preset: 'smoke', minQueryCount: 64 });
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: SAMPLE_MODEL_NAME, visibility: 'PUBLIC' }) });
    expect(up.statusCode, up.body).toBe(201);
    const sample = await certifyRun((up.json() as { id: string }).id, { minQueryCount: 64, minDurationMs: 200 });

    const shown = await get('profile=board-lab@1');
    expect(shown.items.map((r) => [r.certificateId, r.demo])).toEqual([[real, false]]);
    const all = await get('profile=board-lab@1&demo=show');
    expect(new Map(all.items.map((r) => [r.certificateId, r.demo]))).toEqual(new Map([[real, false], [smoke, true], [sample, true]]));
    const facets = (await t.app.inject({ method: 'GET', url: '/v1/leaderboard/facets' })).json() as { demoResults: number };
    expect(facets.demoResults).toBe(2);
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/leaderboard?demo=yes' }), 400, 'validation.failed');
    for (const id of [real, smoke, sample]) {
      const revoked = await t.app.inject({ method: 'POST', url: `/v1/certificates/${id}/revoke`, headers: bearer(certifier.key), payload: { reason: 'test revocation' } });
      expect(revoked.statusCode, revoked.body).toBe(200);
    }
  });

  it('ranks two models of one task as two workloads, each a ranking of its own (real runs and certificates)', async () => {
    const profile = { name: 'board-mixed', version: 1, title: 'Mixed workloads', description: 'test', rules: { minQueryCount: 32 }, validityDays: 30 };
    expect((await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(certifier.key), payload: profile })).statusCode).toBe(201);
    const cnn = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('tiny-cnn.onnx'), { name: 'cnn', task: 'classification', visibility: 'PUBLIC' }) });
    expect(cnn.statusCode, cnn.body).toBe(201);
    const certify = async (model: string) => {
      const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model, device: 'npu-board', suite: { minQueryCount: 64, minDurationMs: 0 } } })).json() as { id: string };
      expect((await waitForJob(t, job.id)).status).toBe('SUCCEEDED');
      const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } });
      const issued = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId: report.id, profileId: 'board-mixed@1' } });
      expect(issued.statusCode, issued.body).toBe(201);
      return (issued.json() as { certificateId: string }).certificateId;
    };
    const mlpCerts = [await certify(modelId), await certify(modelId)];
    const cnnCerts = [await certify((cnn.json() as { id: string }).id)];
    // The workload of an unlisted model is its bytes' digest, computed here from the fixture files.
    const digestOf = (file: string) => createHash('sha256').update(readFileSync(fixtureModel(file))).digest('hex');
    const mlpWorkload = `model:sha256:${digestOf('mlp-classifier.onnx')}`;
    const cnnWorkload = `model:sha256:${digestOf('tiny-cnn.onnx')}`;

    const { items } = await get('profile=board-mixed@1');
    expect(items.map((r) => r.task)).toEqual(['classification', 'classification', 'classification']);
    const byWorkload = new Map<string, string[]>();
    for (const r of items) byWorkload.set(r.workload.id, [...(byWorkload.get(r.workload.id) ?? []), r.certificateId]);
    expect(new Map([...byWorkload].map(([k, v]) => [k, new Set(v)]))).toEqual(new Map([[mlpWorkload, new Set(mlpCerts)], [cnnWorkload, new Set(cnnCerts)]]));
    // One workload's rows, then the other's, in workload id order; each ranking best first on its own.
    const expectedOrder = [mlpWorkload, cnnWorkload].sort();
    expect(items.map((r) => r.workload.id).filter((id, i, all) => i === 0 || all[i - 1] !== id)).toEqual(expectedOrder);
    const mlpRows = items.filter((r) => r.workload.id === mlpWorkload);
    expect(mlpRows[0]!.targetLatencyNs).toBeLessThanOrEqual(mlpRows[1]!.targetLatencyNs);
    expect(items.find((r) => r.workload.id === cnnWorkload)!.workload).toEqual({ id: cnnWorkload, kind: 'unlisted', division: 'open', label: `Unlisted model sha256:${digestOf('tiny-cnn.onnx').slice(0, 12)}` });
    expect((await get(`profile=board-mixed@1&workload=${encodeURIComponent(cnnWorkload)}`)).items.map((r) => r.certificateId)).toEqual(cnnCerts);
    const facets = leaderboardFacetsSchema.parse((await t.app.inject({ method: 'GET', url: '/v1/leaderboard/facets' })).json());
    expect(facets.workloads.map((w) => w.id)).toEqual(expect.arrayContaining([mlpWorkload, cnnWorkload]));
    for (const id of [...mlpCerts, ...cnnCerts]) {
      const revoked = await t.app.inject({ method: 'POST', url: `/v1/certificates/${id}/revoke`, headers: bearer(certifier.key), payload: { reason: 'test revocation' } });
      expect(revoked.statusCode, revoked.body).toBe(200);
    }
  });

  it('pages through 1,500 seeded results with a keyset cursor, every row once, in metric order', async () => {
    await seedCertifiedResults(t.databaseUrl, { count: 1500, devices: 4, vendors: 3, energyEvery: 3 });
    // The seed's own workload: every seeded row measured the same (all-zero) model digest.
    const walk = async (query: string) => {
      const rows: LeaderboardRow[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await get(`${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
        rows.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return rows;
    };
    const byLatency = await walk('sort=targetLatencyNs');
    expect(byLatency).toHaveLength(1500);
    expect(new Set(byLatency.map((r) => r.certificateId)).size).toBe(1500);
    for (let i = 1; i < byLatency.length; i++) expect(byLatency[i]!.targetLatencyNs).toBeGreaterThanOrEqual(byLatency[i - 1]!.targetLatencyNs);

    const byQpsDesc = await walk('sort=qps');
    expect(byQpsDesc).toHaveLength(1500);
    for (let i = 1; i < byQpsDesc.length; i++) expect(byQpsDesc[i]!.qps).toBeLessThanOrEqual(byQpsDesc[i - 1]!.qps);

    // Energy: measured rows first (ascending), then the 1,000 without a meter, none lost at the seam.
    const byEnergy = await walk('sort=energyPerInferenceMj');
    expect(new Set(byEnergy.map((r) => r.certificateId)).size).toBe(1500);
    const measured = byEnergy.filter((r) => r.energyPerInferenceMj !== null);
    expect(measured).toHaveLength(500);
    expect(byEnergy.slice(0, 500)).toEqual(measured);
    for (let i = 1; i < measured.length; i++) expect(measured[i]!.energyPerInferenceMj!).toBeGreaterThanOrEqual(measured[i - 1]!.energyPerInferenceMj!);
    const descending = await walk('sort=energyPerInferenceMj&order=desc');
    expect(new Set(descending.slice(0, 500).map((r) => r.certificateId))).toEqual(new Set(measured.map((r) => r.certificateId)));
    for (let i = 1; i < 500; i++) expect(descending[i]!.energyPerInferenceMj!).toBeLessThanOrEqual(descending[i - 1]!.energyPerInferenceMj!);
    expect(descending.slice(500).every((r) => r.energyPerInferenceMj === null)).toBe(true);

    const oneDevice = await walk('device=seed-npu-2&sort=p99Ns');
    expect(oneDevice).toHaveLength(375);
    expect(oneDevice.every((r) => r.device.slug === 'seed-npu-2')).toBe(true);
  });

  it('serves cached pages only until a change anywhere or the expiry of a certificate on them', async () => {
    expect(t.deps.cacheInvalidation?.live).toBe(true);
    const query = 'device=seed-npu-1&sort=p99Ns&limit=5';
    const first = (await get(query)).items;
    expect(first).toHaveLength(5);
    // Another replica (here: plain SQL on another connection) revokes the best row: the trigger's
    // notification drops the cached page.
    const other = new pg.Client({ connectionString: t.databaseUrl });
    await other.connect();
    try {
      await other.query('UPDATE leaderboard_entries SET revoked_at = now() WHERE certificate_id = $1', [first[0]!.certificateId]);
      const deadline = Date.now() + 10_000;
      while ((await get(query)).items[0]!.certificateId === first[0]!.certificateId) {
        expect(Date.now(), 'the revocation never reached the cached page').toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 20));
      }
      // A certificate that expires while its page is cached leaves the page at its expiry, with no
      // notification to tell (the UPDATE's own notification arrives before the page is cached again).
      await other.query("UPDATE leaderboard_entries SET expires_at = now() + interval '1500 milliseconds' WHERE certificate_id = $1", [first[1]!.certificateId]);
      await new Promise((r) => setTimeout(r, 300));
      expect((await get(query)).items[0]!.certificateId).toBe(first[1]!.certificateId);
      await new Promise((r) => setTimeout(r, 1_700));
      expect((await get(query)).items.map((row) => row.certificateId)).not.toContain(first[1]!.certificateId);
    } finally {
      await other.end();
    }
  });

  it('pages through results of several workloads one ranking at a time, never one ranking across them', async () => {
    // 1,500 seeded rows above (workload 0) plus 900 more over workloads 0, 1 and 2 (300 each).
    await seedCertifiedResults(t.databaseUrl, { count: 900, devices: 3, vendors: 3, energyEvery: 2, workloads: 3 });
    const ids = [0, 1, 2].map((k) => `model:sha256:${seededWorkloadDigest(k)}`).sort();
    const walk = async (query: string) => {
      const rows: LeaderboardRow[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await get(`${query}&limit=97${cursor ? `&cursor=${cursor}` : ''}`);
        rows.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return rows;
    };
    for (const [query, better] of [['sort=targetLatencyNs', 1], ['sort=qps', -1], ['sort=energyPerInferenceMj', 1]] as const) {
      const rows = (await walk(`profile=seed-latency@1&${query}`)).filter((r) => ids.includes(r.workload.id));
      expect(new Set(rows.map((r) => r.certificateId)).size).toBe(rows.length);
      // Each workload's rows come together (so a rank number never spans two workloads), in id order.
      const runs = rows.map((r) => r.workload.id).filter((id, i, all) => i === 0 || all[i - 1] !== id);
      expect(runs).toEqual(ids);
      for (const id of ids) {
        const ranking = rows.filter((r) => r.workload.id === id);
        expect(ranking.every((r) => r.workload.kind === 'unlisted' && r.workload.label === `Unlisted model sha256:${id.slice('model:sha256:'.length, 'model:sha256:'.length + 12)}`)).toBe(true);
        const key = (r: LeaderboardRow) => (query === 'sort=qps' ? r.qps : query === 'sort=targetLatencyNs' ? r.targetLatencyNs : r.energyPerInferenceMj);
        const values = ranking.map(key);
        const measured = values.filter((v): v is number => v !== null);
        // Blanks (no meter) only after the measured rows of the same workload.
        expect(values.slice(0, measured.length)).toEqual(measured);
        for (let i = 1; i < measured.length; i++) expect(better * (measured[i]! - measured[i - 1]!)).toBeGreaterThanOrEqual(0);
        // The workload filter gives exactly that ranking.
        expect((await walk(`profile=seed-latency@1&${query}&workload=${encodeURIComponent(id)}`)).map((r) => r.certificateId)).toEqual(ranking.map((r) => r.certificateId));
      }
    }
    // Together the per-workload rankings hold every live row, counted here in SQL.
    const perWorkload = (await Promise.all(ids.map((id) => walk(`workload=${encodeURIComponent(id)}`)))).flat();
    const live = await t.deps.db.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM leaderboard_entries WHERE revoked_at IS NULL AND expires_at > now() AND NOT demo');
    expect(new Set(perWorkload.map((r) => r.certificateId)).size).toBe(live[0]!.n);
    const facets = leaderboardFacetsSchema.parse((await t.app.inject({ method: 'GET', url: '/v1/leaderboard/facets' })).json());
    expect(facets.workloads.map((w) => w.id)).toEqual(expect.arrayContaining(ids));
  });

  it('refuses a cursor it did not issue and unknown sorts', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/leaderboard?cursor=bm9wZQ' }), 400, 'leaderboard.bad_cursor');
    const page = await get('sort=qps&limit=1');
    // A qps cursor carries a number: read as an issue-date cursor it is refused, not misread.
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/leaderboard?sort=issuedAt&cursor=${page.nextCursor}` }), 400, 'leaderboard.bad_cursor');
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/leaderboard?sort=price' }), 400, 'validation.failed');
  });
});

describe('dashboard support endpoints', () => {
  it('GET /v1/me names the key\'s organization and role', async () => {
    const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(vendor.key) });
    expect(me.json()).toMatchObject({ role: 'VENDOR', org: { id: vendor.orgId, slug: 'board-vendor' } });
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/me' }), 401, 'auth.missing_credentials');
  });

  it('shows agents online and queue depth publicly as counts, and per agent to the lab only', async () => {
    const status = (await t.app.inject({ method: 'GET', url: '/v1/devices/npu-board/status' })).json();
    expect(status).toMatchObject({ device: 'npu-board', agents: 1, agentsOnline: 1, queued: 0, running: 0 });
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/devices/nope/status' }), 404, 'device.not_found');
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/lab/health', headers: bearer(vendor.key) }), 403, 'auth.forbidden_role');
    const health = (await t.app.inject({ method: 'GET', url: '/v1/lab/health', headers: bearer(certifier.key) })).json() as { devices: { slug: string; queue: unknown; agents: { online: boolean; heartbeatAgeSeconds: number }[] }[] };
    const board = health.devices.find((d) => d.slug === 'npu-board')!;
    expect(board.queue).toEqual({ waiting: 0, active: 0, delayed: 0 });
    expect(board.agents).toHaveLength(1);
    expect(board.agents[0]).toMatchObject({ online: true });
    expect(board.agents[0]!.heartbeatAgeSeconds).toBeLessThan(30);
  });
});
