// A real API (fastify app on real Postgres + Redis) for integration tests, plus seed helpers that use
// the same services the API uses. Call inside a describe/top level: resources are cleaned up afterAll.
import { afterAll } from 'vitest';
import type { Role } from '@prisma/client';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createDb } from '../../src/lib/database.js';
import { createRedis } from '../../src/lib/redis.js';
import { createArtifactStore } from '../../src/lib/create-artifact-store.js';
import { BenchQueues } from '../../src/queue/bench-queues.js';
import { CacheInvalidation } from '../../src/lib/cache-invalidation.js';
import { build, type AppDeps } from '../../src/api/app.js';
import { createApiKey } from '../../src/services/orgs/api-keys.js';
import { generateSigningKeyPem, signingKeyFromPem, type SigningKey } from '../../src/lib/crypto/signing-keys.js';
import { registerSigningKey } from '../../src/services/signing/service-key.js';
import { noteSignerFrom } from '../../src/lib/crypto/signed-note.js';
import { ensureBuiltInProfiles } from '../../src/services/certificates/profiles.js';
import { createQueuePrefix, createTempDir, createTestDatabase } from './isolated-resources.js';
import { TEST_REDIS_URL } from './test-env.js';

export interface TestApi {
  app: Awaited<ReturnType<typeof build>>;
  deps: AppDeps;
  databaseUrl: string;
  queuePrefix: string;
  dataDir: string;
  /** Base URL when started with listen: true. */
  url: string;
  createOrgWithKey(role: Role, slug?: string): Promise<{ orgId: string; key: string; keyId: string }>;
}

let orgCounter = 0;

export async function startTestApi(opts: { listen?: boolean; env?: Record<string, string>; redisUrl?: string; databaseUrl?: string } = {}): Promise<TestApi> {
  return startApiInstance({
    ...opts,
    // A migrated database of the caller's (a private Postgres that a test stops), or a fresh clone.
    databaseUrl: opts.databaseUrl ?? (await createTestDatabase()),
    queuePrefix: createQueuePrefix(),
    dataDir: await createTempDir('npubench-data'),
    signer: signingKeyFromPem(generateSigningKeyPem()),
    logKey: signingKeyFromPem(generateSigningKeyPem()),
  });
}

/** A second API process on the same Postgres, Redis prefix, artifact store and signing key. */
export async function startReplica(primary: TestApi): Promise<TestApi> {
  return startApiInstance({
    databaseUrl: primary.databaseUrl,
    queuePrefix: primary.queuePrefix,
    dataDir: primary.dataDir,
    signer: primary.deps.signer,
    logKey: { privateKey: primary.deps.logSigner.privateKey, publicKey: primary.deps.logSigner.publicKey },
    redisUrl: primary.deps.config.env.REDIS_URL,
    listen: true,
  });
}

async function startApiInstance(opts: {
  databaseUrl: string;
  queuePrefix: string;
  dataDir: string;
  signer: SigningKey;
  /** The log's checkpoint key; named by the config's log origin. */
  logKey: Pick<SigningKey, 'privateKey' | 'publicKey'>;
  listen?: boolean;
  env?: Record<string, string>;
  /** A private Redis for tests that break it (FLUSHALL); the shared one otherwise. */
  redisUrl?: string;
}): Promise<TestApi> {
  const { databaseUrl, queuePrefix, dataDir, signer } = opts;
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    NPUBENCH_QUEUE_PREFIX: queuePrefix,
    NPUBENCH_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    ...opts.env,
  });
  const log = createLogger(config.env.LOG_LEVEL);
  const db = createDb(databaseUrl, 5);
  const redis = createRedis(redisUrl, 'producer');
  // As in server.ts: tests that stop Redis expect connection errors; the API answers 503 meanwhile.
  redis.on('error', () => undefined);
  const queues = new BenchQueues(redis, queuePrefix);
  // As in production: API keys and report answers are cached, invalidated by Postgres notifications.
  const cacheInvalidation = new CacheInvalidation(databaseUrl, log);
  await cacheInvalidation.start();
  await registerSigningKey(db, signer);
  await ensureBuiltInProfiles(db);
  const deps: AppDeps = { db, redis, queues, store: createArtifactStore(config.artifactStore), config, log, signer, logSigner: noteSignerFrom(config.logOrigin, opts.logKey), cacheInvalidation };
  const app = await build(deps);
  let url = '';
  if (opts.listen) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  } else {
    await app.ready();
  }
  afterAll(async () => {
    await app.close();
    await cacheInvalidation.close();
    await queues.close();
    await redis.quit();
    await db.$disconnect();
  });
  return {
    app,
    deps,
    databaseUrl,
    queuePrefix,
    dataDir,
    url,
    async createOrgWithKey(role, slug) {
      const org = await db.organization.create({
        data: { slug: slug ?? `org-${process.pid}-${++orgCounter}`, name: slug ?? `Org ${orgCounter}`, kind: role === 'VENDOR' ? 'VENDOR' : 'LAB' },
      });
      const key = await createApiKey(db, { orgId: org.id, role, name: 'test' });
      return { orgId: org.id, key: key.token, keyId: key.id };
    },
  };
}
