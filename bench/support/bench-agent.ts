// A real Agent (BullMQ workers, claim and result over HTTP, harness child processes) in the benchmark's
// process, serving devices of a BenchService, plus the helpers to submit a job and wait for it.
import { createRedis } from '../../src/lib/redis.js';
import { createLogger } from '../../src/lib/logger.js';
import { Agent, type AgentOptions } from '../../src/workers/agent/agent.js';
import { createAgent } from '../../src/services/agents/agents.js';
import type { BenchService } from './bench-service.js';

let counter = 0;

export async function startBenchAgent(
  service: BenchService,
  devices: string[],
  opts: Partial<Pick<AgentOptions, 'profileIterations' | 'spareHarness' | 'runHarness'>> = {},
): Promise<{ agent: Agent; stop: () => Promise<void> }> {
  const { token } = await createAgent(service.db, { name: `bench-agent-${++counter}`, devices });
  const connection = createRedis(service.redisUrl, 'worker');
  const agent = new Agent({
    apiUrl: service.url,
    token,
    devices,
    connection,
    queuePrefix: service.queuePrefix,
    cacheDir: `${service.dataDir}/agent-cache-${counter}`,
    harnessTimeoutMs: 120_000,
    heartbeatIntervalMs: 10_000,
    log: createLogger('warn', 'bench-agent'),
    ...opts,
  });
  await agent.start();
  return {
    agent,
    stop: async () => {
      await agent.stop(10_000);
      await connection.quit();
    },
  };
}

/** Submits a job through the API as the holder of `key`; returns its id. */
export async function submitJob(service: BenchService, key: string, body: { modelId: string; device: string; suite: Record<string, unknown> }): Promise<string> {
  const res = await fetch(`${service.url}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Records every job the agent finishes, so a wait can start after the job did. */
export function watchJobs(agent: Agent): { succeeded(jobId: string): Promise<void> } {
  const outcomes = new Map<string, { outcome: string; code?: string | undefined }>();
  const waiters = new Map<string, () => void>();
  agent.on('job-finished', (e) => {
    outcomes.set(e.jobId, e);
    waiters.get(e.jobId)?.();
  });
  return {
    async succeeded(jobId) {
      if (!outcomes.has(jobId)) await new Promise<void>((resolve) => waiters.set(jobId, resolve));
      waiters.delete(jobId);
      const e = outcomes.get(jobId)!;
      if (e.outcome !== 'succeeded') throw new Error(`job ${jobId} ended ${e.outcome} ${e.code ?? ''}`);
    },
  };
}
