import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { sendProblem } from '../plugins/problem-details.js';

export const healthRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/healthz', { schema: { tags: ['health'], security: [] } }, async () => ({ status: 'ok' }));

    // Ready only when both dependencies answer; load balancers stop routing here otherwise.
    app.get('/readyz', { schema: { tags: ['health'], security: [] } }, async (request, reply) => {
      const withTimeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000))]);
      const [db, redis] = await Promise.allSettled([withTimeout(deps.db.$queryRaw`SELECT 1`), withTimeout(deps.redis.ping())]);
      const checks = { database: db.status === 'fulfilled' ? 'ok' : 'down', redis: redis.status === 'fulfilled' ? 'ok' : 'down' };
      if (checks.database === 'ok' && checks.redis === 'ok') return { status: 'ready', checks };
      return sendProblem(reply, request, { status: 503, code: 'service.not_ready', detail: 'A dependency is down.', extra: { checks } });
    });
  };
