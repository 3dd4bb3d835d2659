import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { currentJwks } from '../../services/signing/service-key.js';
import { jwksSchema } from '../../contracts/signing.js';

export const signingRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Public keys of every key the service signed with (retired ones too), so old certificates verify.
    app.get('/.well-known/jwks.json', { schema: { operationId: 'getJwks', tags: ['signing'], summary: 'The public keys reports and certificates are signed with (JWK Set)', response: { 200: jwksSchema } } }, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=300').send(await currentJwks(deps.db)),
    );
  };
