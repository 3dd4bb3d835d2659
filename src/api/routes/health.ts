import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { sendProblem } from '../plugins/problem-details.js';
import { healthSchema, readinessSchema } from '../../contracts/health.js';

const tags = ['health'];

export const healthRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/healthz', { schema: { operationId: 'getHealth', tags, summary: 'Liveness: the process answers', response: { 200: healthSchema } } }, async () => ({ status: 'ok' as const }));

    // Ready only when start-up has finished and both dependencies answer; load balancers and scripts
    // that wait for readiness see the first-start setup (keys, host-cpu device, local agent) done.
    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'getReadiness',
          tags,
          summary: 'Readiness: start-up done, database and Redis answer',
          description: 'Otherwise 503: service.starting (with Retry-After) or service.not_ready with `checks` naming what is down. The 503 answer is the implicit one.',
          response: { 200: readinessSchema },
        },
      },
      async (request, reply) => {
        if (deps.startup && !deps.startup.ready) {
          reply.header('retry-after', '1');
          return sendProblem(reply, request, { code: 'service.starting', detail: 'The service is still starting (first-start setup).' });
        }
        const withTimeout = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000))]);
        const [db, redis] = await Promise.allSettled([withTimeout(deps.db.$queryRaw`SELECT 1`), withTimeout(deps.redis.ping())]);
        const checks = { database: db.status === 'fulfilled' ? 'ok' : 'down', redis: redis.status === 'fulfilled' ? 'ok' : 'down' } as const;
        if (checks.database === 'ok' && checks.redis === 'ok') return { status: 'ready' as const, checks };
        return sendProblem(reply, request, { code: 'service.not_ready', detail: 'A dependency is down.', extra: { checks } });
      },
    );
  };
