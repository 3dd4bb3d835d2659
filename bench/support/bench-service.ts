// The service under test for the service benchmarks: the real `npubench serve` (API only, no local
// agent) in its own process, on a fresh Postgres database, a private BullMQ prefix (or a private
// redis-server, for Redis memory figures) and a temp data dir, all removed by stop(). The benchmark
// process seeds it through the same services the API uses, with its own Prisma client.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Role } from '@prisma/client';
import { createDb, type Db } from '../../src/lib/database.js';
import { freePort } from '../../src/lib/free-port.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/lib/redis.js';
import { createApiKey } from '../../src/services/orgs/api-keys.js';
import { deleteKeysUnder } from '../../test/helpers/redis-keys.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The API runs as deployments run it (Dockerfile: `node dist/cli/main.js`), compiled from this checkout
 * before the first start so a benchmark never measures a stale build. `BENCH_API=source` runs the
 * TypeScript through tsx instead, as `npm start` does: tsx's keepNames helpers cost every closure a
 * call, ~10% of a cached read's CPU (docs/PERFORMANCE.md).
 */
const FROM_SOURCE = process.env.BENCH_API === 'source';
export const NPUBENCH_BIN = FROM_SOURCE ? join(REPO_ROOT, 'bin', 'npubench.js') : join(REPO_ROOT, 'dist', 'cli', 'main.js');
let compiled: Promise<void> | undefined;

export function compileApi(): Promise<void> {
  compiled ??= new Promise<void>((resolve, reject) => {
    const tsc = spawn(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    tsc.once('error', reject);
    tsc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json exited with ${code}`))));
  });
  return compiled;
}
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BenchService {
  url: string;
  db: Db;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  dataDir: string;
  api: ChildProcess;
  /** What the API process has printed (LOG_LEVEL warn: its warnings and errors). */
  apiOutput(): string;
  createOrgWithKey(role: Role): Promise<{ orgId: string; key: string; keyId: string }>;
  stop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Starts the API. `privateRedis`: a throw-away redis-server for this service alone, so INFO memory
 * sees nothing but its queues. `env` overrides the API's environment (limits, log level); `nodeArgs`
 * go to its node (BENCH_API_NODE_ARGS='--cpu-prof' profiles the API during a benchmark).
 */
export async function startBenchService(opts: { privateRedis?: boolean; env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<BenchService> {
  const id = randomBytes(5).toString('hex');
  const dbName = `npubench_bench_${id}`;
  const databaseUrl = withDatabase(POSTGRES_URL, dbName);
  const queuePrefix = `npubench-bench-${id}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: unknown) => console.error(`cleanup step failed: ${(err as Error).message}`));
  };
  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'npubench-bench-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    await adminQuery(`CREATE DATABASE ${dbName}`);
    cleanups.push(() => adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
    let redisUrl = REDIS_URL;
    if (opts.privateRedis) {
      const own: PrivateRedis = await startPrivateRedis();
      cleanups.push(() => own.stop());
      redisUrl = own.url;
    } else {
      cleanups.push(() => deleteKeysUnder(REDIS_URL, queuePrefix));
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    if (!FROM_SOURCE) await compileApi();
    const nodeArgs = opts.nodeArgs ?? (process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? []);
    const api = spawn(process.execPath, [...nodeArgs, NPUBENCH_BIN, 'serve'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl,
        NPUBENCH_QUEUE_PREFIX: queuePrefix,
        NPUBENCH_DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        NPUBENCH_LOCAL_AGENT: 'false',
        NPUBENCH_SAMPLE_BENCHMARK: 'false',
        NPUBENCH_REDIS_AUTOSTART: 'false',
        LOG_LEVEL: 'warn',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    api.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    api.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((resolve) => api.once('exit', () => resolve()));
    cleanups.push(async () => {
      if (api.exitCode !== null || api.signalCode !== null) return;
      api.kill('SIGTERM');
      const killer = setTimeout(() => api.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    });
    const deadline = Date.now() + 120_000;
    while (!output.includes('npubench is running at')) {
      if (api.exitCode !== null) throw new Error(`the API exited (${api.exitCode}) during start-up:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the API did not start within 120 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const db = createDb(databaseUrl, 4);
    cleanups.push(() => db.$disconnect());
    let orgCounter = 0;
    return {
      url,
      db,
      databaseUrl,
      redisUrl,
      queuePrefix,
      dataDir,
      api,
      apiOutput: () => output,
      async createOrgWithKey(role) {
        const slug = `bench-${role.toLowerCase()}-${++orgCounter}`;
        const org = await db.organization.create({ data: { slug, name: slug, kind: role === 'VENDOR' ? 'VENDOR' : 'LAB' } });
        const key = await createApiKey(db, { orgId: org.id, role, name: 'bench' });
        return { orgId: org.id, key: key.token, keyId: key.id };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs `body` against a fresh service and always tears it down, also on Ctrl-C. */
export async function withBenchService<T>(opts: Parameters<typeof startBenchService>[0], body: (service: BenchService) => Promise<T>): Promise<T> {
  const service = await startBenchService(opts);
  const onSignal = () => void service.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(service);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await service.stop();
  }
}

/** The conditions a figure was measured under: the 1/5/15-minute load averages. */
export function loadAverage(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

/** Uploads a model file through POST /v1/models (streamed from disk) and returns the API's answer. */
export async function uploadModel(url: string, key: string, path: string, fields: Record<string, string>): Promise<{ id: string; artifactDigest: string; sizeBytes: number }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', await openAsBlob(path), 'model.onnx');
  const res = await fetch(`${url}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  if (res.status !== 201) throw new Error(`model upload answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string; artifactDigest: string; sizeBytes: number };
}
