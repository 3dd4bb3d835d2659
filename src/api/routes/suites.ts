// The published suite catalogs (public: they are the rules certificates cite).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getSuite, listSuites } from '../../services/suites/suite-catalog.js';
import { suiteDocumentSchema, suiteListSchema, suiteParamsSchema } from '../../contracts/suites.js';
import { problemResponses } from '../../contracts/problem.js';

const tags = ['suites'];

export const suiteRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/suites',
    { schema: { operationId: 'listSuites', tags, summary: 'The versioned suite catalogs, each with its digest and workloads', response: { 200: suiteListSchema } } },
    async () => listSuites(),
  );

  app.get(
    '/suites/:id',
    {
      schema: {
        operationId: 'getSuite',
        tags,
        summary: 'One suite catalog: per workload the pinned reference model and dataset, quality target, scenarios, latency bound and power',
        description: '`digest` is the sha256 of the RFC 8785 canonical JSON of the rest of the document.',
        params: suiteParamsSchema,
        response: { 200: suiteDocumentSchema, ...problemResponses(404) },
      },
    },
    async (request) => getSuite(request.params.id),
  );
};
