import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { leaderboardFacets, leaderboardQuery, queryLeaderboard } from '../../services/leaderboard/leaderboard.js';

const tags = ['leaderboard'];

export const leaderboardRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
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
      async (request) => queryLeaderboard(deps.db, request.query),
    );

    app.get('/leaderboard/facets', { schema: { tags, security: [], summary: "The values the leaderboard's filters can take" } }, async () => leaderboardFacets(deps.db));
  };
