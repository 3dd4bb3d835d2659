// An in-process agent (real BullMQ worker, real harness child processes, real HTTP to the test API).
import { afterAll } from 'vitest';
import { createRedis } from '../../src/lib/redis.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { Agent, type RunnerCommand } from '../../src/workers/agent/agent.js';
import { createAgent } from '../../src/services/agents/agents.js';
import { startTestApi, type TestApi } from './test-service.js';
import { bearer } from './problem.js';
import { fixtureModel, modelForm } from './fixtures.js';
import { createTempDir } from './isolated-resources.js';

let counter = 0;

export async function startTestAgent(t: TestApi, devices: string[], opts: { harnessTimeoutMs?: number; harnessMemoryLimitBytes?: number; runners?: Record<string, RunnerCommand>; log?: Logger } = {}): Promise<Agent> {
  const { token } = await createAgent(t.deps.db, { name: `test-agent-${process.pid}-${++counter}`, devices });
  const connection = createRedis(t.deps.config.env.REDIS_URL, 'worker');
  // Tests that stop Redis expect reconnect attempts; BullMQ reports them through its own events.
  connection.on('error', () => undefined);
  const agent = new Agent({
    apiUrl: t.url,
    token,
    devices,
    connection,
    queuePrefix: t.queuePrefix,
    cacheDir: await createTempDir('npubench-agent'),
    harnessTimeoutMs: opts.harnessTimeoutMs ?? 120_000,
    ...(opts.harnessMemoryLimitBytes !== undefined && { harnessMemoryLimitBytes: opts.harnessMemoryLimitBytes }),
    heartbeatIntervalMs: 1_000,
    ...(opts.runners && { runners: opts.runners }),
    log: opts.log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test-agent'),
  });
  await agent.start();
  afterAll(async () => {
    await agent.stop(5_000);
    await connection.quit();
  });
  return agent;
}

/** Polls the job until it reaches a terminal status. */
export async function waitForJob(t: TestApi, jobId: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await t.deps.db.job.findUniqueOrThrow({ where: { id: jobId } });
    if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Certifies `reportId` through the API under a new profile any real run passes (p90 under 60 s), for
 * tests that need a certificate to exist; returns the certificate id.
 */
export async function certifyUnderLenientProfile(t: TestApi, adminKey: string, reportId: string, profileName: string): Promise<string> {
  const profile = await t.app.inject({
    method: 'POST',
    url: '/v1/profiles',
    headers: bearer(adminKey),
    payload: { name: profileName, version: 1, title: 'Lenient', description: '', rules: { latency: { percentile: 90, maxMs: 60_000 } }, validityDays: 30 },
  });
  const cert = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(adminKey), payload: { reportId, profileId: (profile.json() as { id: string }).id } });
  if (cert.statusCode !== 201) throw new Error(`certifying ${reportId} answered ${cert.statusCode}: ${cert.body}`);
  return (cert.json() as { certificateId: string }).certificateId;
}

/**
 * What a test of a real `npubench agent` process needs: an API listening on loopback with one device,
 * a vendor who uploaded the mlp fixture, and the environment of an agent process for that device.
 */
export async function agentProcessFixture(device: string, agentName: string): Promise<{ t: TestApi; vendor: { key: string }; modelId: string; env: Record<string, string> }> {
  const t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  const vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: device, name: 'NPU', manufacturer: 'test' } });
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  const { token } = await createAgent(t.deps.db, { name: agentName, devices: [device] });
  const env = {
    NPUBENCH_AGENT_TOKEN: token,
    NPUBENCH_API_URL: t.url,
    REDIS_URL: t.deps.config.env.REDIS_URL,
    NPUBENCH_QUEUE_PREFIX: t.queuePrefix,
    NPUBENCH_AGENT_CACHE_DIR: await createTempDir(`npubench-${agentName}`),
    NPUBENCH_HEARTBEAT_INTERVAL_MS: '500',
    LOG_LEVEL: 'info',
  };
  return { t, vendor, modelId: (up.json() as { id: string }).id, env };
}
