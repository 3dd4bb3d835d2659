import { recordAudit } from '../../services/audit/audit-log.js';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import type { AuthGuards } from '../plugins/authentication.js';
import { createDevice, deviceInput, deviceSlug, deviceUpdate, getDevice, listDevices, updateDevice } from '../../services/devices/devices.js';
import { seesAllOrgs } from '../../services/auth/principal.js';
import { deviceStatus } from '../../services/devices/device-health.js';

const slugParams = z.strictObject({ slug: deviceSlug });
const LAB_ROLES = ['ADMIN', 'CERTIFIER'] as const;
const labUser = (request: FastifyRequest) => request.principal?.kind === 'user' && seesAllOrgs(request.principal);

export const deviceRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    // Public: anyone may browse the devices under test; the lab also sees private ones.
    app.get('/devices', { preHandler: guards.optionalUser, schema: { tags: ['devices'], security: [] } }, async (request) => ({
      items: await listDevices(deps.db, labUser(request)),
    }));

    app.get('/devices/:slug', { preHandler: guards.optionalUser, schema: { tags: ['devices'], params: slugParams, security: [] } }, async (request) =>
      getDevice(deps.db, request.params.slug, labUser(request)),
    );

    app.get(
      '/devices/:slug/status',
      { preHandler: guards.optionalUser, schema: { tags: ['devices'], params: slugParams, security: [], summary: 'Agents online and jobs waiting or running for the device' } },
      async (request) => deviceStatus(deps, request.params.slug, labUser(request)),
    );

    app.post('/devices', { preHandler: guards.requireUser([...LAB_ROLES]), schema: { tags: ['devices'], body: deviceInput } }, async (request, reply) => {
      const device = await createDevice(deps.db, request.body);
      await recordAudit(deps.db, request, { action: 'device.created', subjectType: 'device', subjectId: device.slug });
      return reply.status(201).send(device);
    });

    app.patch(
      '/devices/:slug',
      { preHandler: guards.requireUser([...LAB_ROLES]), schema: { tags: ['devices'], params: slugParams, body: deviceUpdate } },
      async (request) => {
        const device = await updateDevice(deps.db, request.params.slug, request.body);
        await recordAudit(deps.db, request, { action: 'device.updated', subjectType: 'device', subjectId: device.slug, details: { fields: Object.keys(request.body) } });
        return device;
      },
    );
  };
