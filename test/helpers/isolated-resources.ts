// Per-test-file resources: a fresh database cloned from the migrated template, a private BullMQ
// prefix, and a temp folder. Each helper registers its own cleanup with vitest's afterAll.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { deleteKeysUnder } from './redis-keys.js';
import { databaseUrl, TEMPLATE_DB, TEST_POSTGRES_URL, TEST_REDIS_URL } from './test-env.js';

/** A fresh database cloned from the migrated template; `template: 'template0'` gives an empty one (migration tests). */
export async function createTestDatabase(template = TEMPLATE_DB): Promise<string> {
  const name = `npubench_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  // Concurrent clones of one template collide ("source database is being accessed"): retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      break;
    } catch (err) {
      if (attempt > 20 || !/being accessed/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
  afterAll(async () => {
    const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return databaseUrl(name);
}

export function createQueuePrefix(): string {
  const prefix = `npubench-test-${randomBytes(4).toString('hex')}`;
  afterAll(() => deleteKeysUnder(TEST_REDIS_URL, prefix));
  return prefix;
}

export async function createTempDir(label = 'npubench'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${label}-`));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
