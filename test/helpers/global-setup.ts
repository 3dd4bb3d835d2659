// Builds one migrated template database per test run; each test file clones it (CREATE DATABASE …
// TEMPLATE …), which takes milliseconds and keeps files isolated from each other.
import pg from 'pg';
import { applyMigrations } from '../../src/lib/migrations.js';
import { databaseUrl, TEMPLATE_DB, TEST_POSTGRES_URL, TEST_REDIS_URL } from './test-env.js';
import { redisAnswers } from '../../src/lib/redis.js';

export default async function setup(): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`Tests need Postgres at ${TEST_POSTGRES_URL} (set TEST_POSTGRES_URL): ${(err as Error).message}`);
  }
  if (!(await redisAnswers(TEST_REDIS_URL))) throw new Error(`Tests need Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL)`);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  await applyMigrations(databaseUrl(TEMPLATE_DB));
}
