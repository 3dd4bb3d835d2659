// Composes the API process: database (real Postgres or embedded PGlite), migrations, Redis, queues,
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
import { loadServiceSigningKey, registerSigningKey } from '../services/signing/service-key.js';
import { ensureBuiltInProfiles } from '../services/certificates/profiles.js';
import { reconcileJobs } from '../services/jobs/reconciler.js';
import { publishJobChange } from '../services/jobs/job-events.js';
import { errorMessage } from '../lib/errors.js';
import { build, type App, type AppDeps } from './app.js';
import { join } from 'node:path';

export interface ApiServer {
  url: string;
  app: App;
  deps: AppDeps;
  databaseUrl: string;
  redisUrl: string;
  embeddedDatabase: boolean;
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

export async function startApiServer(config: Config, opts: { log?: Logger; autostartRedis?: boolean } = {}): Promise<ApiServer> {
  const log = opts.log ?? createLogger(config.env.LOG_LEVEL);
  const cleanups: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => log.error({ err }, 'shutdown step failed'));
    cleanups.length = 0;
  };
  try {
    let embedded: EmbeddedPostgres | undefined;
    let databaseUrl = config.env.DATABASE_URL;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres(join(config.dataDir, 'pglite'));
      cleanups.push(() => embedded!.stop());
      databaseUrl = embedded.url;
      log.info({ dir: join(config.dataDir, 'pglite') }, 'DATABASE_URL is unset: using embedded PGlite');
    }
    const applied = await applyMigrations(databaseUrl);
    if (applied.length > 0) log.info({ applied }, 'database migrations applied');
    const db: Db = createDb(databaseUrl, embedded ? 4 : 10);
    cleanups.push(() => db.$disconnect());

    const redisInfo = await resolveRedis(config, opts.autostartRedis ?? false, log);
    if (redisInfo.private) cleanups.push(() => redisInfo.private!.stop());
    const redis: Redis = createRedis(redisInfo.url, 'producer');
    redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
    cleanups.push(() => redis.quit());
    const queues = new BenchQueues(redis, config.env.NPUBENCH_QUEUE_PREFIX);
    cleanups.push(() => queues.close());

    // Embedded PGlite does not deliver notifications between sessions, so it gets no caches (the
    // listener would find that out itself, after a 2 s probe).
    const cacheInvalidation = embedded ? undefined : new CacheInvalidation(databaseUrl, log);
    if (cacheInvalidation) {
      await cacheInvalidation.start();
      cleanups.push(() => cacheInvalidation.close());
    }

    const signer = await loadServiceSigningKey(config, log);
    await registerSigningKey(db, signer);
    await ensureBuiltInProfiles(db);
    const deps: AppDeps = { db, redis, queues, store: createArtifactStore(config.artifactStore), config, log, signer, ...(cacheInvalidation && { cacheInvalidation }) };
    const app = await build(deps);
    if (config.env.NPUBENCH_RECONCILE_INTERVAL_MS > 0) {
      const timer = setInterval(() => {
        reconcileJobs(deps, { agentDeadlineMs: config.env.NPUBENCH_AGENT_DEADLINE_MS })
          .then(async ({ failedAgentVanished }) => {
            for (const id of failedAgentVanished) await publishJobChange(deps, id);
          })
          .catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'reconciler run failed'));
      }, config.env.NPUBENCH_RECONCILE_INTERVAL_MS);
      timer.unref();
      cleanups.push(async () => clearInterval(timer));
    }
    cleanups.push(() => app.close());
    await app.listen({ host: config.env.HOST, port: config.env.PORT });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.env.PORT;
    const url = `http://${config.env.HOST === '0.0.0.0' ? '127.0.0.1' : config.env.HOST}:${port}`;
    return { url, app, deps, databaseUrl, redisUrl: redisInfo.url, embeddedDatabase: Boolean(embedded), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
