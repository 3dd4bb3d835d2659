import { recordAudit } from '../../services/audit/audit-log.js';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { createProfile, evaluateReport, getProfile, listProfiles, profileId, profileInput } from '../../services/certificates/profiles.js';

const idParams = z.strictObject({ id: profileId });
const evaluateBody = z.strictObject({ reportId: z.uuid() });

export const profileRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    // Public: what a certificate certifies must be readable by anyone who holds one.
    app.get('/profiles', { schema: { tags: ['profiles'], security: [] } }, async () => ({ items: await listProfiles(deps.db) }));

    app.get('/profiles/:id', { schema: { tags: ['profiles'], params: idParams, security: [] } }, async (request) => getProfile(deps.db, request.params.id));

    app.post('/profiles', { preHandler: guards.requireUser(['ADMIN', 'CERTIFIER']), schema: { tags: ['profiles'], body: profileInput } }, async (request, reply) => {
      const profile = await createProfile(deps.db, request.body);
      await recordAudit(deps.db, request, { action: 'profile.created', subjectType: 'profile', subjectId: profile.id });
      return reply.status(201).send(profile);
    });

    app.post(
      '/profiles/:id/evaluate',
      {
        preHandler: guards.requireUser(),
        schema: { tags: ['profiles'], summary: 'Dry run: evaluate a report against the profile without issuing a certificate', params: idParams, body: evaluateBody },
      },
      async (request) => evaluateReport(deps.db, userOf(request), request.params.id, request.body.reportId),
    );
  };
