// A suite run's condition grid (#17 item 7): GET /v1/suite-runs/{id}/condition-grid.csv and `npubench
// suite show <id> --grid <file>` for a real suite run on a lab-metered CPU host (PTDaemon simulator):
// npubench-edge@1's image classification with a declared INT8 variant of its reference (which misses the
// quality target) and the SLM workload (TTFT/TPOT at the catalog's lengths). Python's csv module reads
// the CSV (an independent RFC 4180 reader); every row is checked against figures this test computes from
// the stored workload reports and the catalog — latency, QPS, LM latency, quality against the reference
// and the target, fidelity, energy per inference, meter class and uncertainty, operator providers — and
// the model's precision (the type of most of its weights) and digest from the ONNX file itself (python3-onnx, node:crypto).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { PtdaemonSimulator } from '../helpers/ptdaemon-simulator.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { runNpubench } from '../helpers/processes.js';
import { onnxWeightPrecision } from '../helpers/independent-onnx-weights.js';
import type { SuiteReport, SuiteRun } from '../../src/contracts/suite-runs.js';
import type { LatencySummaryReport } from '../../src/harness/index.js';

const DEVICE = 'cpu-host-grid';
const SUITE = 'npubench-edge@1';
const VARIANT = 'tiny-cnn-int8-qdq-broken.onnx';
const UNCERTAINTY_PCT = 0.5;

let t: TestApi;
let simulator: PtdaemonSimulator;
let vendor: { key: string };
let otherVendor: { key: string };
let variantModelId: string;
let runId: string;
let runningAnswer: { statusCode: number; body: string; headers: Record<string, unknown> };

const pythonCsv = (text: string): Record<string, string>[] =>
  JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import csv, io, json, sys; print(json.dumps(list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))))'], { input: text, encoding: 'utf8' })) as Record<string, string>[];

const ms = (ns: number) => Number((ns / 1e6).toFixed(6));
const six = (x: number) => Number(x.toFixed(6));

beforeAll(async () => {
  simulator = await PtdaemonSimulator.start({ power: () => 30, uncertaintyPct: UNCERTAINTY_PCT });
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  otherVendor = await t.createOrgWithKey('VENDOR');
  const device = { slug: DEVICE, name: 'CPU host, lab-metered', manufacturer: 'test', powerMeter: { kind: 'ptdaemon', host: '127.0.0.1', port: simulator.port, intervalMs: 20, rangeSettleMs: 0, timeoutMs: 5_000 } };
  const created = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: device });
  expect(created.statusCode, created.body).toBe(201);
  await startTestAgent(t, [DEVICE], { harnessTimeoutMs: 600_000 });
  const reference = createHash('sha256').update(readFileSync(fixtureModel('tiny-cnn.onnx'))).digest('hex');
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel(VARIANT), { name: 'tiny-cnn-int8-broken', variantOf: reference, variantTechnique: 'quantization' }) });
  expect(up.statusCode, up.body).toBe(201);
  variantModelId = (up.json() as { id: string }).id;

  const res = await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendor.key), payload: { suite: SUITE, device: DEVICE, reducedPreset: 'smoke', workloads: ['image-classification', 'slm-mmlu'], models: { 'image-classification': variantModelId } } });
  expect(res.statusCode, res.body).toBe(201);
  runId = (res.json() as SuiteRun).id;
  // Asked at once, while its jobs are queued: the grid is the signed report's, so not yet.
  runningAnswer = await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${runId}/condition-grid.csv`, headers: bearer(vendor.key) });
  const deadline = Date.now() + 1_200_000;
  for (;;) {
    const run = (await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${runId}`, headers: bearer(vendor.key) })).json() as SuiteRun;
    if (run.status === 'FINISHED') break;
    if (Date.now() > deadline) throw new Error(`suite run still running: ${JSON.stringify(run.workloads.map((w) => w.entries.map((e) => `${w.id}/${e.scenario} ${e.status}`)))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}, 1_400_000);
afterAll(async () => simulator.close());

interface StoredReport {
  id: string;
  summary: LatencySummaryReport;
  profile: { providers: { provider: string; nodes: number }[] } | null;
}

async function storedReport(id: string): Promise<StoredReport> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/reports/${id}`, headers: bearer(vendor.key) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as StoredReport;
}

/** Quality against the reference from the stored accuracy pass, as the catalog's target reads it: MMLU
 *  accuracy against the FP32 reference's, or top-1 accuracy on the suite's image set (labelled by the FP32
 *  reference) against the reference's. */
function independentQuality(summary: LatencySummaryReport, target: { minRelativeToReference: number; minSamples: number }) {
  const a = summary.accuracy!;
  const [candidate, reference, samples] = a.mmlu ? [a.mmlu.accuracy, a.mmlu.reference!.accuracy, a.mmlu.questionCount] : [a.classification!.top1Accuracy, a.classification!.reference!.top1Accuracy, a.classification!.rows];
  const relative = candidate / reference;
  return { candidate, reference, samples, relative, met: relative >= target.minRelativeToReference && samples >= target.minSamples ? 'yes' : 'no' };
}

describe('suite run condition grid', () => {
  it('is refused while the run is running, and to another vendor', async () => {
    expect(runningAnswer.statusCode, runningAnswer.body).toBe(409);
    expect(runningAnswer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((JSON.parse(runningAnswer.body) as { code: string }).code).toBe('suite_run.not_finished');
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${runId}/condition-grid.csv`, headers: bearer(otherVendor.key) }), 404, 'suite_run.not_found');
  });

  it('gives one row per workload × scenario with the stored reports\' figures', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${runId}/condition-grid.csv`, headers: bearer(vendor.key) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.body.endsWith('\r\n')).toBe(true);
    const rows = pythonCsv(res.body);
    const catalog = (await t.app.inject({ method: 'GET', url: `/v1/suites/${SUITE}` })).json() as {
      id: string;
      digest: string;
      workloads: { id: string; scenarios: { scenario: string }[]; quality: { minRelativeToReference: number; minSamples: number }; llmLengths: { promptTokens: number; outputTokens: number } | null }[];
    };
    const image = catalog.workloads.find((w) => w.id === 'image-classification')!;
    const slm = catalog.workloads.find((w) => w.id === 'slm-mmlu')!;
    // Workloads in name order, each one's scenarios in the catalog's (MLPerf's) order.
    expect(rows.map((r) => `${r.workload} ${r.scenario}`)).toEqual([...image.scenarios.map((s) => `${SUITE}/image-classification ${s.scenario}`), ...slm.scenarios.map((s) => `${SUITE}/slm-mmlu ${s.scenario}`)]);

    const variantFile = fixtureModel(VARIANT);
    const variantDigest = createHash('sha256').update(readFileSync(variantFile)).digest('hex');
    const report = (await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${runId}/report`, headers: bearer(vendor.key) })).json() as SuiteReport;
    const slmModel = report.predicate.workloads.find((w) => w.id === 'slm-mmlu')!.model!;

    let energyRows = 0;
    for (const row of rows) {
      const workload = row.workload === `${SUITE}/slm-mmlu` ? slm : image;
      expect([row.suite_id, row.suite_digest, row.device, row.execution_provider, row.job_status, row.job_error]).toEqual([catalog.id, catalog.digest, DEVICE, 'cpu', 'SUCCEEDED', '']);
      const stored = await storedReport(row.report_id!);
      const s = stored.summary;
      expect(s.scenario).toBe(row.scenario);
      expect(row.result).toBe(s.result);
      expect(Number(row.query_count)).toBe(s.queryCount);
      expect(Number(row.target_percentile)).toBe(s.targetPercentile);
      expect(Number(row.latency_at_percentile_ms)).toBe(ms(s.targetLatencyNs));
      expect([Number(row.p50_ms), Number(row.p90_ms), Number(row.p99_ms)]).toEqual([ms(s.latency.p50Ns), ms(s.latency.p90Ns), ms(s.latency.p99Ns)]);
      expect(Number(row.qps)).toBe(six(s.queryCount / (s.durationNs / 1e9)));

      // Energy: the simulated lab meter, with the uncertainty it states.
      if (!s.power.measured) throw new Error(`${row.workload} ${row.scenario}: power not measured (${s.power.reason})`);
      if (s.power.energyJ > 0) {
        energyRows += 1;
        expect(Number(row.energy_per_inference_mj)).toBe(six(1000 / s.power.samplesPerJoule));
        expect(Number(row.energy_per_query_mj)).toBe(six(s.power.energyPerQueryMj));
        expect(Number(row.avg_power_w)).toBeCloseTo(30, 6);
      } else {
        // A smoke run can end between two meter samples: nothing was integrated, so nothing is reported.
        expect([row.energy_per_inference_mj, row.energy_per_query_mj, row.avg_power_w, row.power_result]).toEqual(['', '', '', 'INVALID']);
      }
      // The uncertainty PTDaemon states comes with its readings: a window with none has none stated.
      expect([row.power_result, row.power_meter, row.power_meter_class, row.power_uncertainty_pct]).toEqual([s.power.result, 'ptdaemon', s.power.meter.class, s.power.uncertaintyPct === null ? '' : String(s.power.uncertaintyPct)]);
      if (s.power.energyJ > 0) expect(row.power_uncertainty_pct).toBe(String(UNCERTAINTY_PCT));

      // Every node ran on the CPU: the profile measured it, and no share is on an accelerator.
      expect(stored.profile, 'operator profile').not.toBeNull();
      expect(row.operator_providers).toBe(stored.profile!.providers.map((p) => `${p.provider}:${p.nodes}`).join(';'));
      expect([row.accelerator_node_share, row.accelerator_time_share]).toEqual(['0', '0']);
      expect(row.report_id).toBe(stored.id);

      // Quality is the workload's, measured once on its first scenario's accuracy pass, on each of its rows.
      const firstRow = rows.find((r) => r.workload === row.workload && r.scenario === workload.scenarios[0]!.scenario)!;
      const q = independentQuality((await storedReport(firstRow.report_id!)).summary, workload.quality);
      expect([Number(row.quality), Number(row.quality_reference), Number(row.quality_relative), Number(row.quality_samples), row.quality_target_met]).toEqual([six(q.candidate), six(q.reference), six(q.relative), q.samples, q.met]);

      if (workload === slm) {
        expect([row.model, row.model_digest, row.technique, row.division]).toEqual([`${slmModel.name}@${slmModel.version}`, `sha256:${slmModel.digest}`, 'none', 'closed']);
        const llm = s.llm!;
        expect([Number(row.prompt_tokens), Number(row.output_tokens)]).toEqual([slm.llmLengths!.promptTokens, slm.llmLengths!.outputTokens]);
        expect([Number(row.ttft_p50_ms), Number(row.ttft_p90_ms), Number(row.tpot_p50_ms), Number(row.tpot_p90_ms)]).toEqual([ms(llm.ttft.p50Ns), ms(llm.ttft.p90Ns), ms(llm.tpot!.p50Ns), ms(llm.tpot!.p90Ns)]);
        expect(Number(row.output_tokens_per_s)).toBe(six(llm.outputTokensPerSecond));
        expect(row.quality_metric).toBe('mmlu-accuracy');
        const first = (await storedReport(firstRow.report_id!)).summary.accuracy!.mmlu!;
        expect(Number(row.answer_agreement)).toBe(six(first.reference!.predictionAgreement));
        // Greedy-token agreement with the FP32 reference: matched over compared tokens of the stored accuracy pass.
        const tokens = (await storedReport(firstRow.report_id!)).summary.accuracy!.tokenAgreement!;
        expect(Number(row.token_agreement)).toBe(six(tokens.matched / tokens.tokens));
        // Energy per generated token over the LLM window: the metered device measured it.
        expect(Number(row.energy_per_token_mj)).toBe(six(llm.energy!.measured ? llm.energy!.energyPerOutputTokenMj : NaN));
      } else {
        expect([row.model, row.model_digest, row.technique, row.division]).toEqual(['tiny-cnn-int8-broken@1', `sha256:${variantDigest}`, 'quantization', 'closed']);
        // int8: the weights' type, not the float32 input's.
        expect(row.precision).toBe(onnxWeightPrecision(variantFile));
        // Not LM conditions: empty, never 0.
        for (const column of ['prompt_tokens', 'output_tokens', 'ttft_p50_ms', 'tpot_p50_ms', 'output_tokens_per_s', 'answer_agreement', 'token_agreement', 'energy_per_token_mj']) expect(row[column], column).toBe('');
        // The broken INT8 variant misses the target.
        expect(row.quality_target_met).toBe('no');
        const fidelity = (await storedReport(firstRow.report_id!)).summary.accuracy!.fidelity!.outputs;
        expect(Number(row.fidelity_min_cosine)).toBe(six(Math.min(...fidelity.map((o) => o.minCosineSimilarity))));
        expect(Number(row.fidelity_top1_agreement)).toBe(six(fidelity[0]!.top1Agreement!));
      }
    }
    // The meter's figures were checked on real values, not only as empty cells.
    expect(energyRows).toBeGreaterThan(0);
  });

  it('npubench suite show --grid writes the same CSV to a file', async () => {
    const dir = await createTempDir('suite-grid-');
    const file = join(dir, 'grid.csv');
    const env = { NPUBENCH_API_URL: t.url, NPUBENCH_API_KEY: vendor.key };
    const res = await runNpubench(['suite', 'show', runId, '--grid', file], env);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const api = await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${runId}/condition-grid.csv`, headers: bearer(vendor.key) });
    expect(readFileSync(file, 'utf8')).toBe(api.body);
    const toStdout = await runNpubench(['suite', 'show', runId, '--grid'], env);
    expect(toStdout.code, toStdout.stderr).toBe(0);
    expect(toStdout.stdout).toBe(api.body);
  }, 240_000);
});
