// build() assembles the HTTP API without listening, so tests drive it with app.inject and the server
// entry point decides where to listen.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CacheInvalidation } from '../lib/cache-invalidation.js';
import { createAgentTokenCache, createApiKeyCache } from '../services/auth/authenticate.js';
import { createReportCache } from '../services/reports/reports.js';
import type { ServiceDeps } from '../services/deps.js';
import { registerProblemDetails, sendClientError, sendFrameworkError } from './plugins/problem-details.js';
import { authGuards } from './plugins/authentication.js';
import { securityHeaders } from './plugins/security-headers.js';
import { lazyRequestLogger } from './plugins/request-logger.js';
import { registerTextInputGuard } from './plugins/text-input-guard.js';
import { contractTransform, contractTransformObject, registerRouteContract, SECURITY_SCHEMES } from './plugins/route-contract.js';
import { AuthFailureLimiter } from './plugins/auth-failure-limiter.js';
import { healthRoutes } from './routes/health.js';
import { certificateRoutes } from './routes/certificates.js';
import { signingRoutes } from './routes/signing.js';
import { modelRoutes } from './routes/models.js';
import { datasetRoutes } from './routes/datasets.js';
import { deviceRoutes } from './routes/devices.js';
import { jobRoutes } from './routes/jobs.js';
import { reportRoutes } from './routes/reports.js';
import { profileRoutes } from './routes/profiles.js';
import { adminRoutes } from './routes/admin.js';
import { agentProtocolRoutes } from './routes/agent-protocol.js';
import { transparencyRoutes } from './routes/transparency.js';
import { registerMetrics } from './plugins/metrics.js';
import { metricsRoutes } from './routes/metrics.js';
import { leaderboardRoutes } from './routes/leaderboard.js';
import { suiteRoutes } from './routes/suites.js';
import { suiteRunRoutes } from './routes/suite-runs.js';
import { compressionRoutes } from './routes/compression.js';
import { createLeaderboardCache } from '../services/leaderboard/leaderboard.js';
import { accountRoutes } from './routes/account.js';
import { jobEventRoutes } from './routes/job-events.js';
import { labRoutes } from './routes/lab.js';
import { registerDashboard } from './plugins/dashboard.js';
import { JobEventHub } from '../services/jobs/job-events.js';
import { BackgroundTasks } from '../lib/background-tasks.js';

export interface AppDeps extends ServiceDeps {
  redis: Redis;
  /** Postgres change notifications; with it, API keys and report answers are cached in memory. */
  cacheInvalidation?: CacheInvalidation;
  /** While `ready` is false, /readyz answers 503 service.starting (first-start setup still running). */
  startup?: { ready: boolean };
}

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export async function build(deps: AppDeps): Promise<App> {
  // Typed as fastify's logger so the instance keeps fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    frameworkErrors: (error, request, reply) => void sendFrameworkError(error, request, reply),
    clientErrorHandler: sendClientError,
    childLoggerFactory: lazyRequestLogger,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  registerProblemDetails(app);
  registerTextInputGuard(app);
  // One synchronous hook for the headers every answer carries (the security headers and the request
  // id), set on fastify's reply so Node writes them in one pass: an async hook per concern cost each
  // request a promise and a microtask turn (docs/PERFORMANCE.md, API throughput).
  const headers = securityHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers).header('x-request-id', request.id);
    done();
  });
  // Cross-origin browser access only for the configured origins (a dashboard on another host); with
  // none, the plugin and its per-request hook stay out.
  if (deps.config.env.NPUBENCH_CORS_ORIGINS.length > 0) await app.register(cors, { origin: deps.config.env.NPUBENCH_CORS_ORIGINS, credentials: false });
  // Before any route, so the timing hook sees every request.
  const metrics = registerMetrics(app, deps);
  // Given to deps, not only to the routes: work done with them outside a request (the reconciler, the
  // background tasks) counts where this app's /metrics reads. Background work ends before the app does.
  const background = new BackgroundTasks(deps.log, metrics.registry);
  deps.metrics = metrics;
  deps.background = background;
  app.addHook('onClose', async () => background.drain());

  registerRouteContract(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'npubench API',
        version: '1',
        description: 'Submit models, run NPU benchmarks on device agents, read signed reference reports and certificates.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/', description: 'This service' }],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: contractTransform,
    // Schemas with a registry id (`.meta({ id })`) become named components referenced by $ref.
    transformObject: contractTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const invalidation = deps.cacheInvalidation;
  const guards = authGuards(deps.db, new AuthFailureLimiter(deps.config.env.NPUBENCH_AUTH_FAILURE_LIMIT), {
    apiKeys: invalidation && createApiKeyCache(invalidation),
    agentTokens: invalidation && createAgentTokenCache(invalidation),
  });
  await app.register(healthRoutes(deps));
  // Scraped every few seconds: log only when something is wrong.
  await app.register(metricsRoutes(deps, metrics), { logLevel: 'warn' });
  await app.register(signingRoutes(deps));
  await app.register(modelRoutes(deps, guards), { prefix: '/v1' });
  await app.register(datasetRoutes(deps, guards), { prefix: '/v1' });
  await app.register(deviceRoutes(deps, guards), { prefix: '/v1' });
  await app.register(jobRoutes(deps, guards), { prefix: '/v1' });
  await app.register(reportRoutes(deps, guards, invalidation && createReportCache(invalidation)), { prefix: '/v1' });
  await app.register(compressionRoutes(deps, guards), { prefix: '/v1' });
  await app.register(profileRoutes(deps, guards), { prefix: '/v1' });
  await app.register(certificateRoutes(deps, guards), { prefix: '/v1' });
  await app.register(adminRoutes(deps, guards), { prefix: '/v1' });
  await app.register(transparencyRoutes(deps), { prefix: '/v1' });
  await app.register(leaderboardRoutes(deps, invalidation && createLeaderboardCache(invalidation)), { prefix: '/v1' });
  await app.register(suiteRoutes, { prefix: '/v1' });
  await app.register(suiteRunRoutes(deps, guards), { prefix: '/v1' });
  await app.register(accountRoutes(deps, guards), { prefix: '/v1' });
  await app.register(labRoutes(deps, guards), { prefix: '/v1' });
  const jobEvents = new JobEventHub(deps);
  app.addHook('onClose', async () => jobEvents.close());
  await app.register(jobEventRoutes(deps, guards, jobEvents), { prefix: '/v1' });
  await registerDashboard(app, deps.config.env.NPUBENCH_DASHBOARD_DIR);
  // Agents poll and report progress every half second: log their requests only when something is wrong.
  await app.register(agentProtocolRoutes(deps, guards), { prefix: '/v1/agent', logLevel: 'warn' });
  return app;
}
