// Devices driven through the runner protocol: the agent host maps each device to a runner command.
// The reference runner succeeds with runner-measured timings in the report; runners that write
// garbage, answer with a wrong-size tensor, die mid-run or hang fail their job with a specific code,
// and the agent keeps serving.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { latenciesOf, loadgenPercentile } from '../helpers/independent-stats.js';
import { referenceRunnerCommand } from '../../src/harness/index.js';
import type { RunnerCommand } from '../../src/workers/agent/agent.js';

const MISBEHAVING = fileURLToPath(new URL('../fixtures/runners/misbehaving-runner.mjs', import.meta.url));
const misbehaving = (mode: string, extra: Partial<RunnerCommand> = {}): RunnerCommand => ({ command: process.execPath, args: [MISBEHAVING, mode], ...extra });

let t: TestApi;
let vendor: { key: string };
let modelId: string;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  const devices = ['ref-npu', 'npu-bad-json', 'npu-wrong-size', 'npu-crash', 'npu-hang', 'npu-unconfigured'];
  for (const slug of devices) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug, name: slug, manufacturer: 'test', backendKind: 'runner' } });
    expect(res.statusCode, res.body).toBe(201);
  }
  const pidFile = join(await createTempDir('npubench-runner'), 'pids.json');
  await startTestAgent(t, devices, {
    runners: {
      'ref-npu': referenceRunnerCommand(),
      'npu-bad-json': misbehaving('bad-json'),
      'npu-wrong-size': misbehaving('wrong-size'),
      'npu-crash': misbehaving('crash'),
      'npu-hang': misbehaving('hang', { env: { PID_FILE: pidFile }, requestTimeoutMs: 1_500 }),
    },
  });
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
});

const submit = (device: string) =>
  t.app
    .inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device, suite: { preset: 'smoke', dynamicDims: { batch: 1 } } } })
    .then((r) => r.json() as { id: string });

describe('runner devices', () => {
  it('runs a job through the reference runner and reports runner-measured timings beside host timings', async () => {
    const job = await submit('ref-npu');
    const done = await waitForJob(t, job.id);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('SUCCEEDED');
    const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } });
    const summary = report.summary as { backend: { executionProvider: string }; deviceLatency: { source: string; latency: { p50Ns: number } }; latency: { p50Ns: number } };
    expect(summary.backend.executionProvider).toMatch(/^runner:/);
    const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${report.id}/raw-samples`, headers: bearer(vendor.key) })).json() as {
      deviceTimingSource: string;
      runs: { queries: [number, number][]; deviceNs: number[] }[];
    };
    expect(raw.deviceTimingSource).toBe('runner');
    expect(summary.deviceLatency.source).toBe('runner');
    expect(summary.deviceLatency.latency.p50Ns).toBe(loadgenPercentile(raw.runs.flatMap((r) => r.deviceNs), 50));
    expect(summary.latency.p50Ns).toBe(loadgenPercentile(raw.runs.flatMap((r) => latenciesOf(r.queries)), 50));
    expect(report.profile).toBeNull(); // operator profiles come from onnxruntime in-process only
  });

  it.each([
    ['npu-bad-json', 'runner.protocol_error'],
    ['npu-wrong-size', 'runner.bad_output'],
    ['npu-crash', 'runner.crashed'],
    ['npu-hang', 'runner.timeout'],
    ['npu-unconfigured', 'agent.runner_not_configured'],
  ])('fails the job on %s with %s, and the agent keeps serving', async (device, code) => {
    const job = await submit(device);
    const failed = await waitForJob(t, job.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.errorCode).toBe(code);
    const next = await submit('ref-npu');
    expect((await waitForJob(t, next.id)).status).toBe('SUCCEEDED');
  });
});
