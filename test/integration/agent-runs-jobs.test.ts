// The job pipeline with a real agent: BullMQ worker, harness in a child process, results over HTTP.
import { beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { keyResolverFromJwks, type Jwks } from '../../src/lib/crypto/signing-keys.js';
import { verifyStatement } from '../../src/lib/crypto/dsse.js';
import { REPORT_PREDICATE_TYPE } from '../../src/services/reports/report-statement.js';
import type { ChildProcess } from 'node:child_process';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { latenciesOf, loadgenPercentile } from '../helpers/independent-stats.js';
import type { Agent } from '../../src/workers/agent/agent.js';
import { reportSchema } from '../../src/contracts/reports.js';

let t: TestApi;
let agent: Agent;
let vendorA: { key: string };
let vendorB: { key: string };
let modelId: string;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendorA = await t.createOrgWithKey('VENDOR');
  vendorB = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-test', name: 'CPU', manufacturer: 'test' } });
  agent = await startTestAgent(t, ['cpu-test']);
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendorA.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
});

const submit = (suite: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendorA.key), payload: { modelId, device: 'cpu-test', suite } }).then((r) => r.json() as { id: string });


describe('an agent runs a job end to end', () => {
  it('produces a report whose percentiles follow from the stored raw samples', async () => {
    const job = await submit({ preset: 'smoke', minQueryCount: 200 });
    const done = await waitForJob(t, job.id);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('SUCCEEDED');
    const view = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: bearer(vendorA.key) })).json() as { reportId: string; progress: number };
    expect(view.progress).toBe(1);
    const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}`, headers: bearer(vendorA.key) })).json() as {
      summary: { queryCount: number; latency: Record<string, number> };
      environment: Record<string, unknown>;
      resourceUsage: { peakRssBytes: number; modelSizeBytes: number };
      profile: { iterations: number; providers: { provider: string }[]; byOpType: { opType: string }[] };
    };
    // The report is sent as cached bytes, which the serializer never sees: they must still be the
    // declared Report document, member for member.
    expect(Object.keys(report).sort()).toEqual(
      ['createdAt', 'device', 'deviceIdentity', 'envelope', 'environment', 'id', 'jobId', 'model', 'orgId', 'profile', 'rawSamplesDigest', 'rawSamplesUrl', 'resourceUsage', 'statementDigest', 'suite', 'summary', 'visibility'],
    );
    const declared = reportSchema.safeParse(report);
    expect(declared.error?.issues ?? []).toEqual([]);
    expect(report.resourceUsage.modelSizeBytes).toBe(statSync(fixtureModel('mlp-classifier.onnx')).size);
    expect(report.resourceUsage.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(report.profile.iterations).toBe(10);
    expect(report.profile.providers.map((p) => p.provider)).toEqual(['CPUExecutionProvider']);
    expect(report.profile.byOpType.map((o) => o.opType)).toContain('Gemm');
    const rawRes = await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}/raw-samples`, headers: bearer(vendorA.key) });
    expect(rawRes.statusCode).toBe(200);
    const raw = rawRes.json() as { runs: { queries: [number, number][] }[] };
    const queries = raw.runs.flatMap((run) => run.queries);
    expect(queries.length).toBeGreaterThanOrEqual(200);
    expect(report.summary.queryCount).toBe(queries.length);
    const latencies = latenciesOf(queries);
    const sorted = [...latencies].sort((a, b) => a - b);
    expect(report.summary.latency.p50Ns).toBe(loadgenPercentile(latencies, 50));
    expect(report.summary.latency.p90Ns).toBe(loadgenPercentile(latencies, 90));
    expect(report.summary.latency.p99Ns).toBe(loadgenPercentile(latencies, 99));
    expect(report.summary.latency.minNs).toBe(sorted[0]);
    expect(report.summary.latency.maxNs).toBe(sorted.at(-1));

    // The stored report is signed: verify the DSSE envelope with the public JWKS alone.
    const stored = await t.deps.db.report.findUniqueOrThrow({ where: { id: view.reportId } });
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as Jwks;
    const verified = verifyStatement(stored.envelope, keyResolverFromJwks(jwks), REPORT_PREDICATE_TYPE);
    expect(verified.ok).toBe(true);
    if (verified.ok) {
      const predicate = verified.statement.predicate as { results: unknown; rawSamples: { digest: { sha256: string } }; model: { digest: { sha256: string } } };
      expect(predicate.results).toEqual(report.summary);
      expect(predicate.rawSamples.digest.sha256).toBe(createHash('sha256').update(rawRes.rawPayload).digest('hex'));
      expect(verified.statement.subject[0]?.digest.sha256).toBe(predicate.model.digest.sha256);
    }

    const mlperf = await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}/mlperf-summary`, headers: bearer(vendorA.key) });
    expect(mlperf.statusCode).toBe(200);
    expect(mlperf.body).toContain('Scenario : SingleStream');
    // The run goes on until both minimums hold (200 queries, 200 ms), and 200 queries are more than the
    // 64 a p90 early-stopping estimate needs: VALID is the only correct verdict.
    expect(mlperf.body).toContain('Result is : VALID');
    expect(mlperf.body).toContain('  Min queries satisfied : Yes');
    expect(mlperf.body).toContain('  Early stopping satisfied: Yes');
    expect(mlperf.body).toContain(`90th percentile latency (ns) : ${loadgenPercentile(latencies, 90)}`);

    // Vendor B sees none of vendor A's private work.
    for (const url of [`/v1/models/${modelId}`, `/v1/jobs/${job.id}`, `/v1/reports/${view.reportId}`, `/v1/reports/${view.reportId}/raw-samples`, `/v1/reports/${view.reportId}/mlperf-summary`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(vendorB.key) });
      expect([404], url).toContain(res.statusCode);
    }
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}` }), 404, 'report.not_found');
    expectProblem(await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: bearer(vendorB.key) }), 404, 'job.not_found');
    const bJobs = (await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: bearer(vendorB.key) })).json() as { items: unknown[] };
    const bModels = (await t.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(vendorB.key) })).json() as { items: unknown[] };
    expect(bJobs.items).toEqual([]);
    expect(bModels.items).toEqual([]);
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendorB.key), payload: { modelId, device: 'cpu-test' } }),
      404,
      'model.not_found',
    );
  });

  it('fails the job with harness.crashed when the harness process dies, and keeps serving', async () => {
    const started = once(agent, 'harness-started');
    const job = await submit({ minQueryCount: 10_000_000, minDurationMs: 600_000 });
    const [{ jobId, child }] = (await started) as [{ jobId: string; child: ChildProcess }];
    expect(jobId).toBe(job.id);
    // Let it get into the measured loop, then kill it the way an OOM killer or a driver fault would.
    await new Promise((r) => setTimeout(r, 1_500));
    child.kill('SIGKILL');
    const failed = await waitForJob(t, job.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.errorCode).toBe('harness.crashed');
    expect(failed.errorMessage).toMatch(/SIGKILL/);

    const next = await submit({ preset: 'smoke' });
    expect((await waitForJob(t, next.id)).status).toBe('SUCCEEDED');
  });

  it('stops a running job when it is canceled', async () => {
    const started = once(agent, 'harness-started');
    const job = await submit({ minQueryCount: 10_000_000, minDurationMs: 600_000 });
    await started;
    const res = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel`, headers: bearer(vendorA.key) });
    expect(res.json()).toMatchObject({ status: 'CANCELED' });
    const [finished] = (await once(agent, 'job-finished')) as [{ jobId: string; outcome: string }];
    expect(finished).toMatchObject({ jobId: job.id, outcome: 'canceled' });
    expect((await waitForJob(t, job.id)).status).toBe('CANCELED');
    expect(await t.deps.db.report.count({ where: { jobId: job.id } })).toBe(0);
  });

  it('fails a job that outlives the harness timeout with harness.timeout, and keeps serving', async () => {
    const admin = await t.createOrgWithKey('ADMIN');
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-slow', name: 'CPU', manufacturer: 'test' } });
    // Long enough for the smoke job below to finish on a loaded machine; the hung job never will.
    await startTestAgent(t, ['cpu-slow'], { harnessTimeoutMs: 8_000 });
    const submitTo = (suite: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendorA.key), payload: { modelId, device: 'cpu-slow', suite } }).then((r) => r.json() as { id: string });
    const hung = await submitTo({ minQueryCount: 10_000_000, minDurationMs: 600_000 });
    const failed = await waitForJob(t, hung.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.errorCode).toBe('harness.timeout');
    const next = await submitTo({ preset: 'smoke' });
    expect((await waitForJob(t, next.id)).status).toBe('SUCCEEDED');
  });
});
