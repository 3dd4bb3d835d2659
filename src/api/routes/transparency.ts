// The public transparency log (no authentication): anyone can fetch checkpoints, entries and proofs and
// check them offline against the log key (GET /transparency/log-key), which is not the report key.
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
import { consistencyProofSchema, inclusionProofSchema, logEntryPageSchema, logKeySchema, signedTreeHeadSchema } from '../../contracts/transparency.js';
import { problemResponses } from '../../contracts/problem.js';

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
      '/transparency/log-key',
      {
        schema: {
          operationId: 'getLogKey',
          summary: "The log's origin and its checkpoint key as a note verifier key (pin it: npubench trust add)",
          tags,
          response: { 200: logKeySchema },
        },
      },
      async () => ({ origin: deps.logSigner.name, vkey: deps.logSigner.vkey }),
    );

    app.get(
      '/transparency/checkpoint',
      {
        schema: {
          operationId: 'getCheckpoint',
          summary: 'The latest checkpoint as a C2SP signed note, text/plain (what tlog monitors and witnesses read)',
          tags,
          response: { 200: { description: 'The signed note (c2sp.org/tlog-checkpoint)', content: { 'text/plain': { schema: z.string() } } } },
        },
      },
      async (_request, reply) => reply.type('text/plain; charset=utf-8').send((await publishTreeHead(deps.db, deps.logSigner)).checkpoint),
    );

    app.get(
      '/transparency/tree-head',
      { schema: { operationId: 'getTreeHead', summary: 'The latest tree head and its checkpoint (signs a new one if the log grew)', tags, response: { 200: signedTreeHeadSchema } } },
      async () => publishTreeHead(deps.db, deps.logSigner),
    );

    app.get(
      '/transparency/tree-heads/:size',
      { schema: { operationId: 'getTreeHeadBySize', summary: 'The tree head and checkpoint published for a log size', tags, params: treeSizeParams, response: { 200: signedTreeHeadSchema, ...problemResponses(404) } } },
      async (request) => requireTreeHead(deps.db, deps.logSigner, request.params.size),
    );

    app.get(
      '/transparency/entries',
      { schema: { operationId: 'listLogEntries', summary: 'Log entries in index order, with leaf bytes and leaf hashes', tags, querystring: entriesQuery, response: { 200: logEntryPageSchema } } },
      async (request) => listLogEntries(deps.db, request.query.start, request.query.limit),
    );

    app.get(
      '/transparency/proofs/inclusion',
      { schema: { operationId: 'getInclusionProof', summary: 'Inclusion proof of an entry in a published tree, with its checkpoint', tags, querystring: inclusionQuery, response: { 200: inclusionProofSchema, ...problemResponses(404) } } },
      async (request) => inclusionProofFor(deps.db, deps.logSigner, request.query.index, request.query.treeSize),
    );

    app.get(
      '/transparency/proofs/consistency',
      { schema: { operationId: 'getConsistencyProof', summary: 'RFC 6962 consistency proof between two published trees, with both checkpoints', tags, querystring: consistencyQuery, response: { 200: consistencyProofSchema, ...problemResponses(404) } } },
      async (request) => consistencyProofBetween(deps.db, deps.logSigner, request.query.from, request.query.to),
    );
  };
