// Completes each route's declared contract from what the route itself says, so the OpenAPI document
// and the serialisers cannot drift from the code: the guard in its preHandler gives its security and
// its 401/403/429 answers, a validated input its 400, a body its 413/415, and every route can answer
// 500 and 503 (database down). Routes declare only their success answers and their own errors
// (problemResponses(404, 409)). The contract test (test/integration/api-contract.test.ts) holds every
// real answer to what ends up declared here.
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { SwaggerTransform } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemResponses, type ProblemStatus } from '../../contracts/problem.js';
import { ALL_ROLES, describedGuard } from './authentication.js';

/** OpenAPI security requirements: `{}` makes the credential optional. */
const SECURITY = {
  none: [],
  'optional-user': [{}, { apiKey: [] }],
  user: [{ apiKey: [] }],
  agent: [{ agentToken: [] }],
} as const;

export const SECURITY_SCHEMES = {
  apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (npb_…), sent as "Authorization: Bearer <key>".' },
  agentToken: { type: 'http', scheme: 'bearer', description: 'An agent token (npba_…): only the agent protocol (/v1/agent/…) accepts it.' },
} as const;

type Schema = NonNullable<RouteOptions['schema']> & {
  hide?: boolean;
  security?: unknown;
  response?: Record<string, unknown>;
  /**
   * The parts of a multipart/form-data upload, for the document only: @fastify/multipart reads the
   * stream itself, so fastify validates no body. File parts: `multipartFile(...)`.
   */
  multipartBody?: z.ZodObject;
};

/** A file part of a multipart upload, as OpenAPI describes one (generators map it to Blob/bytes). */
export const multipartFile = (description: string) => z.string().meta({ format: 'binary', description });

/** fastify-type-provider-zod's transform, plus the request bodies of multipart uploads. */
export const contractTransform: SwaggerTransform = (document) => {
  const transformed = jsonSchemaTransform(document) as { schema: Record<string, unknown>; url: string };
  const multipart = (document.schema as Schema | undefined)?.multipartBody;
  if (multipart && !transformed.schema.hide) {
    transformed.schema.body = z.toJSONSchema(multipart, { target: 'draft-2020-12', io: 'input' });
    transformed.schema.consumes = ['multipart/form-data'];
  }
  return transformed;
};

/** The statuses every route of this shape can answer with a problem, besides its own. */
function implicitProblems(route: RouteOptions, schema: Schema): ProblemStatus[] {
  const statuses: ProblemStatus[] = [500, 503];
  if (schema.params || schema.querystring || schema.body || schema.headers) statuses.push(400);
  if (['POST', 'PUT', 'PATCH'].includes(String(route.method))) statuses.push(400, 413, 415);
  const guard = describedGuard(route.preHandler);
  if (guard) statuses.push(401, 429);
  if (guard?.kind === 'user' && guard.roles.length < ALL_ROLES.length) statuses.push(403);
  return statuses;
}

export function registerRouteContract(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ?? {}) as Schema;
    if (schema.hide) return;
    const guard = describedGuard(route.preHandler);
    // Derived, never declared by hand: a route is exactly as open as its guard.
    schema.security = SECURITY[guard?.kind ?? 'none'];
    const declared = schema.response ?? {};
    const implicit = problemResponses(...implicitProblems(route, schema).filter((s) => !(s in declared)));
    schema.response = { ...declared, ...implicit };
    route.schema = schema;
  });
}

/**
 * fastify-type-provider-zod's document transform, without the components nothing references: it
 * emits an input and an output copy of every named schema (`Job`, `JobInput`), and most are only
 * ever answers.
 */
export const contractTransformObject: typeof jsonSchemaTransformObject = (document) => {
  const openapi = jsonSchemaTransformObject(document) as { components?: { schemas?: Record<string, unknown> } };
  const schemas = openapi.components?.schemas;
  if (!schemas) return openapi as ReturnType<typeof jsonSchemaTransformObject>;
  const referenced = new Set<string>();
  const visit = (value: unknown) => {
    for (const [, name] of JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (!referenced.has(name!)) {
        referenced.add(name!);
        visit(schemas[name!]);
      }
    }
  };
  visit({ ...openapi, components: { ...openapi.components, schemas: {} } });
  openapi.components!.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => referenced.has(name)));
  return openapi as ReturnType<typeof jsonSchemaTransformObject>;
};

declare module 'fastify' {
  interface FastifySchema {
    /** See `Schema.multipartBody` in route-contract.ts. */
    multipartBody?: z.ZodObject;
  }
}
