// Wires one app's Prometheus metrics: the HTTP timing hook and the scrape-time sources (queue depth from
// BullMQ, heartbeats from Postgres). Job outcomes are observed by the job services (job-changes.ts).
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import { ApiMetrics } from '../../lib/metrics.js';
import { errorMessage } from '../../lib/errors.js';
import { listAgents } from '../../services/agents/agents.js';

export function registerMetrics(app: FastifyInstance, deps: AppDeps): ApiMetrics {
  const metrics = new ApiMetrics({
    async queueDepths() {
      const devices = await deps.db.device.findMany({ select: { slug: true } });
      return Promise.all(devices.map(async ({ slug }) => ({ device: slug, ...(await deps.queues.jobCounts(slug)) })));
    },
    async agentHeartbeats() {
      const agents = await listAgents(deps.db);
      return agents.flatMap((a) => (a.revokedAt === null && a.lastHeartbeatAt !== null ? [{ agent: a.name, lastHeartbeatAt: a.lastHeartbeatAt }] : []));
    },
    onCollectError: (metric, err) => deps.log.warn({ metric, err: errorMessage(err) }, 'metrics collection failed'),
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeHttpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  return metrics;
}
