// The condition-grid export of real reports (an agent runs the jobs): GET /v1/reports/{id}/condition-grid.csv
// parsed by Python's csv module (an independent RFC 4180 reader), every value compared with the report
// JSON; a model name with a comma and quotes survives the quoting. The Server job searches its QPS, so
// the API's recomputation of a searched run (each step replayed) is exercised end to end too.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { conditionGridCsv, type LatencySummaryReport } from '../../src/harness/index.js';

let t: TestApi;
let vendor: { key: string };
let other: { key: string };
let model: { id: string; artifactDigest: string };
const MODEL_NAME = 'mlp-grid';

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  other = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-grid', name: 'CPU', manufacturer: 'test' } });
  await startTestAgent(t, ['cpu-grid']);
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: MODEL_NAME }) });
  expect(up.statusCode, up.body).toBe(201);
  model = up.json() as { id: string; artifactDigest: string };
}, 120_000);

const pythonCsv = (text: string): Record<string, string>[] =>
  JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import csv, io, json, sys; print(json.dumps(list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))))'], { input: text, encoding: 'utf8' })) as Record<string, string>[];

async function runJob(suite: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model.id, device: 'cpu-grid', suite, ...extra } });
  expect(res.statusCode, res.body).toBe(201);
  const done = await waitForJob(t, (res.json() as { id: string }).id);
  expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('SUCCEEDED');
  const view = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${done.id}`, headers: bearer(vendor.key) })).json() as { reportId: string };
  const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}`, headers: bearer(vendor.key) })).json() as { id: string; summary: LatencySummaryReport };
  const grid = await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}/condition-grid.csv`, headers: bearer(vendor.key) });
  return { report, grid };
}

const ms = (ns: number) => Number((ns / 1e6).toFixed(6));

describe('condition-grid CSV', () => {
  it('gives one row per report with the report\'s figures, quoted as RFC 4180 says', async () => {
    const { report, grid } = await runJob({ preset: 'smoke', dynamicDims: { batch: 1 }, accuracy: { fidelitySamples: 2, gate: { minRelativeScore: 0.99 } } }, { referenceModelId: model.id });
    expect(grid.statusCode, grid.body).toBe(200);
    expect(grid.headers['content-type']).toMatch(/^text\/csv/);
    expect(grid.body.endsWith('\r\n')).toBe(true);
    const rows = pythonCsv(grid.body);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    const s = report.summary;
    expect(row.model).toBe(`${MODEL_NAME}@1`);
    expect(row.model_digest).toBe(`sha256:${createHash('sha256').update(readFileSync(fixtureModel('mlp-classifier.onnx'))).digest('hex')}`);
    expect(row.workload).toBe(`model:sha256:${model.artifactDigest}`);
    expect(row.precision).toBe('float32');
    expect(row.scenario).toBe('single-stream');
    expect(row.headline_metric).toBe('p90 latency');
    expect(Number(row.headline_value)).toBe(ms(s.targetLatencyNs));
    expect([Number(row.p50_ms), Number(row.p90_ms), Number(row.p99_ms)]).toEqual([ms(s.latency.p50Ns), ms(s.latency.p90Ns), ms(s.latency.p99Ns)]);
    expect(Number(row.qps)).toBeCloseTo(s.qps, 5);
    expect(row.result).toBe(s.result);
    expect(row.energy_per_inference_mj).toBe('not measured');
    expect(row.power_meter).toBe('not measured');
    expect(row.quality_metric).toBe('top1Agreement');
    expect(Number(row.quality)).toBe(s.accuracy!.gate!.candidate);
    expect(Number(row.quality_relative)).toBe(1);
    expect(Number(row.fidelity_min_cosine)).toBeCloseTo(1, 6);
    expect(row.report_id).toBe(report.id);
    expect([row.prompt_tokens, row.output_tokens]).toEqual(['', '']);

    // Quoting: the same row for a workload name with a comma, quotes and a line break, read back by Python.
    const awkward = 'suite@1/ocr, "hard"\nlines';
    const text = conditionGridCsv([{ reportId: report.id, workload: awkward, device: 'cpu-grid', model: { name: MODEL_NAME, version: '1', digest: model.artifactDigest, precision: 'float32', technique: null, division: 'open' }, summary: s }]);
    expect(text).toContain('"suite@1/ocr, ""hard""\nlines"');
    expect(pythonCsv(text)).toEqual([{ ...row, workload: awkward, division: 'open' }]);

    // Private to its organization, as the report is.
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/reports/${report.id}/condition-grid.csv`, headers: bearer(other.key) }), 404, 'report.not_found');
  }, 300_000);

  it('a Server job with a QPS search reports its headline as the completed QPS of the run at the found rate', async () => {
    const { report, grid } = await runJob({ scenario: 'server', targetPercentile: 90, minQueryCount: 64, minDurationMs: 0, targetLatencyMs: 25, dynamicDims: { batch: 1 }, serverSearch: { maxSteps: 4, probeQueries: 8, stepMinDurationMs: 0 } });
    expect(grid.statusCode, grid.body).toBe(200);
    const search = report.summary.serverSearch!;
    expect(search.steps.length).toBeLessThanOrEqual(4);
    if (search.foundQps !== null) expect(search.steps.some((step) => step.targetQps === search.foundQps && step.result === 'VALID')).toBe(true);
    const row = pythonCsv(grid.body)[0]!;
    expect(row.scenario).toBe('server');
    expect(row.headline_metric).toBe('completed QPS at the latency bound');
    expect(Number(row.headline_value)).toBeCloseTo(report.summary.server!.completedQps, 5);
    expect(row.quality_metric).toBe('not measured');
  }, 300_000);
});
