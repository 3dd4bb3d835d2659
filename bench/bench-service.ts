// For benchmarks that need the service: a fresh migrated database on the test Postgres (dropped at the
// end) and the real API app on a loopback port. Not a benchmark itself (run-all.ts skips it).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { applyMigrations } from '../src/lib/migrations.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/lib/logger.js';
import { createDb, type Db } from '../src/lib/database.js';
import { createRedis } from '../src/lib/redis.js';
import { createArtifactStore } from '../src/lib/create-artifact-store.js';
import { BenchQueues } from '../src/queue/bench-queues.js';
import { build } from '../src/api/app.js';
import { generateSigningKeyPem, signingKeyFromPem } from '../src/lib/crypto/signing-keys.js';
import { noteSignerFrom } from '../src/lib/crypto/signed-note.js';
import { registerSigningKey } from '../src/services/signing/service-key.js';
import { ensureBuiltInProfiles } from '../src/services/certificates/profiles.js';
import { databaseUrl, TEST_POSTGRES_URL, TEST_REDIS_URL } from '../test/helpers/test-env.js';

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `npubench_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = databaseUrl(name);
  await applyMigrations(url);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface BenchApi {
  url: string;
  db: Db;
  stop(): Promise<void>;
}

export async function startBenchApi(dbUrl: string): Promise<BenchApi> {
  const dataDir = await mkdtemp(join(tmpdir(), 'npubench-bench-'));
  const config = loadConfig({
    DATABASE_URL: dbUrl,
    REDIS_URL: TEST_REDIS_URL,
    NPUBENCH_QUEUE_PREFIX: `npubench-bench-${randomBytes(4).toString('hex')}`,
    NPUBENCH_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    PORT: '0',
  });
  const log = createLogger('silent');
  const db = createDb(dbUrl, 10);
  const redis = createRedis(TEST_REDIS_URL, 'producer');
  const queues = new BenchQueues(redis, config.env.NPUBENCH_QUEUE_PREFIX);
  const signer = signingKeyFromPem(generateSigningKeyPem());
  await registerSigningKey(db, signer);
  await ensureBuiltInProfiles(db);
  const app = await build({ db, redis, queues, store: createArtifactStore(config.artifactStore), config, log, signer, logSigner: noteSignerFrom(config.logOrigin, signingKeyFromPem(generateSigningKeyPem())) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    url,
    db,
    async stop() {
      await app.close();
      await queues.close();
      await redis.quit();
      await db.$disconnect();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
