// Lab administration: organizations, API keys, agents. Admin only.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import type { AuthGuards } from '../plugins/authentication.js';
import { createOrganization, listOrganizations } from '../../services/orgs/organizations.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../services/orgs/api-keys.js';
import { agentInput, agentView, createAgent, listAgents } from '../../services/agents/agents.js';
import { idParams, pageQuery } from './pagination.js';
import { listAuditEvents, recordAudit } from '../../services/audit/audit-log.js';
import {
  agentListSchema,
  apiKeyInput,
  apiKeyListSchema,
  auditEventPageSchema,
  createdAgentSchema,
  createdApiKeySchema,
  organizationInput,
  organizationListSchema,
  organizationSchema,
} from '../../contracts/admin.js';
import { problemResponses } from '../../contracts/problem.js';

const tags = ['admin'];

export const adminRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    const admin = guards.requireUser(['ADMIN']);

    app.get(
      '/orgs',
      { preHandler: admin, schema: { operationId: 'listOrganizations', summary: 'Every organization, oldest first', tags, response: { 200: organizationListSchema } } },
      async () => ({ items: await listOrganizations(deps.db) }),
    );
    app.post(
      '/orgs',
      { preHandler: admin, schema: { operationId: 'createOrganization', summary: 'Create a vendor or lab organization', tags, body: organizationInput, response: { 201: organizationSchema, ...problemResponses(409) } } },
      async (request, reply) => {
        const org = await createOrganization(deps.db, request.body);
        await recordAudit(deps.db, request, { action: 'organization.created', subjectType: 'organization', subjectId: org.id, details: { slug: org.slug, kind: org.kind } });
        return reply.status(201).send(org);
      },
    );

    app.get(
      '/orgs/:id/keys',
      { preHandler: admin, schema: { operationId: 'listApiKeys', summary: "An organization's API keys, revoked ones included (never their secrets)", tags, params: idParams, response: { 200: apiKeyListSchema } } },
      async (request) => ({ items: await listApiKeys(deps.db, request.params.id) }),
    );
    app.post(
      '/orgs/:id/keys',
      {
        preHandler: admin,
        schema: {
          operationId: 'createApiKey',
          summary: 'Create an API key; the token is shown only in this response',
          tags,
          params: idParams,
          body: apiKeyInput,
          response: { 201: createdApiKeySchema, ...problemResponses(404, 422) },
        },
      },
      async (request, reply) => {
        const key = await createApiKey(deps.db, { orgId: request.params.id, ...request.body });
        await recordAudit(deps.db, request, { action: 'api_key.created', subjectType: 'api_key', subjectId: key.id, details: { prefix: key.prefix, role: key.role, orgId: request.params.id } });
        return reply.status(201).send(key);
      },
    );
    app.post(
      '/keys/:id/revoke',
      { preHandler: admin, schema: { operationId: 'revokeApiKey', summary: 'Revoke an API key (it stops working at once)', tags, params: idParams, response: { 204: z.undefined(), ...problemResponses(404) } } },
      async (request, reply) => {
        await revokeApiKey(deps.db, request.params.id);
        // Other replicas drop the key when the api_keys trigger's notification reaches them.
        deps.cacheInvalidation?.invalidateLocally('api_keys', request.params.id);
        await recordAudit(deps.db, request, { action: 'api_key.revoked', subjectType: 'api_key', subjectId: request.params.id });
        return reply.status(204).send();
      },
    );

    app.get(
      '/agents',
      { preHandler: guards.requireUser(['ADMIN', 'CERTIFIER']), schema: { operationId: 'listAgents', summary: 'Every agent with its devices and last heartbeat', tags, response: { 200: agentListSchema } } },
      async () => ({ items: (await listAgents(deps.db)).map(agentView) }),
    );
    app.post(
      '/agents',
      {
        preHandler: admin,
        schema: {
          operationId: 'createAgent',
          summary: 'Create an agent for some devices; the token is shown only in this response',
          tags,
          body: agentInput,
          response: { 201: createdAgentSchema, ...problemResponses(409) },
        },
      },
      async (request, reply) => {
        const agent = await createAgent(deps.db, request.body);
        await recordAudit(deps.db, request, { action: 'agent.created', subjectType: 'agent', subjectId: agent.id, details: { name: agent.name, devices: request.body.devices } });
        return reply.status(201).send(agent);
      },
    );

    app.get(
      '/audit',
      {
        preHandler: admin,
        schema: {
          operationId: 'listAuditEvents',
          summary: 'Security-relevant actions, newest first',
          tags,
          querystring: pageQuery.extend({ action: z.string().max(64).optional(), subjectId: z.string().max(200).optional() }),
          response: { 200: auditEventPageSchema },
        },
      },
      async (request) => listAuditEvents(deps.db, request.query),
    );
  };
