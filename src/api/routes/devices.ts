import { recordAudit } from '../../services/audit/audit-log.js';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import type { AuthGuards } from '../plugins/authentication.js';
import { createDevice, deviceInput, deviceSlug, deviceUpdate, getDevice, listDevices, updateDevice } from '../../services/devices/devices.js';
import { seesAllOrgs } from '../../services/auth/principal.js';
import { deviceStatus } from '../../services/devices/device-health.js';
import { problemResponses } from '../../contracts/problem.js';
import { deviceListSchema, deviceStatusSchema, deviceViewSchema, labDeviceSchema } from '../../contracts/devices.js';

const slugParams = z.strictObject({ slug: deviceSlug });
const LAB_ROLES = ['ADMIN', 'CERTIFIER'] as const;
const labUser = (request: FastifyRequest) => request.principal?.kind === 'user' && seesAllOrgs(request.principal);
/** Admins and certifiers get the lab view of a device; anonymous callers and vendors the public one. */
const audience = (request: FastifyRequest) => (labUser(request) ? 'lab' : 'public');
const VIEW_NOTE = 'Anonymous callers and vendors get the public view (PublicDevice); lab admins and certifiers the full record (LabDevice).';

export const deviceRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    // Public: anyone may browse the devices under test; the lab also sees private ones.
    app.get(
      '/devices',
      { preHandler: guards.optionalUser, schema: { operationId: 'listDevices', tags: ['devices'], summary: 'Devices under test', description: VIEW_NOTE, response: { 200: deviceListSchema } } },
      async (request) => ({ items: await listDevices(deps.db, audience(request)) }),
    );

    app.get(
      '/devices/:slug',
      { preHandler: guards.optionalUser, schema: { operationId: 'getDevice', tags: ['devices'], summary: 'One device', params: slugParams, description: VIEW_NOTE, response: { 200: deviceViewSchema, ...problemResponses(404) } } },
      async (request) => getDevice(deps.db, request.params.slug, audience(request)),
    );

    app.get(
      '/devices/:slug/status',
      { preHandler: guards.optionalUser, schema: { operationId: 'getDeviceStatus', tags: ['devices'], params: slugParams, summary: 'Agents online and jobs waiting or running for the device', response: { 200: deviceStatusSchema, ...problemResponses(404) } } },
      async (request) => deviceStatus(deps, request.params.slug, labUser(request)),
    );

    app.post('/devices', { preHandler: guards.requireUser([...LAB_ROLES]), schema: { operationId: 'createDevice', tags: ['devices'], summary: 'Register a device (lab)', body: deviceInput, response: { 201: labDeviceSchema, ...problemResponses(409) } } }, async (request, reply) => {
      const device = await createDevice(deps.db, request.body);
      await recordAudit(deps.db, request, { action: 'device.created', subjectType: 'device', subjectId: device.slug });
      return reply.status(201).send(device);
    });

    app.patch(
      '/devices/:slug',
      { preHandler: guards.requireUser([...LAB_ROLES]), schema: { operationId: 'updateDevice', tags: ['devices'], summary: 'Change a device (lab)', params: slugParams, body: deviceUpdate, response: { 200: labDeviceSchema, ...problemResponses(404) } } },
      async (request) => {
        const device = await updateDevice(deps.db, request.params.slug, request.body);
        await recordAudit(deps.db, request, { action: 'device.updated', subjectType: 'device', subjectId: device.slug, details: { fields: Object.keys(request.body) } });
        return device;
      },
    );
  };
