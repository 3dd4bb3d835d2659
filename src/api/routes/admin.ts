// Lab administration: organizations, API keys, agents. Admin only.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import type { AuthGuards } from '../plugins/authentication.js';
import { createOrganization, listOrganizations } from '../../services/orgs/organizations.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../services/orgs/api-keys.js';
import { agentInput, createAgent, listAgents } from '../../services/agents/agents.js';
import { idParams } from './pagination.js';

const orgInput = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  name: z.string().min(1).max(200),
  kind: z.enum(['VENDOR', 'LAB']),
});
const keyInput = z.strictObject({
  name: z.string().min(1).max(200),
  role: z.enum(['ADMIN', 'CERTIFIER', 'VENDOR']),
});

export const adminRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    const admin = guards.requireUser(['ADMIN']);

    app.get('/orgs', { preHandler: admin, schema: { tags: ['admin'] } }, async () => ({ items: await listOrganizations(deps.db) }));
    app.post('/orgs', { preHandler: admin, schema: { tags: ['admin'], body: orgInput } }, async (request, reply) =>
      reply.status(201).send(await createOrganization(deps.db, request.body)),
    );

    app.get('/orgs/:id/keys', { preHandler: admin, schema: { tags: ['admin'], params: idParams } }, async (request) => ({
      items: await listApiKeys(deps.db, request.params.id),
    }));
    app.post(
      '/orgs/:id/keys',
      { preHandler: admin, schema: { tags: ['admin'], summary: 'Create an API key; the token is shown only in this response', params: idParams, body: keyInput } },
      async (request, reply) => reply.status(201).send(await createApiKey(deps.db, { orgId: request.params.id, ...request.body })),
    );
    app.post('/keys/:id/revoke', { preHandler: admin, schema: { tags: ['admin'], params: idParams } }, async (request, reply) => {
      await revokeApiKey(deps.db, request.params.id);
      return reply.status(204).send();
    });

    app.get('/agents', { preHandler: guards.requireUser(['ADMIN', 'CERTIFIER']), schema: { tags: ['admin'] } }, async () => ({ items: await listAgents(deps.db) }));
    app.post(
      '/agents',
      { preHandler: admin, schema: { tags: ['admin'], summary: 'Create an agent for some devices; the token is shown only in this response', body: agentInput } },
      async (request, reply) => reply.status(201).send(await createAgent(deps.db, request.body)),
    );
  };
