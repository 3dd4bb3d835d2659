// The public transparency log (no authentication): anyone can fetch signed tree heads, entries and proofs
// and check them offline against the JWKS.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import {
  consistencyProofBetween,
  inclusionProofFor,
  listLogEntries,
  publishTreeHead,
  requireTreeHead,
} from '../../services/transparency/transparency-log.js';

// Indexes and sizes live in Postgres `integer` columns.
const logPosition = z.coerce.number().int().min(0).max(2_147_483_647);

const treeSizeParams = z.strictObject({ size: logPosition });
const entriesQuery = z.strictObject({ start: logPosition.default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) });
const inclusionQuery = z.strictObject({ index: logPosition, treeSize: logPosition });
const consistencyQuery = z.strictObject({ from: logPosition, to: logPosition });

const tags = ['transparency'];

export const transparencyRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/transparency/tree-head',
      { schema: { tags, security: [], summary: 'The latest signed tree head (signs a new one if the log grew)' } },
      async () => publishTreeHead(deps.db, deps.signer),
    );

    app.get(
      '/transparency/tree-heads/:size',
      { schema: { tags, security: [], summary: 'The signed tree head published for a log size', params: treeSizeParams } },
      async (request) => requireTreeHead(deps.db, request.params.size),
    );

    app.get(
      '/transparency/entries',
      { schema: { tags, security: [], summary: 'Log entries in index order, with leaf bytes and leaf hashes', querystring: entriesQuery } },
      async (request) => listLogEntries(deps.db, request.query.start, request.query.limit),
    );

    app.get(
      '/transparency/proofs/inclusion',
      { schema: { tags, security: [], summary: 'Inclusion proof of an entry in a published tree head', querystring: inclusionQuery } },
      async (request) => inclusionProofFor(deps.db, request.query.index, request.query.treeSize),
    );

    app.get(
      '/transparency/proofs/consistency',
      { schema: { tags, security: [], summary: 'Consistency proof between two published tree heads', querystring: consistencyQuery } },
      async (request) => consistencyProofBetween(deps.db, request.query.from, request.query.to),
    );
  };
