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
import type { LatencySummaryReport } from '../../src/harness/index.js';
import { conditionGridCsv, qualityOfFacts } from '../../src/lib/reports/condition-grid.js';
import { extractRuleFacts } from '../../src/lib/certificates/rule-facts.js';

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
  const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}`, headers: bearer(vendor.key) })).json() as { id: string; summary: LatencySummaryReport; profile: { providers: { provider: string; nodes: number }[] } | null };
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
    expect([row.suite_id, row.suite_digest]).toEqual(['', '']);
    expect([row.device, row.execution_provider, row.job_status, row.job_error]).toEqual(['cpu-grid', 'cpu', 'SUCCEEDED', '']);
    expect(Number(row.target_percentile)).toBe(s.targetPercentile);
    expect(Number(row.latency_at_percentile_ms)).toBe(ms(s.targetLatencyNs));
    expect([Number(row.p50_ms), Number(row.p90_ms), Number(row.p99_ms)]).toEqual([ms(s.latency.p50Ns), ms(s.latency.p90Ns), ms(s.latency.p99Ns)]);
    expect(Number(row.qps)).toBeCloseTo(s.qps, 5);
    expect(Number(row.query_count)).toBe(s.queryCount);
    expect(row.result).toBe(s.result);
    // No meter on this device: empty cells, never 0.
    for (const column of ['energy_per_inference_mj', 'energy_per_query_mj', 'avg_power_w', 'power_result', 'power_meter', 'power_meter_class', 'power_uncertainty_pct']) expect(row[column], column).toBe('');
    expect(row.quality_metric).toBe('top1Agreement');
    expect(Number(row.quality)).toBe(s.accuracy!.gate!.candidate);
    expect(Number(row.quality_relative)).toBe(1);
    expect(Number(row.quality_samples)).toBe(2);
    expect(row.quality_target_met).toBe('');
    expect(Number(row.fidelity_min_cosine)).toBeCloseTo(1, 6);
    expect(Number(row.fidelity_top1_agreement)).toBe(1);
    expect(row.answer_agreement).toBe('');
    // The operator profile ran every node on the CPU: measured, and no share on an accelerator.
    expect(report.profile).not.toBeNull();
    expect(row.operator_providers).toBe(report.profile!.providers.map((p) => `${p.provider}:${p.nodes}`).join(';'));
    expect(report.profile!.providers.map((p) => p.provider)).toEqual(['CPUExecutionProvider']);
    expect([row.accelerator_node_share, row.accelerator_time_share]).toEqual(['0', '0']);
    expect(row.report_id).toBe(report.id);
    expect([row.prompt_tokens, row.output_tokens, row.ttft_p50_ms, row.tpot_p50_ms, row.output_tokens_per_s]).toEqual(['', '', '', '', '']);

    // Quoting: the same row for a workload name with a comma, quotes and a line break, read back by Python.
    const awkward = 'suite@1/ocr, "hard"\nlines';
    const extracted = extractRuleFacts({ summary: s, resourceUsage: null, operatorProfile: report.profile });
    if (!('facts' in extracted)) throw new Error(extracted.unreadable);
    const { facts } = extracted;
    const text = conditionGridCsv([
      {
        suite: null,
        workload: awkward,
        device: { slug: 'cpu-grid', executionProvider: 'cpu' },
        model: { name: MODEL_NAME, version: '1', digest: model.artifactDigest, precision: 'float32', technique: null, division: 'open' },
        scenario: facts.latency.scenario,
        job: { status: 'SUCCEEDED', errorCode: null },
        reportId: report.id,
        facts,
        quality: qualityOfFacts(facts),
        fidelity: facts.fidelity,
      },
    ]);
    expect(text).toContain('"suite@1/ocr, ""hard""\nlines"');
    expect(pythonCsv(text)).toEqual([{ ...row, workload: awkward, division: 'open' }]);

    // Private to its organization, as the report is.
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/reports/${report.id}/condition-grid.csv`, headers: bearer(other.key) }), 404, 'report.not_found');
  }, 300_000);

  it('a Server job with a QPS search gives the QPS and latency of the run at the found rate', async () => {
    const { report, grid } = await runJob({ scenario: 'server', targetPercentile: 90, minQueryCount: 64, minDurationMs: 0, targetLatencyMs: 25, dynamicDims: { batch: 1 }, serverSearch: { maxSteps: 4, probeQueries: 8, stepMinDurationMs: 0 } });
    expect(grid.statusCode, grid.body).toBe(200);
    const search = report.summary.serverSearch!;
    expect(search.steps.length).toBeLessThanOrEqual(4);
    if (search.foundQps !== null) expect(search.steps.some((step) => step.targetQps === search.foundQps && step.result === 'VALID')).toBe(true);
    const row = pythonCsv(grid.body)[0]!;
    expect(row.scenario).toBe('server');
    expect(Number(row.qps)).toBeCloseTo(report.summary.qps, 5);
    expect(Number(row.latency_at_percentile_ms)).toBe(ms(report.summary.targetLatencyNs));
    expect(row.target_percentile).toBe('90');
    // No accuracy pass: no quality, as empty cells.
    expect([row.quality_metric, row.quality, row.quality_relative, row.fidelity_min_cosine]).toEqual(['', '', '', '']);
  }, 300_000);
});
