import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { describeCaller } from '../../services/orgs/organizations.js';
import { meSchema } from '../../contracts/account.js';

export const accountRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    // The dashboard's login checks a key here and learns which views to show.
    app.get('/me', { preHandler: guards.requireUser(), schema: { operationId: 'getMe', summary: "The calling key's organization and role", tags: ['account'], response: { 200: meSchema } } }, async (request) =>
      describeCaller(deps.db, userOf(request)),
    );
  };
