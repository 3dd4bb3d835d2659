import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import type { AuthGuards } from '../plugins/authentication.js';
import { testbedHealth } from '../../services/devices/device-health.js';
import { testbedHealthSchema } from '../../contracts/devices.js';

export const labRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/lab/health',
      { preHandler: guards.requireUser(['ADMIN', 'CERTIFIER']), schema: { operationId: 'getTestbedHealth', tags: ['admin'], summary: "Every device with its agents' heartbeat ages and its queue depth", response: { 200: testbedHealthSchema } } },
      async () => testbedHealth(deps),
    );
  };
