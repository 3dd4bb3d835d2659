// An API answer the agent cannot use (version skew, a broken proxy) must end the job with a clear,
// stable code at the boundary, not crash the agent deep inside a run. The "API" here is a small real
// HTTP server, so it can answer what the real one never would; the agent, BullMQ and Redis are real.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createRedis } from '../../src/lib/redis.js';
import { createLogger } from '../../src/lib/logger.js';
import { Agent, type AgentEvents } from '../../src/workers/agent/agent.js';
import { BenchQueues } from '../../src/queue/bench-queues.js';
import { ApiHttpClient, ApiRequestError } from '../../src/lib/http-client.js';
import { claimedJobSchema } from '../../src/contracts/agent-protocol.js';
import { resolveSuiteSpec } from '../../src/harness/index.js';
import { createQueuePrefix, createTempDir } from '../helpers/isolated-resources.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';

const DEVICE = 'npu-skew';
const digest = 'ab'.repeat(32);

/** A claim answer as the API sends it, written out here rather than taken from the service. */
const claimAnswer = (jobId: string) => ({
  jobId,
  suite: resolveSuiteSpec({ preset: 'smoke' }),
  model: { id: randomUUID(), digest, sizeBytes: 1234 },
  device: { slug: DEVICE, backendKind: 'onnxruntime', executionProvider: 'cpu', backendOptions: {}, powerMeter: null },
});

let server: Server;
let apiUrl: string;
/** What the fake API answers a claim of each job id with. */
const claims = new Map<string, (res: ServerResponse) => void>();
const failures: { jobId: string; body: { code: string; message: string } }[] = [];

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

const json = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const url = req.url ?? '';
      if (url === '/v1/agent/register') return json(res, 200, { agentId: randomUUID(), devices: [DEVICE] });
      if (url === '/v1/agent/heartbeat') return res.writeHead(204).end();
      const claim = /^\/v1\/agent\/jobs\/([^/]+)\/claim$/.exec(url);
      if (claim) return (claims.get(claim[1]!) ?? ((r) => json(r, 404, { type: 'x', title: 'Not Found', status: 404, detail: 'No such job.', code: 'job.not_found' }, 'application/problem+json')))(res);
      const fail = /^\/v1\/agent\/jobs\/([^/]+)\/fail$/.exec(url);
      if (fail) {
        failures.push({ jobId: fail[1]!, body: JSON.parse(body) as { code: string; message: string } });
        return json(res, 200, { recorded: true, status: 'FAILED' });
      }
      json(res, 500, { type: 'x', title: 'Internal Server Error', status: 500, detail: `unexpected ${url}`, code: 'internal' }, 'application/problem+json');
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the agent holds the API to the agent-protocol contract', () => {
  it('the claim answer written out in this test is one the contract and the harness accept (so the broken ones below differ only by what they break)', () => {
    expect(claimedJobSchema.safeParse(claimAnswer(randomUUID())).success).toBe(true);
  });

  it('a claim answer without the model digest fails the job with api.unexpected_answer naming the field, and the agent goes on serving', async () => {
    const prefix = createQueuePrefix();
    const connection = createRedis(TEST_REDIS_URL, 'worker');
    const producer = createRedis(TEST_REDIS_URL, 'producer');
    const queues = new BenchQueues(producer, prefix);
    const agent = new Agent({
      apiUrl,
      token: 'npba_test',
      devices: [DEVICE],
      connection,
      queuePrefix: prefix,
      cacheDir: await createTempDir('npubench-agent-skew'),
      harnessTimeoutMs: 60_000,
      heartbeatIntervalMs: 60_000,
      spareHarness: false,
      log: createLogger('silent', 'test-agent'),
    });
    const finished: AgentEvents['job-finished'][0][] = [];
    agent.on('job-finished', (e) => finished.push(e));
    const settled = (jobId: string) =>
      new Promise<AgentEvents['job-finished'][0]>((resolve) => {
        const check = (e: AgentEvents['job-finished'][0]) => {
          if (e.jobId !== jobId) return;
          agent.off('job-finished', check);
          resolve(e);
        };
        agent.on('job-finished', check);
      });
    try {
      await agent.start();

      const broken = randomUUID();
      claims.set(broken, (res) => {
        const answer = claimAnswer(broken);
        const { digest: _dropped, ...model } = answer.model;
        json(res, 200, { ...answer, model });
      });
      const brokenDone = settled(broken);
      await queues.enqueue({ jobId: broken, deviceSlug: DEVICE });
      expect(await brokenDone).toEqual({ jobId: broken, outcome: 'failed', code: 'api.unexpected_answer' });
      const failure = failures.find((f) => f.jobId === broken);
      expect(failure?.body.code).toBe('api.unexpected_answer');
      expect(failure?.body.message).toContain('model.digest');

      // Not JSON at all (an HTML page from a proxy): the same code, and still no crash.
      const html = randomUUID();
      claims.set(html, (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>gateway</html>'));
      const htmlDone = settled(html);
      await queues.enqueue({ jobId: html, deviceSlug: DEVICE });
      expect(await htmlDone).toEqual({ jobId: html, outcome: 'failed', code: 'api.unexpected_answer' });
      expect(failures.find((f) => f.jobId === html)?.body.message).toContain('not JSON');

      // The agent still serves: the next job's (problem) answer is handled as before.
      const gone = randomUUID();
      claims.set(gone, (res) => json(res, 409, { type: 'x', title: 'Conflict', status: 409, detail: 'The job is CANCELED.', code: 'job.not_claimable' }, 'application/problem+json'));
      const goneDone = settled(gone);
      await queues.enqueue({ jobId: gone, deviceSlug: DEVICE });
      expect(await goneDone).toEqual({ jobId: gone, outcome: 'skipped', code: 'job.not_claimable' });
      expect(finished.map((e) => e.jobId)).toEqual([broken, html, gone]);
    } finally {
      await agent.stop(5_000);
      await queues.close();
      await connection.quit();
      await producer.quit();
    }
  });
});

describe('ApiHttpClient parses every answer with its contract', () => {
  it('an answer off the contract is an ApiRequestError with the path of the first bad field', async () => {
    const jobId = randomUUID();
    claims.set(jobId, (res) => json(res, 200, { ...claimAnswer(jobId), device: { ...claimAnswer(jobId).device, executionProvider: 'warp-drive' } }));
    const err = await new ApiHttpClient(apiUrl, 'npba_test').request(claimedJobSchema, 'POST', `/v1/agent/jobs/${jobId}/claim`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect((err as ApiRequestError).code).toBe('api.unexpected_answer');
    expect((err as ApiRequestError).message).toContain('device.executionProvider');
    expect((err as ApiRequestError).transient).toBe(false);
  });

  it('an error answer that is not a problem keeps its status and gets http.<status>', async () => {
    const jobId = randomUUID();
    claims.set(jobId, (res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>'));
    const err = await new ApiHttpClient(apiUrl, 'npba_test').request(claimedJobSchema, 'POST', `/v1/agent/jobs/${jobId}/claim`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect([(err as ApiRequestError).status, (err as ApiRequestError).code, (err as ApiRequestError).transient]).toEqual([502, 'http.502', true]);
  });
});
