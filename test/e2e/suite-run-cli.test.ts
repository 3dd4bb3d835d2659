// `npubench suite run` through the real CLI process against a real API and agent: it queues the suite's
// image-classification workload (the smoke preset, so not conforming), follows it to the signed suite
// report and prints each workload's verdict; `npubench suite show` prints the same report again. The
// figures printed are checked against the API's stored reports, not against the CLI's own output.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { runNpubench } from '../helpers/processes.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import type { SuiteReport, SuiteRun } from '../../src/contracts/suite-runs.js';

let t: TestApi;
let vendor: { key: string };

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-suite', name: 'CPU', manufacturer: 'test' } });
  await startTestAgent(t, ['cpu-suite'], { harnessTimeoutMs: 600_000 });
});

describe('npubench suite run', () => {
  it('runs the workload, follows it and prints the signed suite report; suite show prints it again', async () => {
    const env = { NPUBENCH_DATA_DIR: await createTempDir('npubench-cli') };
    const common = ['--api-url', t.url, '--api-key', vendor.key];
    const run = await runNpubench(['suite', 'run', 'npubench-edge@1', '--device', 'cpu-suite', '--workload', 'image-classification', '--reduced-preset', 'smoke', '--json', ...common], env, 600_000);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const { run: finished, report } = JSON.parse(run.stdout) as { run: SuiteRun; report: SuiteReport };
    expect(finished.status).toBe('FINISHED');
    const stored = await t.deps.db.suiteRun.findUniqueOrThrow({ where: { id: finished.id } });
    expect(report.statementDigest).toBe(stored.statementDigest);
    expect(finished.workloads.map((w) => w.entries.map((e) => e.status))).toEqual([['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']]);

    const show = await runNpubench(['suite', 'show', finished.id, ...common], env);
    expect(show.code, show.stderr + show.stdout).toBe(0);
    expect(show.stdout).toContain(`Suite report ${stored.statementDigest}`);
    expect(show.stdout).toMatch(/Does NOT conform to the suite:\n {2}- every scenario ran the smoke preset/);
    expect(show.stdout).toMatch(/image-classification: succeeded \(closed division\) quality top1-agreement 1 vs reference 1 \(100\.00%, target 99%\): meets target/);
    expect(show.stdout).toContain('ocr-direction: not run');
    // The Server entry's rate was searched against the workload's 10 ms bound, and the summary says how.
    expect(show.stdout).toMatch(/\n {4}rate searched against 10 ms: (found [\d.]+ QPS|no rate met the bound) \((converged|max-steps|qps-limit|no-passing-qps)\); reported at [\d.]+ QPS; steps [\d.]+ QPS [\d.]+ ms (VALID|INVALID)/);
    // The printed p90 of the single-stream entry is the stored report's.
    const reportId = finished.workloads[0]!.entries[0]!.reportId!;
    const summary = (await t.deps.db.report.findUniqueOrThrow({ where: { id: reportId } })).summary as { latency: { p90Ns: number } };
    expect(show.stdout).toContain(`single-stream: p90 ${(summary.latency.p90Ns / 1e6).toFixed(3)} ms`);

    const bad = await runNpubench(['suite', 'run', 'npubench-edge@1', '--device', 'cpu-suite', '--model', 'image-classification', ...common], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--model image-classification: write it as <workload>=<model id>/);
  }, 900_000);
});
