// Lab administration: organizations, API keys, agents. Admin only.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import type { AuthGuards } from '../plugins/authentication.js';
import { createOrganization, listOrganizations } from '../../services/orgs/organizations.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../services/orgs/api-keys.js';
import { agentInput, createAgent, listAgents } from '../../services/agents/agents.js';
import { idParams, pageQuery } from './pagination.js';
import { listAuditEvents, recordAudit } from '../../services/audit/audit-log.js';

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
    app.post('/orgs', { preHandler: admin, schema: { tags: ['admin'], body: orgInput } }, async (request, reply) => {
      const org = await createOrganization(deps.db, request.body);
      await recordAudit(deps.db, request, { action: 'organization.created', subjectType: 'organization', subjectId: org.id, details: { slug: org.slug, kind: org.kind } });
      return reply.status(201).send(org);
    });

    app.get('/orgs/:id/keys', { preHandler: admin, schema: { tags: ['admin'], params: idParams } }, async (request) => ({
      items: await listApiKeys(deps.db, request.params.id),
    }));
    app.post(
      '/orgs/:id/keys',
      { preHandler: admin, schema: { tags: ['admin'], summary: 'Create an API key; the token is shown only in this response', params: idParams, body: keyInput } },
      async (request, reply) => {
        const key = await createApiKey(deps.db, { orgId: request.params.id, ...request.body });
        await recordAudit(deps.db, request, { action: 'api_key.created', subjectType: 'api_key', subjectId: key.id, details: { prefix: key.prefix, role: key.role, orgId: request.params.id } });
        return reply.status(201).send(key);
      },
    );
    app.post('/keys/:id/revoke', { preHandler: admin, schema: { tags: ['admin'], params: idParams } }, async (request, reply) => {
      await revokeApiKey(deps.db, request.params.id);
      // Other replicas drop the key when the api_keys trigger's notification reaches them.
      deps.cacheInvalidation?.invalidateLocally('api_keys', request.params.id);
      await recordAudit(deps.db, request, { action: 'api_key.revoked', subjectType: 'api_key', subjectId: request.params.id });
      return reply.status(204).send();
    });

    app.get('/agents', { preHandler: guards.requireUser(['ADMIN', 'CERTIFIER']), schema: { tags: ['admin'] } }, async () => ({ items: await listAgents(deps.db) }));
    app.post(
      '/agents',
      { preHandler: admin, schema: { tags: ['admin'], summary: 'Create an agent for some devices; the token is shown only in this response', body: agentInput } },
      async (request, reply) => {
        const agent = await createAgent(deps.db, request.body);
        await recordAudit(deps.db, request, { action: 'agent.created', subjectType: 'agent', subjectId: agent.id, details: { name: agent.name, devices: request.body.devices } });
        return reply.status(201).send(agent);
      },
    );

    app.get(
      '/audit',
      { preHandler: admin, schema: { tags: ['admin'], summary: 'Security-relevant actions, newest first', querystring: pageQuery.extend({ action: z.string().max(64).optional(), subjectId: z.string().max(200).optional() }) } },
      async (request) => listAuditEvents(deps.db, request.query),
    );
  };
