// Holds a real answer to what /openapi.json declares for it, with Ajv (JSON Schema 2020-12, the
// dialect of OpenAPI 3.1) instead of the zod schemas the server serialises with, so a schema that is
// wrong in the document (not only in zod) fails too.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}
export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: unknown[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

export interface Answer {
  method: string;
  /** The route's path template as the document spells it, e.g. /v1/jobs/{id}. */
  path: string;
  status: number;
  contentType: string | undefined;
  body: string;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** Every operation of the document as [METHOD path, operation]. */
export function operations(doc: OpenApiDocument): [string, OpenApiOperation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m]).map((m): [string, OpenApiOperation] => [`${m.toUpperCase()} ${path}`, item[m]!]),
  );
}

/** The media type without parameters, lower-cased (`text/plain; charset=utf-8` → `text/plain`). */
const mediaType = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();

export function contractChecker(document: unknown) {
  const doc = document as OpenApiDocument;
  // Components are added once under their own $id, so `#/components/schemas/X` refs resolve.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'openapi:components', components: doc.components ?? {} });
  const compiled = new Map<unknown, ValidateFunction>();
  const validatorFor = (schema: unknown): ValidateFunction => {
    let validate = compiled.get(schema);
    if (!validate) {
      // Local refs inside the document point at the components schema added above.
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi:components#/components/')) as object;
      validate = ajv.compile(rebased);
      compiled.set(schema, validate);
    }
    return validate;
  };

  /** The reasons `answer` breaks the contract; empty when it keeps it. */
  return function violations(answer: Answer): string[] {
    const where = `${answer.method} ${answer.path} → ${answer.status}`;
    const operation = doc.paths[answer.path]?.[answer.method.toLowerCase()];
    if (!operation) return [`${where}: no such operation in the document`];
    const declared = operation.responses[String(answer.status)] ?? operation.responses[`${String(answer.status)[0]}XX`] ?? operation.responses.default;
    if (!declared) return [`${where}: status not declared (declared: ${Object.keys(operation.responses).join(', ')})`];
    const content = declared.content ?? {};
    if (Object.keys(content).length === 0) return answer.body.length === 0 ? [] : [`${where}: a body was sent but none is declared`];
    if (!answer.contentType) return [`${where}: no content-type, declared ${Object.keys(content).join(', ')}`];
    const media = mediaType(answer.contentType);
    const entry = Object.entries(content).find(([declaredType]) => mediaType(declaredType) === media);
    if (!entry) return [`${where}: content-type ${media} not declared (declared: ${Object.keys(content).join(', ')})`];
    const schema = entry[1].schema;
    // A download declared as bytes (format: binary) is not held to a JSON schema, whatever its media type.
    if (!media.endsWith('json') || schema === undefined || (schema as { format?: string }).format === 'binary') return [];
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      return [`${where}: ${media} body is not JSON`];
    }
    const validate = validatorFor(schema);
    if (validate(body)) return [];
    return [`${where}: body does not match the declared schema: ${ajv.errorsText(validate.errors, { separator: '; ' })}`];
  };
}
