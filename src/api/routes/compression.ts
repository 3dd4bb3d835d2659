import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { compressionView } from '../../services/compression/compression-view.js';
import { compressionQuery, compressionViewSchema } from '../../contracts/compression.js';
import { problemResponses } from '../../contracts/problem.js';

export const compressionRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/compression',
      {
        preHandler: guards.requireUser(),
        schema: {
          operationId: 'getCompressionView',
          tags: ['reports'],
          summary: 'Each variant of a reference model beside it on one device: speedup, size, energy and quality retained',
          description:
            'Variants are the models whose runs on the device measured fidelity against the reference (referenceModelId). Latency medians carry percentile-bootstrap 95% intervals from the raw samples; a variant whose interval overlaps the reference’s is marked indistinguishable. Only reports visible to the caller count.',
          querystring: compressionQuery,
          response: { 200: compressionViewSchema, ...problemResponses(404) },
        },
      },
      async (request) => compressionView(deps, userOf(request), request.query),
    );
  };
