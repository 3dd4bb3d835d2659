// The parts of a multipart request, guarded against a parser that stops making progress. busboy
// (under @fastify/multipart 10.1 / @fastify/busboy 3.2) silently drops a part whose header holds a bare
// line feed and, when that part's body is larger than its buffer, never finishes: the request would
// wait forever (found by test/integration/api-fuzz.test.ts). When no new part and no body bytes have
// arrived for `idleMs`, the upload fails with 400 `upload.malformed_multipart` instead.
import type { FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { badRequest } from '../../lib/errors.js';
import type { Env } from '../../config/index.js';
import type { UploadPart } from '../../services/models/models.js';

export async function* guardedParts(request: FastifyRequest, idleMs: number): AsyncGenerator<UploadPart> {
  const iterator = (request.parts() as AsyncIterable<UploadPart>)[Symbol.asyncIterator]();
  let lastActivity = Date.now();
  const onData = () => (lastActivity = Date.now());
  request.raw.on('data', onData);
  try {
    for (;;) {
      const next = iterator.next();
      next.catch(() => undefined); // when the guard wins, a later rejection must not go unhandled
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        const check = () => {
          const idle = Date.now() - lastActivity;
          if (idle >= idleMs) reject(badRequest('upload.malformed_multipart', `The multipart body stopped making progress for ${Math.round(idleMs / 1000)} s (is a part header malformed?).`));
          else timer = setTimeout(check, idleMs - idle);
        };
        timer = setTimeout(check, idleMs);
      });
      let result: IteratorResult<UploadPart>;
      try {
        result = await Promise.race([next, stalled]);
      } finally {
        clearTimeout(timer);
      }
      if (result.done) return;
      lastActivity = Date.now();
      yield result.value;
    }
  } finally {
    request.raw.off('data', onData);
  }
}

type ZodApp = Parameters<FastifyPluginAsyncZod>[0];

/**
 * The routes that take multipart uploads, in a context of their own. @fastify/multipart adds two async
 * hooks (and a 'close' listener) to every request of the context it is registered in; registered once
 * for the whole app, every cached read paid for them (docs/PERFORMANCE.md, API throughput).
 */
export const multipartRoutes =
  (env: Env, routes: (app: ZodApp) => void): FastifyPluginAsyncZod =>
  async (app) => {
    await app.register(multipart, {
      limits: { files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25, fileSize: Math.max(env.NPUBENCH_MAX_UPLOAD_BYTES, env.NPUBENCH_MAX_RESULT_BYTES) + 1 },
    });
    routes(app);
  };
