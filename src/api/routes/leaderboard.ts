import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { leaderboardFacetsJson, leaderboardJson, leaderboardQuery, type LeaderboardCache } from '../../services/leaderboard/leaderboard.js';

const tags = ['leaderboard'];

export const leaderboardRoutes =
  (deps: AppDeps, cache?: LeaderboardCache): FastifyPluginAsyncZod =>
  async (app) => {
    // Public: certificates are public documents, and these rows are their figures.
    app.get(
      '/leaderboard',
      {
        schema: {
          tags,
          security: [],
          summary: 'Certified results (one per valid, unrevoked certificate), filtered, sorted by a metric, keyset-paginated',
          querystring: leaderboardQuery,
        },
      },
      async (request, reply) => reply.type('application/json; charset=utf-8').send(await leaderboardJson(deps.db, request.query, cache)),
    );

    app.get('/leaderboard/facets', { schema: { tags, security: [], summary: "The values the leaderboard's filters can take" } }, async (_request, reply) =>
      reply.type('application/json; charset=utf-8').send(await leaderboardFacetsJson(deps.db, cache)),
    );
  };
