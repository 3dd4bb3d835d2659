import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { leaderboardFacetsJson, leaderboardJson, leaderboardQuery, type LeaderboardCache } from '../../services/leaderboard/leaderboard.js';
import { leaderboardFacetsSchema, leaderboardPageSchema } from '../../contracts/leaderboard.js';

const tags = ['leaderboard'];
import { sendBytes } from './raw-answer.js';

// Both answers are bytes serialised once and cached (sendBytes): the schemas document those bytes.
const JSON_TYPE = 'application/json; charset=utf-8';

export const leaderboardRoutes =
  (deps: AppDeps, cache?: LeaderboardCache): FastifyPluginAsyncZod =>
  async (app) => {
    // Public: certificates are public documents, and these rows are their figures.
    app.get(
      '/leaderboard',
      {
        schema: {
          operationId: 'listLeaderboard',
          tags,
          summary: 'Certified results, filtered and sorted by a metric',
          description: 'One row per valid, unrevoked certificate; keyset-paginated (`nextCursor`).',
          querystring: leaderboardQuery,
          response: { 200: leaderboardPageSchema },
        },
      },
      async (request, reply) => sendBytes(reply, JSON_TYPE, await leaderboardJson(deps.db, request.query, cache)),
    );

    app.get(
      '/leaderboard/facets',
      { schema: { operationId: 'getLeaderboardFacets', tags, summary: "The values the leaderboard's filters can take", response: { 200: leaderboardFacetsSchema } } },
      async (_request, reply) => sendBytes(reply, JSON_TYPE, await leaderboardFacetsJson(deps.db, cache)),
    );
  };
