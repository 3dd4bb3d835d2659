// Credentials never leave the request that carries them: a real API and a real agent process log at
// `trace` through a whole job (upload, submit, claim, download, run, result) plus failed logins, and
// neither their logs, nor the BullMQ job data in Redis, nor the job row hold an API key or agent token.
// The only exception is the first-start banner, which shows the generated keys once by design.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { freePort, startNpubench } from '../helpers/processes.js';
import { createQueuePrefix, createTempDir, createTestDatabase } from '../helpers/isolated-resources.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';
import { keysUnder } from '../helpers/redis-keys.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createDb } from '../../src/lib/database.js';

async function redisContents(prefix: string): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL);
  const parts: string[] = [];
  for await (const keys of keysUnder(redis, prefix)) {
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'string') parts.push((await redis.get(key)) ?? '');
      else if (type === 'list') parts.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'zset') parts.push(...(await redis.zrange(key, 0, -1)));
      else if (type === 'set') parts.push(...(await redis.smembers(key)));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  }
  await redis.quit();
  return parts.join('\n');
}

/** The whole credential and its secret part (everything after the public prefix). */
const secretsOf = (token: string) => [token, token.split('_').slice(2).join('_')];

describe('no secrets in logs or job payloads', () => {
  it('keeps API keys and agent tokens out of API and agent logs, BullMQ job data and job rows', { timeout: 300_000 }, async () => {
    const port = await freePort();
    const prefix = createQueuePrefix();
    const databaseUrl = await createTestDatabase();
    const api = startNpubench(['serve'], {
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      NPUBENCH_QUEUE_PREFIX: prefix,
      NPUBENCH_DATA_DIR: await createTempDir('npubench-secrets'),
      PORT: String(port),
      NPUBENCH_LOCAL_AGENT: 'false',
      NPUBENCH_SAMPLE_BENCHMARK: 'false',
      LOG_LEVEL: 'trace',
    });
    const [, adminKey] = await api.waitForOutput(/admin key\s+\(lab, role admin\):\s+(\S+)/, 120_000);
    const [, vendorKey] = await api.waitForOutput(/vendor key \(demo-vendor, role vendor\):\s+(\S+)/);
    const url = `http://127.0.0.1:${port}`;
    const as = (key: string) => ({ authorization: `Bearer ${key}` });

    const agentRes = await fetch(`${url}/v1/agents`, { method: 'POST', headers: { ...as(adminKey!), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'secrets-agent', devices: ['host-cpu'] }) });
    const { token: agentToken } = (await agentRes.json()) as { token: string };
    const agent = startNpubench(['agent', '--device', 'host-cpu'], {
      NPUBENCH_AGENT_TOKEN: agentToken,
      NPUBENCH_API_URL: url,
      REDIS_URL: TEST_REDIS_URL,
      NPUBENCH_QUEUE_PREFIX: prefix,
      NPUBENCH_AGENT_CACHE_DIR: await createTempDir('npubench-secrets-agent'),
      LOG_LEVEL: 'trace',
    });
    await agent.waitForOutput(/npubench agent serving/, 120_000);

    const forged = 'npb_AAAAAAAA_' + 'S'.repeat(32);
    // The real key with its last character changed (to one it is not: a random key may end in 'x').
    const tampered = adminKey!.slice(0, -1) + (adminKey!.endsWith('x') ? 'y' : 'x');
    for (const token of [forged, tampered]) expect((await fetch(`${url}/v1/models`, { headers: as(token) })).status).toBe(401);
    const model = (await (await fetch(`${url}/v1/models`, { method: 'POST', headers: as(vendorKey!), body: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) })).json()) as { id: string };
    const submitted = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { ...as(vendorKey!), 'content-type': 'application/json', 'idempotency-key': 'secrets-test-1' },
      body: JSON.stringify({ modelId: model.id, device: 'host-cpu', suite: { preset: 'smoke' } }),
    });
    const job = (await submitted.json()) as { id: string };
    const deadline = Date.now() + 120_000;
    let status = '';
    while (!['SUCCEEDED', 'FAILED'].includes(status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      status = ((await (await fetch(`${url}/v1/jobs/${job.id}`, { headers: as(vendorKey!) })).json()) as { status: string }).status;
    }
    expect(status).toBe('SUCCEEDED');

    const bullData = await redisContents(prefix);
    expect(bullData).toContain(job.id); // the job data was read
    const db = createDb(databaseUrl, 1);
    const jobRow = JSON.stringify(await db.job.findUniqueOrThrow({ where: { id: job.id } }));
    await db.$disconnect();
    await agent.stop('SIGTERM');
    await api.stop('SIGTERM');

    // Banner lines show the generated keys once, on purpose; everything else is checked.
    const apiLog = api
      .output()
      .split('\n')
      .filter((line) => !/^\s+(admin|vendor) key /.test(line))
      .join('\n');
    expect(apiLog).toMatch(/"level":10|"level":20/); // trace/debug lines were written
    expect(apiLog).toContain(job.id); // the job's requests were logged
    // @fastify/multipart logs the request headers at trace level: the logger's redaction must catch them.
    expect(apiLog).toMatch(/"authorization":"\[redacted\]"/);
    for (const [where, text] of Object.entries({ apiLog, agentLog: agent.output(), bullData, jobRow })) {
      for (const secret of [...secretsOf(adminKey!), ...secretsOf(vendorKey!), ...secretsOf(agentToken), ...secretsOf(forged)]) {
        const at = text.indexOf(secret);
        expect(at, `${where} contains a credential: …${text.slice(Math.max(0, at - 300), at + 100)}…`).toBe(-1);
      }
    }
  });
});
