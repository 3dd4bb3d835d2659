// The one error handler: every failure leaves the API as RFC 9457 application/problem+json with a
// stable `code` and the request id. Unknown errors become a 500 that reveals nothing internal.
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { Prisma } from '@prisma/client';
import { AppError, errorStatus, type ErrorCode } from '../../lib/errors.js';
import { PROBLEM_CONTENT_TYPE, STATUS_TITLES as TITLES } from '../../contracts/problem.js';


// The status is not part of a problem: it is the catalog's for the code.
interface Problem {
  code: ErrorCode;
  detail: string;
  extra?: Record<string, unknown> | undefined;
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem) {
  const status = errorStatus(problem.code);
  // A route that knows better (readiness during start-up: 1 s) has set its own.
  if (status === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '5');
  const retryAfter = problem.extra?.retryAfterSeconds;
  if (status === 429 && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  return reply
    .status(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      // Extensions first: they can never override the standard members.
      ...problem.extra,
      type: `https://npubench.dev/problems/${problem.code}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail: problem.detail,
      code: problem.code,
      instance: request.url.split('?')[0],
      requestId: request.id,
    });
}

/**
 * Requests Node's HTTP parser refuses (headers over its size limit, malformed request lines) never
 * reach a route; fastify would answer them with its own JSON. Same problem+json shape here, written to
 * the socket because there is no request object yet.
 */
export function sendClientError(err: NodeJS.ErrnoException, socket: Duplex) {
  if (!socket.writable) return void socket.destroy();
  const [code, detail]: [ErrorCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ['request.headers_too_large', 'The request line and headers exceed the server\'s limit (16 KiB).']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['request.timeout', 'The request did not arrive in time.']
        : ['request.malformed', 'The request is not valid HTTP/1.1.'];
  const status = errorStatus(code);
  const body = JSON.stringify({ type: `https://npubench.dev/problems/${code}`, title: TITLES[status], status, detail, code });
  socket.end(`HTTP/1.1 ${status} ${TITLES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

// Fastify's own errors (body parsing, limits, content type) carry FST_* codes; map them to ours (and
// so to our statuses: @fastify/multipart says 406 for a body that is not multipart, we say 415).
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request.body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'request.unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'request.empty_json_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'request.invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'request.invalid_content_length',
  FST_REQ_FILE_TOO_LARGE: 'upload.too_large',
  FST_PARTS_LIMIT: 'upload.too_many_parts',
  FST_FILES_LIMIT: 'upload.unexpected_file',
  FST_FIELDS_LIMIT: 'upload.too_many_fields',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'upload.not_multipart',
  FST_PROTO_VIOLATION: 'request.invalid_json',
};

function toProblem(error: unknown): Problem {
  if (error instanceof AppError) return { code: error.code, detail: error.message, extra: error.extra };
  if (hasZodFastifySchemaValidationErrors(error)) {
    return {
      code: 'validation.failed',
      detail: 'The request does not match the schema.',
      extra: {
        errors: error.validation.map((v) => ({
          path: [error.validationContext, ...(v.instancePath ? v.instancePath.split('/').filter(Boolean) : [])].join('.'),
          message: v.message,
        })),
      },
    };
  }
  if (error instanceof Prisma.PrismaClientInitializationError || isDbConnectionError(error)) {
    return { code: 'database.unavailable', detail: 'The database is unavailable; retry later.' };
  }
  const rejected = postgresRejectedValue(error);
  if (rejected) return rejected;
  // busboy (under @fastify/multipart) throws plain errors for a body it cannot split into parts.
  if (error instanceof Error && /^Multipart: |unexpected end of multipart data/i.test(error.message) && (error as FastifyError).statusCode === undefined) {
    return { code: 'upload.malformed_multipart', detail: `The multipart body is malformed: ${error.message}.` };
  }
  const fe = error as FastifyError;
  if (!isResponseSerializationError(error) && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // A client error fastify raises that has no code of ours is answered as 400 request.invalid.
    const code = (fe.code ? FASTIFY_CODES[fe.code] : undefined) ?? (fe.statusCode === 404 ? 'route.not_found' : 'request.invalid');
    return { code, detail: fe.message };
  }
  return { code: 'internal', detail: 'An internal error occurred. Quote the request id when reporting it.' };
}

// Postgres refuses some values that pass the schemas (a NUL character in text, a number past a
// column's range). That is the client's input, not our failure: answer 400, not 500.
const POSTGRES_VALUE_ERRORS: Record<string, Problem> = {
  '22021': { code: 'request.invalid_characters', detail: 'A text value contains a character that cannot be stored (such as NUL).' },
  '22P05': { code: 'request.invalid_characters', detail: 'A text value contains a character that cannot be stored (such as NUL).' },
  '22001': { code: 'request.value_too_long', detail: 'A value is longer than can be stored.' },
  '22003': { code: 'request.number_out_of_range', detail: 'A number is out of the range that can be stored.' },
};

function postgresRejectedValue(error: unknown): Problem | null {
  const cause = (error as { cause?: { originalCode?: unknown } }).cause;
  const metaCode = error instanceof Prisma.PrismaClientKnownRequestError ? (error.meta as { code?: unknown } | undefined)?.code : undefined;
  const pgCode = typeof cause?.originalCode === 'string' ? cause.originalCode : typeof metaCode === 'string' ? metaCode : '';
  const known = POSTGRES_VALUE_ERRORS[pgCode];
  if (known) return known;
  if (error instanceof Prisma.PrismaClientKnownRequestError && ['P2000', 'P2020'].includes(error.code)) {
    return { code: 'request.value_too_long', detail: 'A value is out of the range that can be stored.' };
  }
  return null;
}

// SQLSTATE classes 08 (connection exception) and 57P (the server is shutting down, crashed or not
// accepting connections yet), and the adapter's own kinds for the same situations.
const UNAVAILABLE_SQLSTATE = /^(08|57P)/;
const UNAVAILABLE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

function isDbConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: { originalCode?: unknown; kind?: unknown } }).cause;
  if (typeof cause?.originalCode === 'string' && UNAVAILABLE_SQLSTATE.test(cause.originalCode)) return true;
  if (typeof cause?.kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(cause.kind)) return true;
  return (
    (error instanceof Prisma.PrismaClientKnownRequestError && ['P1001', 'P1002', 'P1017', 'P2024'].includes(error.code)) ||
    code === 'ECONNREFUSED' ||
    (error instanceof Error && /DatabaseNotReachable|Connection terminated|ECONNREFUSED/.test(error.message))
  );
}

// Errors fastify raises before routing (a URL it cannot decode, a path parameter over maxParamLength)
// bypass the error handler; fastify's `frameworkErrors` option sends them through this one instead.
const ROUTING_CODES: Record<string, ErrorCode> = {
  FST_ERR_BAD_URL: 'request.bad_url',
  FST_ERR_MAX_PARAM_LENGTH: 'request.path_parameter_too_long',
};

export function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const known = ROUTING_CODES[error.code];
  if (!known) request.log.error({ err: error }, 'request failed before routing');
  return sendProblem(reply, request, known ? { code: known, detail: error.message } : toProblem(error));
}

export function registerProblemDetails(app: FastifyInstance) {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (errorStatus(problem.code) >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, request, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, { code: 'route.not_found', detail: `No route ${request.method} ${request.url.split('?')[0]}.` }),
  );
}
