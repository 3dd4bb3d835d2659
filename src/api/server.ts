// Composes the API process: database (DATABASE_URL or the embedded Postgres), migrations, Redis, queues,
// artifact store, the HTTP app. stop() shuts down in order: stop accepting, then queues, Redis, Prisma.
import { createLogger, type Logger } from '../lib/logger.js';
import type { Config } from '../config/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../lib/embedded-postgres.js';
import { applyMigrations } from '../lib/migrations.js';
import { createDb, type Db } from '../lib/database.js';
import { createRedis, redisAnswers, startPrivateRedis, type PrivateRedis, type Redis } from '../lib/redis.js';
import { createArtifactStore } from '../lib/create-artifact-store.js';
import { CacheInvalidation } from '../lib/cache-invalidation.js';
import { BenchQueues } from '../queue/bench-queues.js';
import { activeSigner, loadServiceSigningKey, loadServiceLogKey, registerSigningKey } from '../services/signing/service-key.js';
import { ensureBuiltInProfiles } from '../services/certificates/profiles.js';
import { reconcileJobs } from '../services/jobs/reconciler.js';
import { catchUnhandledRejections } from '../lib/background-tasks.js';
import { errorMessage } from '../lib/errors.js';
import { build, type App, type AppDeps } from './app.js';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:net';

export interface ApiServer {
  url: string;
  app: App;
  deps: AppDeps;
  databaseUrl: string;
  redisUrl: string;
  embeddedDatabase: boolean;
  /** With `deferReadiness`, /readyz says service.starting until this is called. */
  markReady(): void;
  stop(): Promise<void>;
}

export class StartupError extends Error {}

async function resolveRedis(config: Config, allowAutostart: boolean, log: Logger): Promise<{ url: string; private?: PrivateRedis }> {
  const url = config.env.REDIS_URL;
  if (await redisAnswers(url)) return { url };
  if (allowAutostart && config.env.NPUBENCH_REDIS_AUTOSTART) {
    try {
      const own = await startPrivateRedis();
      log.warn({ url: own.url }, `Nothing answers at ${url}; started a private redis-server for this process (stopped on exit)`);
      return { url: own.url, private: own };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new StartupError(
    `Redis is not reachable at ${url}. Start one (Debian/Ubuntu: "apt-get install redis-server", macOS: "brew install redis", or "docker compose up -d redis") or set REDIS_URL.`,
  );
}

async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new StartupError(`Port ${port} on ${host} is already in use: stop what is listening there or set PORT (e.g. PORT=3001 npm start).`));
      else if (err.code === 'EACCES') reject(new StartupError(`Not allowed to listen on port ${port} on ${host}: choose a port above 1023 with PORT.`));
      else reject(err);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export async function startApiServer(config: Config, opts: { log?: Logger; autostartRedis?: boolean; deferReadiness?: boolean } = {}): Promise<ApiServer> {
  const log = opts.log ?? createLogger(config.env.LOG_LEVEL);
  const cleanups: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => log.error({ err }, 'shutdown step failed'));
    cleanups.length = 0;
  };
  try {
    // A taken port is found before the database starts and migrations run, not after.
    await assertPortFree(config.env.HOST, config.env.PORT);
    let embedded: EmbeddedPostgres | undefined;
    let databaseUrl = config.env.DATABASE_URL;
    if (!databaseUrl) {
      const pgLog = log.child({ component: 'embedded-postgres' });
      embedded = await startEmbeddedPostgres(config.dataDir, { onLog: (line) => pgLog.debug(line) });
      cleanups.push(() => embedded!.stop());
      databaseUrl = embedded.url;
      log.info({ dir: embedded.dir }, 'DATABASE_URL is unset: using the embedded Postgres');
      if (await stat(join(config.dataDir, 'pglite')).then(() => true, () => false)) {
        log.warn({ dir: join(config.dataDir, 'pglite') }, 'An earlier version kept its embedded database (PGlite) in this folder; it is not read any more (docs/DECISIONS.md §3)');
      }
    }
    const applied = await applyMigrations(databaseUrl);
    if (applied.length > 0) log.info({ applied }, 'database migrations applied');
    const db: Db = createDb(databaseUrl, 10);
    cleanups.push(() => db.$disconnect());

    const redisInfo = await resolveRedis(config, opts.autostartRedis ?? false, log);
    if (redisInfo.private) cleanups.push(() => redisInfo.private!.stop());
    const redis: Redis = createRedis(redisInfo.url, 'producer');
    redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
    cleanups.push(() => redis.quit());
    const queues = new BenchQueues(redis, config.env.NPUBENCH_QUEUE_PREFIX);
    cleanups.push(() => queues.close());

    const cacheInvalidation = new CacheInvalidation(databaseUrl, log);
    await cacheInvalidation.start();
    cleanups.push(() => cacheInvalidation.close());

    const signer = await loadServiceSigningKey(config, log);
    await registerSigningKey(db, signer, log);
    // Refuse to start a replica that could not sign: the active key's private half must be here.
    await activeSigner({ db, signer, config });
    const logSigner = await loadServiceLogKey(config, log, db);
    await ensureBuiltInProfiles(db);
    const startup = { ready: !opts.deferReadiness };
    const deps: AppDeps = { db, redis, queues, store: createArtifactStore(config.artifactStore), config, log, signer, logSigner, cacheInvalidation, startup };
    const app = await build(deps);
    // build() gave deps its background tasks; a rejection nobody handled is counted there, not fatal.
    const stopCatching = catchUnhandledRejections(deps.background!);
    cleanups.push(async () => stopCatching());
    if (config.env.NPUBENCH_RECONCILE_INTERVAL_MS > 0) {
      const timer = setInterval(() => {
        reconcileJobs(deps, { agentDeadlineMs: config.env.NPUBENCH_AGENT_DEADLINE_MS }).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'reconciler run failed'));
      }, config.env.NPUBENCH_RECONCILE_INTERVAL_MS);
      timer.unref();
      cleanups.push(async () => clearInterval(timer));
    }
    cleanups.push(() => app.close());
    await app.listen({ host: config.env.HOST, port: config.env.PORT });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.env.PORT;
    const url = `http://${config.env.HOST === '0.0.0.0' ? '127.0.0.1' : config.env.HOST}:${port}`;
    return { url, app, deps, databaseUrl, redisUrl: redisInfo.url, embeddedDatabase: Boolean(embedded), markReady: () => (startup.ready = true), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
