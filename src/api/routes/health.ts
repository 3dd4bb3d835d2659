import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { sendProblem } from '../plugins/problem-details.js';

export const healthRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/healthz', { schema: { tags: ['health'], security: [] } }, async () => ({ status: 'ok' }));

    // Ready only when start-up has finished and both dependencies answer; load balancers and scripts
    // that wait for readiness see the first-start setup (keys, host-cpu device, local agent) done.
    app.get('/readyz', { schema: { tags: ['health'], security: [] } }, async (request, reply) => {
      if (deps.startup && !deps.startup.ready) {
        reply.header('retry-after', '1');
        return sendProblem(reply, request, { code: 'service.starting', detail: 'The service is still starting (first-start setup).' });
      }
      const withTimeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000))]);
      const [db, redis] = await Promise.allSettled([withTimeout(deps.db.$queryRaw`SELECT 1`), withTimeout(deps.redis.ping())]);
      const checks = { database: db.status === 'fulfilled' ? 'ok' : 'down', redis: redis.status === 'fulfilled' ? 'ok' : 'down' };
      if (checks.database === 'ok' && checks.redis === 'ok') return { status: 'ready', checks };
      return sendProblem(reply, request, { code: 'service.not_ready', detail: 'A dependency is down.', extra: { checks } });
    });
  };
