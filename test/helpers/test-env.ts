import { createHash } from 'node:crypto';
// Where the tests find Postgres and Redis: real servers on loopback (started by .ci/run on CI).
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// One template per checkout (and per TEST_TEMPLATE_TAG, for two runs in one checkout), so concurrent
// test runs on one server do not drop each other's template mid-run.
const templateKey = `${process.cwd()}\0${process.env.TEST_TEMPLATE_TAG ?? ''}`;
export const TEMPLATE_DB = `npubench_test_template_${createHash('sha256').update(templateKey).digest('hex').slice(0, 8)}`;

export function databaseUrl(name: string): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
