// Prometheus scrape endpoint. Open unless NPUBENCH_METRICS_TOKEN is set: Prometheus usually scrapes
// over a private network, and a token is there for when the API port is reachable from outside.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.js';
import type { ApiMetrics } from '../../lib/metrics.js';
import { unauthorized } from '../../lib/errors.js';
import { problemResponses } from '../../contracts/problem.js';
import { z } from 'zod';

const digest = (value: string) => createHash('sha256').update(value).digest();

function requireMetricsToken(request: FastifyRequest, expected: Buffer): void {
  const header = request.headers.authorization;
  if (!header) throw unauthorized('auth.missing_credentials', 'This endpoint needs the metrics token: "Authorization: Bearer <NPUBENCH_METRICS_TOKEN>".');
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  // Comparing digests keeps the comparison constant-time whatever the presented length.
  if (!token || !timingSafeEqual(digest(token), expected)) throw unauthorized('auth.invalid_metrics_token', 'The metrics token is not valid.');
}

export const metricsRoutes =
  (deps: AppDeps, metrics: ApiMetrics): FastifyPluginAsyncZod =>
  async (app) => {
    const token = deps.config.env.NPUBENCH_METRICS_TOKEN;
    const expected = token === undefined ? null : digest(token);
    app.get(
      '/metrics',
      {
        schema: {
          operationId: 'getMetrics',
          tags: ['operations'],
          summary: 'Prometheus metrics (text exposition format)',
          description: 'Open unless the server sets NPUBENCH_METRICS_TOKEN; then "Authorization: Bearer <token>" (401 without it).',
          response: {
            200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain; version=0.0.4': { schema: z.string() } } },
            ...(expected ? problemResponses(401) : {}),
          },
        },
      },
      async (request, reply) => {
        if (expected) requireMetricsToken(request, expected);
        return reply.type(metrics.contentType).send(await metrics.exposition());
      },
    );
  };
