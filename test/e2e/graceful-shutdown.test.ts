// Graceful shutdown of real processes on SIGTERM. The agent takes no new job, lets the running one
// finish within its deadline, or past the deadline stops it and hands it back to the queue; the API
// stops accepting connections, completes the request in flight, and exits 0.
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../helpers/test-service.js';
import { agentProcessFixture, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { freePort, harnessOfRunningJob, startNpubench, type RunningProcess } from '../helpers/processes.js';
import { createQueuePrefix, createTempDir, createTestDatabase } from '../helpers/isolated-resources.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';

const DEVICE = 'npu-stop';

const exitOf = (proc: RunningProcess) => new Promise<number | null>((resolve) => (proc.child.exitCode !== null ? resolve(proc.child.exitCode) : proc.child.once('exit', (code) => resolve(code))));

describe.skipIf(process.platform !== 'linux')('agent on SIGTERM', () => {
  let t: TestApi;
  let vendor: { key: string };
  let modelId: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ t, vendor, modelId, env } = await agentProcessFixture(DEVICE, 'stop-agent'));
  });

  const submit = async (minDurationMs: number) =>
    ((await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: DEVICE, suite: { preset: 'smoke', minDurationMs } } })).json() as { id: string }).id;

  async function agentRunning(job: string, deadlineMs: number) {
    const agent = startNpubench(['agent', '--device', DEVICE], { ...env, NPUBENCH_AGENT_SHUTDOWN_DEADLINE_MS: String(deadlineMs) });
    await agent.waitForOutput(/npubench agent serving/, 120_000);
    const harness = await harnessOfRunningJob(agent.child.pid!, async () => (await t.deps.db.job.findUniqueOrThrow({ where: { id: job } })).status);
    expect((await t.deps.db.job.findUniqueOrThrow({ where: { id: job } })).status).toBe('RUNNING');
    return { agent, harness };
  }

  it('finishes the running job within the deadline, takes no new one, and exits 0', { timeout: 300_000 }, async () => {
    const running = await submit(2_000);
    const { agent } = await agentRunning(running, 120_000);
    agent.child.kill('SIGTERM');
    const waiting = await submit(200); // submitted after SIGTERM: this agent must leave it alone
    expect(await exitOf(agent)).toBe(0);
    expect(agent.output()).toMatch(/agent stopped/);
    expect((await waitForJob(t, running, 5_000)).status).toBe('SUCCEEDED');
    expect(await t.deps.db.job.findUniqueOrThrow({ where: { id: waiting } })).toMatchObject({ status: 'QUEUED', attempts: 0 });
    await t.deps.db.job.update({ where: { id: waiting }, data: { status: 'CANCELED' } });
    await t.deps.queues.removeWaiting(DEVICE, waiting);
  });

  it('past the deadline stops the run and hands the job back, and the next agent runs it once', { timeout: 300_000 }, async () => {
    const long = await submit(8_000);
    const { agent, harness } = await agentRunning(long, 500);
    agent.child.kill('SIGTERM');
    expect(await exitOf(agent)).toBe(0);
    expect(agent.output()).toMatch(/job handed back for shutdown/);
    expect(existsSync(`/proc/${harness}`)).toBe(false);
    expect(await t.deps.db.job.findUniqueOrThrow({ where: { id: long } })).toMatchObject({ status: 'QUEUED', agentId: null, attempts: 1 });
    expect((await t.deps.queues.failureOf(DEVICE, long))?.state).toBe('waiting');

    const next = startNpubench(['agent', '--device', DEVICE], env);
    await next.waitForOutput(/npubench agent serving/, 120_000);
    const done = await waitForJob(t, long, 120_000);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(await t.deps.db.report.count({ where: { jobId: long } })).toBe(1);
    next.child.kill('SIGTERM');
    expect(await exitOf(next)).toBe(0);
  });
});

describe('API on SIGTERM', () => {
  it('stops accepting connections, completes the request in flight, and exits 0', { timeout: 300_000 }, async () => {
    const port = await freePort();
    const api = startNpubench(['serve'], {
      DATABASE_URL: await createTestDatabase(),
      REDIS_URL: TEST_REDIS_URL,
      NPUBENCH_QUEUE_PREFIX: createQueuePrefix(),
      NPUBENCH_DATA_DIR: await createTempDir('npubench-stop-api'),
      PORT: String(port),
      NPUBENCH_LOCAL_AGENT: 'false',
      NPUBENCH_SAMPLE_BENCHMARK: 'false',
      LOG_LEVEL: 'warn',
    });
    const [, vendorKey] = await api.waitForOutput(/vendor key \(demo-vendor, role vendor\):\s+(\S+)/, 120_000);

    // An upload whose body is still arriving when SIGTERM comes.
    const boundary = 'npubench-shutdown';
    const model = readFileSync(fixtureModel('mlp-classifier.onnx'));
    const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="name"\r\n\r\nin-flight\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="m.onnx"\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = Buffer.concat([head, model, tail]);
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`http://127.0.0.1:${port}/v1/models`, {
        method: 'POST',
        headers: { authorization: `Bearer ${vendorKey}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, head.length + 100));
      setTimeout(() => {
        api.child.kill('SIGTERM');
        // Give the server time to stop listening, then check it refuses new connections before finishing the upload.
        setTimeout(() => {
          fetch(`http://127.0.0.1:${port}/healthz`).then(
            () => reject(new Error('the API accepted a new connection after SIGTERM')),
            () => req.end(body.subarray(head.length + 100)),
          );
        }, 1_000);
      }, 300);
    });
    const answer = await response;
    expect(answer.status, answer.body).toBe(201);
    expect(await exitOf(api)).toBe(0);
  });
});
