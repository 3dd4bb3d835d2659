import { recordAudit } from '../../services/audit/audit-log.js';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { createProfile, evaluateReport, getProfile, listProfiles, profileView } from '../../services/certificates/profiles.js';
import { profileEvaluationSchema, profileId, profileInput, profileListSchema, profileSchema } from '../../contracts/profiles.js';
import { problemResponses } from '../../contracts/problem.js';

const idParams = z.strictObject({ id: profileId });
const evaluateBody = z.strictObject({ reportId: z.uuid() });
const tags = ['profiles'];

export const profileRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    // Public: what a certificate certifies must be readable by anyone who holds one.
    app.get(
      '/profiles',
      { schema: { operationId: 'listProfiles', summary: 'Every certification profile, newest version of each name first', tags, response: { 200: profileListSchema, ...problemResponses(422) } } },
      async () => ({ items: (await listProfiles(deps.db)).map(profileView) }),
    );

    app.get(
      '/profiles/:id',
      { schema: { operationId: 'getProfile', summary: 'One certification profile', tags, params: idParams, response: { 200: profileSchema, ...problemResponses(404, 422) } } },
      async (request) => profileView(await getProfile(deps.db, request.params.id)),
    );

    app.post(
      '/profiles',
      {
        preHandler: guards.requireUser(['ADMIN', 'CERTIFIER']),
        schema: { operationId: 'createProfile', summary: 'Publish a certification profile (immutable: a changed rule set is a new version)', tags, body: profileInput, response: { 201: profileSchema, ...problemResponses(409) } },
      },
      async (request, reply) => {
        const profile = await createProfile(deps.db, request.body);
        await recordAudit(deps.db, request, { action: 'profile.created', subjectType: 'profile', subjectId: profile.id });
        return reply.status(201).send(profileView(profile));
      },
    );

    app.post(
      '/profiles/:id/evaluate',
      {
        preHandler: guards.requireUser(),
        schema: {
          operationId: 'evaluateProfile',
          summary: 'Dry run: evaluate a report against the profile without issuing a certificate',
          tags,
          params: idParams,
          body: evaluateBody,
          response: { 200: profileEvaluationSchema, ...problemResponses(404, 422) },
        },
      },
      async (request) => evaluateReport(deps.db, userOf(request), request.params.id, request.body.reportId),
    );
  };
