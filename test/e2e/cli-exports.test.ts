// The CLI as vendors wire it into CI: the regression gate, report exports, and a Python client
// (standard library) recomputing a report's percentiles from its raw samples.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { runNpubench } from '../helpers/processes.js';
import { loadgenPercentile } from '../helpers/independent-stats.js';

const PYTHON_CLIENT = fileURLToPath(new URL('../../docs/examples/python-client/check_report.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;

/** One small job per scenario. Offline with 4 in flight, so a sample's end - start (its service time)
 *  is far from its latency from the query issue at 0, and a client that confuses the two fails. */
const SCENARIO_SUITES: Record<string, Record<string, unknown>> = {
  'single-stream': { preset: 'smoke' },
  'multi-stream': { preset: 'smoke', scenario: 'multi-stream', samplesPerQuery: 4 },
  server: { preset: 'smoke', scenario: 'server', targetQps: 200, targetLatencyMs: 1000 },
  offline: { preset: 'smoke', scenario: 'offline', offlineSampleCount: 64, maxOutstandingQueries: 4 },
};

/** docs/report-format.md: Server counts from the scheduled time, Offline from the query issue at 0. */
function documentedLatency(scenario: string, query: number[]): number {
  if (scenario === 'server') return query[2]! - query[0]!;
  if (scenario === 'offline') return query[1]!;
  return query[1]! - query[0]!;
}

describe('npubench compare as a CI gate', () => {
  it('passes within the limits, fails past them with the metric named, and rejects unknown metrics', async () => {
    const dir = await createTempDir('npubench-compare');
    const base = join(dir, 'base.json');
    expect((await runNpubench(['bench', fixtureModel('tiny-cnn.onnx'), '--preset', 'smoke', '--out', base], {})).code).toBe(0);
    const report = JSON.parse(await readFile(base, 'utf8')) as { summary: { latency: { p90Ns: number }; qps: number } };
    const slower = join(dir, 'slower.json');
    report.summary.latency.p90Ns *= 1.2; // a 20% regression of p90
    await writeFile(slower, JSON.stringify(report));

    const same = await runNpubench(['compare', base, base, '--max-regression', 'p90=5%,qps=5%'], {});
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toMatch(/ok\s+p90/);
    const gated = await runNpubench(['compare', base, slower, '--max-regression', 'p90=5%'], {});
    expect(gated.code).toBe(1);
    expect(gated.stdout).toMatch(/FAIL p90: worse by 20\.0% \(limit 5\.0%\)/);
    const energy = await runNpubench(['compare', base, slower, '--max-regression', 'energy=5%', '--json'], {});
    expect(energy.code).toBe(1); // no power in these reports: a gate on a missing metric cannot pass
    expect(JSON.parse(energy.stdout)).toMatchObject({ passed: false, gates: [{ key: 'energy', missing: true }] });
    const unknown = await runNpubench(['compare', base, base, '--max-regression', 'speed=5%'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--max-regression');
  });
});

describe('exports of a stored report', () => {
  let t: TestApi;
  let vendor: { key: string };
  let reportId: string;
  const reportIds: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApi({ listen: true });
    const admin = await t.createOrgWithKey('ADMIN');
    vendor = await t.createOrgWithKey('VENDOR');
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-export', name: 'NPU', manufacturer: 'test' } });
    await startTestAgent(t, ['npu-export']);
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
    const modelId = (up.json() as { id: string }).id;
    for (const [scenario, suite] of Object.entries(SCENARIO_SUITES)) {
      const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'npu-export', suite } })).json() as { id: string };
      const done = await waitForJob(t, job.id);
      expect(done.status, `${scenario}: ${done.errorCode}: ${done.errorMessage}`).toBe('SUCCEEDED');
      reportIds[scenario] = (await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } })).id;
    }
    reportId = reportIds['single-stream']!;
  }, 120_000);

  const report = (format: string) => runNpubench(['report', reportId, '--format', format, '--api-url', t.url, '--api-key', vendor.key], {});

  it('exports JSON, CSV and the MLPerf summary', async () => {
    const json = await report('json');
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { id: string }).id).toBe(reportId);
    const csv = await report('csv');
    const [header, row] = csv.stdout.trim().split('\n');
    const cells = Object.fromEntries(header!.split(',').map((name, i) => [name, row!.split(',')[i]]));
    expect(cells).toMatchObject({ report_id: reportId, device: 'npu-export', scenario: 'single-stream' });
    // The stored figures, checked against the test's own percentile of the raw samples.
    const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${reportId}/raw-samples`, headers: bearer(vendor.key) })).json() as { runs: { queries: number[][] }[] };
    const latencies = raw.runs.flatMap((run) => run.queries.map((query) => documentedLatency('single-stream', query)));
    expect(Number(cells.p90_ms)).toBe(loadgenPercentile(latencies, 90) / 1e6);
    expect(Number(cells.queries)).toBe(latencies.length);
    const stored = (await t.deps.db.report.findUniqueOrThrow({ where: { id: reportId } })).summary as { result: string };
    expect(cells.result).toBe(stored.result);
    const mlperf = await report('mlperf');
    expect(mlperf.stdout).toContain(`Result is : ${stored.result}`);
    expect(mlperf.stdout).toMatch(new RegExp(`90.00 percentile latency \\(ns\\)\\s*: ${loadgenPercentile(latencies, 90)}\\b`));
    const missing = await runNpubench(['report', '00000000-0000-4000-8000-000000000000', '--api-url', t.url, '--api-key', vendor.key], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('report.not_found');
  });

  it.skipIf(!hasPython).each(Object.keys(SCENARIO_SUITES))('recomputes the %s percentiles from Python with the standard library only', async (scenario) => {
    const id = reportIds[scenario]!;
    // Asynchronously: the API under test runs in this process and must keep answering.
    const { code, out } = await promisify(execFile)('python3', [PYTHON_CLIENT, id], { env: { ...process.env, NPUBENCH_API_URL: t.url, NPUBENCH_API_KEY: vendor.key } }).then(
      ({ stdout }) => ({ code: 0, out: stdout }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, out: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(code, out).toBe(0);
    expect(out).not.toContain('MISMATCH');
    // The script's figures are the test's own: LoadGen's percentile of each query's latency as
    // report-format.md defines it, computed here from the raw samples.
    const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${id}/raw-samples`, headers: bearer(vendor.key) })).json() as { scenario: string; runs: { queries: number[][] }[] };
    expect(raw.scenario).toBe(scenario);
    const latencies = raw.runs.flatMap((run) => run.queries.map((query) => documentedLatency(scenario, query)));
    for (const percent of [50, 90, 99]) {
      const expected = loadgenPercentile(latencies, percent);
      expect(out).toMatch(new RegExp(`p${percent}\\s+stored\\s+${expected} ns\\s+recomputed\\s+${expected} ns\\s+ok`));
    }
  });
});
