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

const PYTHON_CLIENT = fileURLToPath(new URL('../../docs/examples/python-client/check_report.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;

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

  beforeAll(async () => {
    t = await startTestApi({ listen: true });
    const admin = await t.createOrgWithKey('ADMIN');
    vendor = await t.createOrgWithKey('VENDOR');
    await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-export', name: 'NPU', manufacturer: 'test' } });
    await startTestAgent(t, ['npu-export']);
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
    const job = (
      await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: (up.json() as { id: string }).id, device: 'npu-export', suite: { preset: 'smoke' } } })
    ).json() as { id: string };
    expect((await waitForJob(t, job.id)).status).toBe('SUCCEEDED');
    reportId = (await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } })).id;
  });

  const report = (format: string) => runNpubench(['report', reportId, '--format', format, '--api-url', t.url, '--api-key', vendor.key], {});

  it('exports JSON, CSV and the MLPerf summary', async () => {
    const json = await report('json');
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { id: string }).id).toBe(reportId);
    const csv = await report('csv');
    const [header, row] = csv.stdout.trim().split('\n');
    const cells = Object.fromEntries(header!.split(',').map((name, i) => [name, row!.split(',')[i]]));
    expect(cells).toMatchObject({ report_id: reportId, device: 'npu-export', scenario: 'single-stream' });
    expect(Number(cells.p90_ms)).toBeGreaterThan(0);
    const mlperf = await report('mlperf');
    expect(mlperf.stdout).toMatch(/Result is : (VALID|INVALID)/);
    const missing = await runNpubench(['report', '00000000-0000-4000-8000-000000000000', '--api-url', t.url, '--api-key', vendor.key], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('report.not_found');
  });

  it.skipIf(!hasPython)('recomputes the percentiles from Python with the standard library only', async () => {
    // Asynchronously: the API under test runs in this process and must keep answering.
    const { stdout: out } = await promisify(execFile)('python3', [PYTHON_CLIENT, reportId], { env: { ...process.env, NPUBENCH_API_URL: t.url, NPUBENCH_API_KEY: vendor.key } });
    expect(out).toMatch(/p90\s+stored\s+\d+ ns\s+recomputed\s+\d+ ns\s+ok/);
    expect(out).not.toContain('MISMATCH');
  });
});
