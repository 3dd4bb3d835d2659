import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/**
 * Sends an answer that is already bytes (a cached serialisation, a stored file): fastify does not run
 * the serializer on a Buffer or stream, so the route's declared schema documents these bytes rather
 * than cutting them, and the contract test holds them to it. The type provider types `send` with the
 * parsed shape; the one cast that says these bytes are it is here. Returns the reply, for the handler
 * to return: a streamed answer is not finished when the handler's promise settles, and fastify would
 * otherwise answer again.
 */
export function sendBytes<R extends { type(contentType: string): unknown }>(reply: R, contentType: string, payload: Buffer | Readable): R {
  (reply as unknown as FastifyReply).type(contentType).send(payload);
  return reply;
}
