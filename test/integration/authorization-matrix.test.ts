// Who may call what: every route of the app (read from the app's own OpenAPI document, so a new route
// without an entry below fails this test) × every kind of caller, with the exact status each gets.
// Requests target vendor A's PRIVATE model, job and report, so the vendor B column proves that
// another tenant can neither read nor change them. A real agent run produced the report.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { certifyUnderLenientProfile, startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { bytesForm, fixtureModel, modelForm } from '../helpers/fixtures.js';
import { streamRequest } from '../helpers/stream-request.js';
import { createAgent } from '../../src/services/agents/agents.js';
import { contractChecker } from '../helpers/openapi-contract.js';

const ROLES = ['anonymous', 'vendorA', 'vendorB', 'certifier', 'admin', 'agent'] as const;
type Role = (typeof ROLES)[number];
/** A status, or `<status> <code>` where the status alone cannot tell authorization from another outcome. */
type Expected = Record<Role, number | string>;

let t: TestApi;
const tokens = {} as Record<Role, string | null>;
const ids = {} as { datasetA: string; modelA: string; jobA: string; reportA: string; reportLab: string; digestA: string; orgA: string; certificate: string; agentJob: string; cancelJobs: Record<Role, string>; revokeKeys: Record<Role, string>; suiteRunA: string };

const OK_VENDOR_A = (status: number): Expected => ({ anonymous: 401, vendorA: status, vendorB: 404, certifier: status, admin: status, agent: 401 });
// Lists answer every key holder; what each tenant sees in them is checked in the cross-tenant test.
const ANY_KEY = (status: number): Expected => ({ anonymous: 401, vendorA: status, vendorB: status, certifier: status, admin: status, agent: 401 });
const LAB_ONLY = (status: number): Expected => ({ anonymous: 401, vendorA: 403, vendorB: 403, certifier: status, admin: status, agent: 401 });
const ADMIN_ONLY = (status: number): Expected => ({ anonymous: 401, vendorA: 403, vendorB: 403, certifier: 403, admin: status, agent: 401 });
const AGENT_ONLY = (status: number): Expected => ({ anonymous: 401, vendorA: 401, vendorB: 401, certifier: 401, admin: 401, agent: status });
const EVERYONE = (status: number): Expected => ({ anonymous: status, vendorA: status, vendorB: status, certifier: status, admin: status, agent: status });
// Public reads that accept but do not need a key: an agent token is not an API key, so presenting one is a 401.
const PUBLIC_OPTIONAL_KEY = (status: number | string, vendorB: number | string = status, anonymous: number | string = status): Expected => ({ anonymous, vendorA: status, vendorB, certifier: status, admin: status, agent: 401 });

interface Case {
  expected: Expected;
  request: (role: Role) => { url: string; payload?: unknown; contentType?: string };
  /** A live stream (server-sent events): asked over real HTTP, answered by its first chunk. */
  stream?: boolean;
}

/** A one-sample labelled input set for the mlp fixture, different per uploader (datasets are content-addressed). */
const labelledInputs = (seed: string) =>
  Buffer.from(JSON.stringify({ format: 'npubench.labelled-inputs/v1', output: 'probabilities', samples: [{ inputs: { input: { elementType: 'float32', dims: [1, 64], data: Array.from({ length: 64 }, (_, i) => i + seed.length) } }, label: 1 }] }));

let slugCounter = 0;
const unique = (prefix: string) => `${prefix}-${++slugCounter}`;

const MATRIX: Record<string, Case> = {
  'GET /healthz': { expected: EVERYONE(200), request: () => ({ url: '/healthz' }) },
  'GET /readyz': { expected: EVERYONE(200), request: () => ({ url: '/readyz' }) },
  'GET /metrics': { expected: EVERYONE(200), request: () => ({ url: '/metrics' }) },
  'GET /.well-known/jwks.json': { expected: EVERYONE(200), request: () => ({ url: '/.well-known/jwks.json' }) },
  'POST /v1/models': {
    expected: { anonymous: 401, vendorA: 201, vendorB: 201, certifier: 201, admin: 201, agent: 401 },
    request: (role) => ({ url: '/v1/models', payload: modelForm(fixtureModel('tiny-cnn.onnx'), { name: `m-${role}` }) }),
  },
  'GET /v1/models': { expected: ANY_KEY(200), request: () => ({ url: '/v1/models' }) },
  'GET /v1/models/{id}': { expected: OK_VENDOR_A(200), request: () => ({ url: `/v1/models/${ids.modelA}` }) },
  'POST /v1/datasets': {
    expected: { anonymous: 401, vendorA: 201, vendorB: 201, certifier: 201, admin: 201, agent: 401 },
    request: (role) => ({ url: '/v1/datasets', payload: bytesForm(labelledInputs(`matrix-${role}`), 'labelled-inputs.json', { name: `d-${role}` }) }),
  },
  'GET /v1/datasets': { expected: ANY_KEY(200), request: () => ({ url: '/v1/datasets' }) },
  'GET /v1/datasets/{id}': { expected: OK_VENDOR_A(200), request: () => ({ url: `/v1/datasets/${ids.datasetA}` }) },
  'GET /v1/devices': { expected: PUBLIC_OPTIONAL_KEY(200), request: () => ({ url: '/v1/devices' }) },
  'GET /v1/devices/{slug}/status': { expected: PUBLIC_OPTIONAL_KEY(200), request: () => ({ url: '/v1/devices/npu-authz/status' }) },
  'GET /v1/devices/{slug}': { expected: PUBLIC_OPTIONAL_KEY(200), request: () => ({ url: '/v1/devices/npu-authz' }) },
  'POST /v1/devices': { expected: LAB_ONLY(201), request: () => ({ url: '/v1/devices', payload: { slug: unique('dev'), name: 'NPU', manufacturer: 'x' } }) },
  'PATCH /v1/devices/{slug}': { expected: LAB_ONLY(200), request: () => ({ url: '/v1/devices/npu-authz', payload: { name: 'NPU renamed' } }) },
  // Vendor B may submit, but not on A's private model (404, the model does not exist for B).
  'POST /v1/jobs': { expected: { ...OK_VENDOR_A(201), certifier: 201, admin: 201 }, request: () => ({ url: '/v1/jobs', payload: { modelId: ids.modelA, device: 'npu-other', suite: { preset: 'smoke' } } }) },
  'GET /v1/jobs': { expected: ANY_KEY(200), request: () => ({ url: '/v1/jobs' }) },
  'GET /v1/jobs/events': { expected: OK_VENDOR_A(200), stream: true, request: () => ({ url: `/v1/jobs/events?jobId=${ids.jobA}` }) },
  'GET /v1/jobs/{id}': { expected: OK_VENDOR_A(200), request: () => ({ url: `/v1/jobs/${ids.jobA}` }) },
  'POST /v1/jobs/{id}/cancel': { expected: OK_VENDOR_A(200), request: (role) => ({ url: `/v1/jobs/${ids.cancelJobs[role]}/cancel` }) },
  'GET /v1/reports/{id}': { expected: PUBLIC_OPTIONAL_KEY(200, 404, 404), request: () => ({ url: `/v1/reports/${ids.reportA}` }) },
  'GET /v1/reports/{id}/mlperf-summary': { expected: PUBLIC_OPTIONAL_KEY(200, 404, 404), request: () => ({ url: `/v1/reports/${ids.reportA}/mlperf-summary` }) },
  'GET /v1/reports/{id}/condition-grid.csv': { expected: PUBLIC_OPTIONAL_KEY(200, 404, 404), request: () => ({ url: `/v1/reports/${ids.reportA}/condition-grid.csv` }) },
  // The smoke run measured no power: those allowed learn that; the others learn nothing.
  'GET /v1/reports/{id}/power-trace': { expected: PUBLIC_OPTIONAL_KEY('404 report.no_power_trace', '404 report.not_found', '404 report.not_found'), request: () => ({ url: `/v1/reports/${ids.reportA}/power-trace` }) },
  'GET /v1/reports/{id}/raw-samples': { expected: PUBLIC_OPTIONAL_KEY(200, 404, 404), request: () => ({ url: `/v1/reports/${ids.reportA}/raw-samples` }) },
  'GET /v1/profiles': { expected: EVERYONE(200), request: () => ({ url: '/v1/profiles' }) },
  'POST /v1/profiles': {
    expected: LAB_ONLY(201),
    request: () => ({ url: '/v1/profiles', payload: { name: unique('p'), version: 1, title: 'P', description: '', rules: { latency: { percentile: 90, maxMs: 10_000 } }, validityDays: 30 } }),
  },
  'GET /v1/profiles/{id}': { expected: EVERYONE(200), request: () => ({ url: '/v1/profiles/quick-latency@1' }) },
  'POST /v1/profiles/{id}/evaluate': { expected: OK_VENDOR_A(200), request: () => ({ url: '/v1/profiles/quick-latency@1/evaluate', payload: { reportId: ids.reportA } }) },
  // 422: the smoke run does not pass the profile, which proves the lab got past authorization.
  'POST /v1/certificates': { expected: LAB_ONLY(422), request: () => ({ url: '/v1/certificates', payload: { reportId: ids.reportA, profileId: 'vision-latency@1' } }) },
  'GET /v1/certificates': { expected: EVERYONE(200), request: () => ({ url: '/v1/certificates' }) },
  'GET /v1/certificates/{id}': { expected: EVERYONE(200), request: () => ({ url: `/v1/certificates/${ids.certificate}` }) },
  'GET /v1/certificates/{id}/pdf': { expected: EVERYONE(200), request: () => ({ url: `/v1/certificates/${ids.certificate}/pdf` }) },
  'GET /v1/certificates/{id}/verify': { expected: EVERYONE(200), request: () => ({ url: `/v1/certificates/${ids.certificate}/verify` }) },
  // The certifier revokes first; the admin then finds it revoked.
  'POST /v1/certificates/{id}/revoke': { expected: { ...LAB_ONLY(200), admin: '409 certificate.already_revoked' }, request: () => ({ url: `/v1/certificates/${ids.certificate}/revoke`, payload: { reason: 'authorization matrix' } }) },
  'GET /v1/orgs': { expected: ADMIN_ONLY(200), request: () => ({ url: '/v1/orgs' }) },
  'POST /v1/orgs': { expected: ADMIN_ONLY(201), request: () => ({ url: '/v1/orgs', payload: { slug: unique('org'), name: 'Org', kind: 'VENDOR' } }) },
  'GET /v1/orgs/{id}/keys': { expected: ADMIN_ONLY(200), request: () => ({ url: `/v1/orgs/${ids.orgA}/keys` }) },
  'POST /v1/orgs/{id}/keys': { expected: ADMIN_ONLY(201), request: () => ({ url: `/v1/orgs/${ids.orgA}/keys`, payload: { name: 'matrix', role: 'VENDOR' } }) },
  'POST /v1/keys/{id}/revoke': { expected: ADMIN_ONLY(204), request: (role) => ({ url: `/v1/keys/${ids.revokeKeys[role]}/revoke` }) },
  'GET /v1/agents': { expected: LAB_ONLY(200), request: () => ({ url: '/v1/agents' }) },
  'POST /v1/agents': { expected: ADMIN_ONLY(201), request: () => ({ url: '/v1/agents', payload: { name: unique('agent'), devices: ['npu-authz'] } }) },
  // The reference is vendor A's private model: vendor B gets 404 as for the model itself.
  'GET /v1/compression': { expected: OK_VENDOR_A(200), request: () => ({ url: `/v1/compression?device=npu-authz&referenceModelId=${ids.modelA}` }) },
  'GET /v1/leaderboard': { expected: EVERYONE(200), request: () => ({ url: '/v1/leaderboard' }) },
  'GET /v1/leaderboard/facets': { expected: EVERYONE(200), request: () => ({ url: '/v1/leaderboard/facets' }) },
  'GET /v1/suites': { expected: EVERYONE(200), request: () => ({ url: '/v1/suites' }) },
  'GET /v1/suites/{id}': { expected: EVERYONE(200), request: () => ({ url: '/v1/suites/npubench-edge@1' }) },
  // The suite's reference models are public: any key may run the suite (on a device no agent serves here).
  'POST /v1/suite-runs': { expected: ANY_KEY(201), request: () => ({ url: '/v1/suite-runs', payload: { suite: 'npubench-edge@1', device: 'npu-other', workloads: ['image-classification'], reducedPreset: 'smoke' } }) },
  'GET /v1/suite-runs/{id}': { expected: OK_VENDOR_A(200), request: () => ({ url: `/v1/suite-runs/${ids.suiteRunA}` }) },
  // Still running (no agent serves npu-other): its owner and the lab hear 409, others 404.
  'GET /v1/suite-runs/{id}/report': { expected: OK_VENDOR_A(409), request: () => ({ url: `/v1/suite-runs/${ids.suiteRunA}/report` }) },
  'GET /v1/suite-runs/{id}/condition-grid.csv': { expected: OK_VENDOR_A(409), request: () => ({ url: `/v1/suite-runs/${ids.suiteRunA}/condition-grid.csv` }) },
  'GET /v1/me': { expected: ANY_KEY(200), request: () => ({ url: '/v1/me' }) },
  'GET /v1/lab/health': { expected: LAB_ONLY(200), request: () => ({ url: '/v1/lab/health' }) },
  'GET /v1/audit': { expected: ADMIN_ONLY(200), request: () => ({ url: '/v1/audit' }) },
  'GET /v1/transparency/log-key': { expected: EVERYONE(200), request: () => ({ url: '/v1/transparency/log-key' }) },
  'GET /v1/transparency/checkpoint': { expected: EVERYONE(200), request: () => ({ url: '/v1/transparency/checkpoint' }) },
  'GET /v1/transparency/tree-head': { expected: EVERYONE(200), request: () => ({ url: '/v1/transparency/tree-head' }) },
  'GET /v1/transparency/tree-heads/{size}': { expected: EVERYONE(200), request: () => ({ url: '/v1/transparency/tree-heads/1' }) },
  'GET /v1/transparency/entries': { expected: EVERYONE(200), request: () => ({ url: '/v1/transparency/entries' }) },
  'GET /v1/transparency/proofs/inclusion': { expected: EVERYONE(200), request: () => ({ url: '/v1/transparency/proofs/inclusion?index=0&treeSize=1' }) },
  'GET /v1/transparency/proofs/consistency': { expected: EVERYONE(200), request: () => ({ url: '/v1/transparency/proofs/consistency?from=1&to=1' }) },
  'POST /v1/agent/register': { expected: AGENT_ONLY(200), request: () => ({ url: '/v1/agent/register', payload: { version: 'm', hostname: 'matrix', devices: ['npu-authz'] } }) },
  'POST /v1/agent/heartbeat': { expected: AGENT_ONLY(204), request: () => ({ url: '/v1/agent/heartbeat' }) },
  // Before the agent job ends: an agent may fetch only models that a queued or running job of its devices needs.
  'GET /v1/agent/artifacts/{digest}': { expected: AGENT_ONLY(200), request: () => ({ url: `/v1/agent/artifacts/${ids.digestA}` }) },
  'POST /v1/agent/jobs/{id}/claim': { expected: AGENT_ONLY(200), request: () => ({ url: `/v1/agent/jobs/${ids.agentJob}/claim` }) },
  'POST /v1/agent/jobs/{id}/progress': { expected: AGENT_ONLY(200), request: () => ({ url: `/v1/agent/jobs/${ids.agentJob}/progress`, payload: { phase: 'warmup', fraction: 0.5 } }) },
  // 400: a result without its fields; authorization has let the agent through to validation.
  'POST /v1/agent/jobs/{id}/result': { expected: AGENT_ONLY(400), request: () => ({ url: `/v1/agent/jobs/${ids.agentJob}/result`, payload: modelForm(fixtureModel('tiny-cnn.onnx')) }) },
  'POST /v1/agent/jobs/{id}/fail': { expected: AGENT_ONLY(200), request: () => ({ url: `/v1/agent/jobs/${ids.agentJob}/fail`, payload: { code: 'matrix.test', message: 'failed by the matrix' } }) },
  'POST /v1/agent/jobs/{id}/release': { expected: AGENT_ONLY(200), request: () => ({ url: `/v1/agent/jobs/${ids.agentJob}/release` }) },
};

beforeAll(async () => {
  // Callers without the right credential fail authentication on purpose, many times from one address.
  t = await startTestApi({ listen: true, env: { NPUBENCH_AUTH_FAILURE_LIMIT: '100000' } });
  const admin = await t.createOrgWithKey('ADMIN');
  const certifier = await t.createOrgWithKey('CERTIFIER');
  const vendorA = await t.createOrgWithKey('VENDOR');
  const vendorB = await t.createOrgWithKey('VENDOR');
  for (const slug of ['npu-authz', 'npu-other']) {
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug, name: 'NPU', manufacturer: 'x' } });
  }
  const agent = await createAgent(t.deps.db, { name: 'matrix-agent', devices: ['npu-authz'] });
  Object.assign(tokens, { anonymous: null, vendorA: vendorA.key, vendorB: vendorB.key, certifier: certifier.key, admin: admin.key, agent: agent.token });

  const model = (await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendorA.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'private-a' }) })).json() as {
    id: string;
    artifactDigest: string;
    visibility: string;
  };
  expect(model.visibility).toBe('PRIVATE');
  const submit = async (device: string) =>
    ((await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendorA.key), payload: { modelId: model.id, device, suite: { preset: 'smoke' } } })).json() as { id: string }).id;

  // A real report of A's private model, produced by a real agent run; and one of the certifier's own
  // (lab) organization, which that certifier may not certify.
  const runner = await startTestAgent(t, ['npu-authz']);
  const jobA = await submit('npu-authz');
  const labModel = (await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(certifier.key), payload: modelForm(fixtureModel('tiny-cnn.onnx'), { name: 'lab-own' }) })).json() as { id: string };
  const labJob = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(certifier.key), payload: { modelId: labModel.id, device: 'npu-authz', suite: { preset: 'smoke' } } })).json() as { id: string };
  expect((await waitForJob(t, jobA, 120_000)).status).toBe('SUCCEEDED');
  expect((await waitForJob(t, labJob.id, 120_000)).status).toBe('SUCCEEDED');
  await runner.stop(5_000);
  const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: jobA } });
  const reportLab = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: labJob.id } });

  // A certificate under a profile the smoke run passes, for the public certificate routes.
  const certificate = await certifyUnderLenientProfile(t, admin.key, report.id, 'matrix-lenient');

  const cancelJobs = {} as Record<Role, string>;
  const revokeKeys = {} as Record<Role, string>;
  for (const role of ROLES) {
    cancelJobs[role] = await submit('npu-other');
    revokeKeys[role] = (await t.createOrgWithKey('VENDOR')).keyId;
  }
  const dataset = await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendorA.key), payload: bytesForm(labelledInputs('private-a'), 'labelled-inputs.json', { name: 'private-a' }) });
  expect(dataset.statusCode, dataset.body).toBe(201);
  Object.assign(ids, {
    datasetA: (dataset.json() as { id: string }).id,
    modelA: model.id,
    digestA: model.artifactDigest,
    jobA,
    reportA: report.id,
    reportLab: reportLab.id,
    orgA: vendorA.orgId,
    certificate,
    agentJob: await submit('npu-authz'),
    cancelJobs,
    revokeKeys,
    suiteRunA: ((await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendorA.key), payload: { suite: 'npubench-edge@1', device: 'npu-other', workloads: ['image-classification'], reducedPreset: 'smoke' } })).json() as { id: string }).id,
  });
}, 240_000);

describe('authorization matrix', () => {
  it('has an expectation for every route the app serves, and no stale ones', () => {
    const doc = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.filter((r) => !(r in MATRIX)), 'routes without an authorization expectation').toEqual([]);
    expect(Object.keys(MATRIX).filter((r) => !routes.includes(r)), 'expectations for routes that no longer exist').toEqual([]);
  });

  // Each answer, success or error, is also held to what /openapi.json declares for it (status, media
  // type, body schema): the contract test of every route.
  it('gives every caller exactly the expected status on every route, each answer as the document declares it', async () => {
    const mismatches: string[] = [];
    const contractBreaks: string[] = [];
    const violations = contractChecker(t.app.swagger());
    for (const [route, c] of Object.entries(MATRIX)) {
      const method = route.split(' ')[0] as 'GET';
      for (const role of ROLES) {
        const { url, payload } = c.request(role);
        const token = tokens[role];
        const res = c.stream
          ? await streamRequest(t.url, { method, path: url, ...(token && { headers: bearer(token) }) })
          : await t.app.inject({ method, url, ...(token && { headers: bearer(token) }), ...(payload !== undefined && { payload: payload as Record<string, unknown> }) });
        const expected = c.expected[role];
        const got = typeof expected === 'number' ? res.statusCode : `${res.statusCode} ${(JSON.parse(res.body) as { code?: string }).code}`;
        if (got !== expected) mismatches.push(`${route} as ${role}: expected ${expected}, got ${got} ${res.body.slice(0, 160)}`);
        const contentType = res.headers['content-type'];
        const answer = { method, path: route.slice(route.indexOf(' ') + 1), status: res.statusCode, contentType: Array.isArray(contentType) ? contentType[0] : contentType === undefined ? undefined : String(contentType), body: res.body };
        contractBreaks.push(...violations(answer).map((v) => `as ${role}: ${v}`));
      }
    }
    expect(mismatches).toEqual([]);
    expect(contractBreaks).toEqual([]);
  });

  // #15 item 3: separation of duties beyond the role columns above.
  it('keeps certifier and admin keys in lab organizations, and no one certifies a report of their own organization', async () => {
    const asAdmin = bearer(tokens.admin!);
    for (const role of ['CERTIFIER', 'ADMIN']) {
      const res = await t.app.inject({ method: 'POST', url: `/v1/orgs/${ids.orgA}/keys`, headers: asAdmin, payload: { name: `vendor ${role}`, role } });
      expect(`${res.statusCode} ${(res.json() as { code?: string }).code}`, res.body).toBe('422 api_key.role_requires_lab_org');
    }
    expect(await t.deps.db.apiKey.count({ where: { orgId: ids.orgA, role: { in: ['CERTIFIER', 'ADMIN'] } } })).toBe(0);
    // Profiles are published by the lab only: vendor keys get 403 in the matrix, and no vendor holds a lab role.
    const own = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(tokens.certifier!), payload: { reportId: ids.reportLab, profileId: 'smoke-latency@1' } });
    expect(`${own.statusCode} ${(own.json() as { code?: string }).code}`, own.body).toBe('403 certificate.self_certification');
    // The rule is about the organization, not the role: a certifier of another lab organization may.
    const other = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: asAdmin, payload: { reportId: ids.reportLab, profileId: 'smoke-latency@1' } });
    expect(other.statusCode, other.body).toBe(201);
  });

  it('gives anonymous and vendor callers the public device view, and the lab the full record', async () => {
    const publicKeys = ['backendKind', 'executionProvider', 'manufacturer', 'measuresPower', 'name', 'npu', 'online', 'slug', 'soc'];
    const labKeys = [...publicKeys, 'agents', 'backendOptions', 'createdAt', 'driverVersion', 'firmwareVersion', 'isPublic', 'powerMeter', 'serialNumber', 'updatedAt'].sort();
    const expected: Partial<Record<Role, string[]>> = { anonymous: publicKeys, vendorA: publicKeys, vendorB: publicKeys, certifier: labKeys, admin: labKeys };
    const mismatches: string[] = [];
    for (const [role, keys] of Object.entries(expected) as [Role, string[]][]) {
      const token = tokens[role];
      const get = async (url: string) => (await t.app.inject({ method: 'GET', url, ...(token && { headers: bearer(token) }) })).json() as Record<string, unknown>;
      const { items } = (await get('/v1/devices')) as { items: Record<string, unknown>[] };
      for (const device of [...items, await get('/v1/devices/npu-authz')]) {
        const got = Object.keys(device).sort();
        if (JSON.stringify(got) !== JSON.stringify(keys)) mismatches.push(`${role} ${String(device.slug)}: ${got.join(',')}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('never shows vendor A’s private model, jobs or report to vendor B or the public', async () => {
    const list = async (url: string, token: string) => JSON.stringify((await t.app.inject({ method: 'GET', url, headers: bearer(token) })).json());
    for (const url of ['/v1/models', '/v1/jobs', '/v1/models?mine=false']) {
      const seen = await list(url, tokens.vendorB!);
      expect(seen).not.toContain(ids.modelA);
      expect(seen).not.toContain(ids.jobA);
    }
    expect(await list('/v1/models', tokens.vendorA!)).toContain(ids.modelA);
    expect(await list('/v1/datasets', tokens.vendorB!)).not.toContain(ids.datasetA);
    expect(await list('/v1/datasets', tokens.vendorA!)).toContain(ids.datasetA);
    // B cannot submit on A's model, cancel A's job, or evaluate A's report: each answers as if it did not exist.
    const asB = bearer(tokens.vendorB!);
    expect((await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: asB, payload: { modelId: ids.modelA, device: 'npu-authz' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: `/v1/jobs/${ids.jobA}/cancel`, headers: asB })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/v1/profiles/quick-latency@1/evaluate', headers: asB, payload: { reportId: ids.reportA } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/v1/reports/${ids.reportA}/raw-samples`, headers: asB })).statusCode).toBe(404);
    // Nothing B did changed A's job.
    expect(await t.deps.db.job.findUniqueOrThrow({ where: { id: ids.jobA } })).toMatchObject({ status: 'SUCCEEDED' });
    // A's jobs canceled by the tenant itself or the lab only.
    expect(await t.deps.db.job.findUniqueOrThrow({ where: { id: ids.cancelJobs.vendorB } })).toMatchObject({ status: 'QUEUED' });
  });

  it('keeps an agent to the jobs and models of the devices it serves', async () => {
    const other = await createAgent(t.deps.db, { name: 'other-device-agent', devices: ['npu-other'] });
    const upload = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(tokens.vendorA!), payload: modelForm(fixtureModel('dynamic-int64.onnx'), { name: 'only-on-authz' }) });
    const model = upload.json() as { id: string; artifactDigest: string };
    const job = ((await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(tokens.vendorA!), payload: { modelId: model.id, device: 'npu-authz' } })).json() as { id: string }).id;
    expect((await t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${job}/claim`, headers: bearer(other.token) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${job}/fail`, headers: bearer(other.token), payload: { code: 'x', message: 'x' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: `/v1/agent/artifacts/${model.artifactDigest}`, headers: bearer(other.token) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/v1/agent/artifacts/${model.artifactDigest}`, headers: bearer(tokens.agent!) })).statusCode).toBe(200);
    expect(await t.deps.db.job.findUniqueOrThrow({ where: { id: job } })).toMatchObject({ status: 'QUEUED' });
  });
});
