// `npubench submit` of an LLM bundle with a reference: both are uploaded (or reused), the job runs MMLU
// and the gate on a real agent, and the printed report carries the accuracy section.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { runNpubench } from '../helpers/processes.js';
import { fixtureBundle } from '../helpers/archives.js';
import { createTempDir } from '../helpers/isolated-resources.js';

let t: TestApi;
let vendor: { key: string };

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-acc', name: 'CPU', manufacturer: 'test' } });
  await startTestAgent(t, ['cpu-acc']);
});

describe('npubench submit with accuracy', () => {
  it('uploads bundle and reference, runs MMLU with a gate and prints the accuracy rows', async () => {
    const suite = JSON.stringify({ preset: 'smoke', accuracy: { mmlu: { subjects: ['korean_science'] }, gate: {} } });
    const args = ['submit', fixtureBundle('tiny-lm.tar.gz'), '--device', 'cpu-acc', '--reference', fixtureBundle('tiny-lm.zip'), '--suite', suite, '--api-url', t.url, '--api-key', vendor.key];
    const env = { NPUBENCH_DATA_DIR: await createTempDir('npubench-cli') };
    const first = await runNpubench([...args, '--json'], env);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const { job, report } = JSON.parse(first.stdout) as { job: { status: string }; report: { summary: { accuracy: { mmlu: { questionCount: number; reference: { predictionAgreement: number } }; gate: { result: string } } } } };
    expect(job.status).toBe('SUCCEEDED');
    expect(report.summary.accuracy.mmlu.questionCount).toBe(8);
    expect(report.summary.accuracy.mmlu.reference.predictionAgreement).toBe(1);
    expect(report.summary.accuracy.gate.result).toBe('PASS');

    const second = await runNpubench(args, env);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(second.stdout).toMatch(/Model tiny-lm@sha256-\w+ already uploaded/);
    expect(second.stdout).toMatch(/MMLU accuracy\s+\d+\.\d% \(\d\/8/);
    expect(second.stdout).toMatch(/accuracy gate\s+PASS/);
    expect(await t.deps.db.model.count()).toBe(2);
  }, 180_000);
});
