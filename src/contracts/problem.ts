// The one error answer of the whole API (RFC 9457 problem+json), declared once: the routes list the
// statuses they can answer with it (problemResponses), the OpenAPI document names it `Problem`, and
// clients (CLI, agent, dashboard, generated ones) parse errors with it. Zod only: the dashboard imports it.
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemSchema = z
  .looseObject({
    type: z.string().describe('https://npubench.dev/problems/<code>'),
    title: z.string().describe('The HTTP status phrase'),
    status: z.number().int().min(400).max(599),
    detail: z.string().describe('What went wrong, for a person'),
    code: z.string().describe('Stable machine-readable code (docs/architecture.md lists them all)'),
    instance: z.string().optional().describe('The request path'),
    requestId: z.string().optional().describe('Quote it when reporting a problem; the same id is in the x-request-id header'),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('validation.failed: each member of the request that does not match the schema'),
  })
  .describe('An RFC 9457 problem; other members are extensions named in the code\'s documentation')
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;

export const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503;

const problemResponse = (status: ProblemStatus) => ({
  description: STATUS_TITLES[status]!,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});
export type ProblemResponse = ReturnType<typeof problemResponse>;

/** Route-specific error answers (`response: { 200: X, ...problemResponses(404, 409) }`). The ones every route of a kind can give (400 for input, 401/403/429 for authentication, 500/503) are added by the route-contract plugin. */
export function problemResponses<S extends ProblemStatus>(...statuses: S[]): Record<S, ProblemResponse> {
  return Object.fromEntries(statuses.map((s) => [s, problemResponse(s)])) as Record<S, ProblemResponse>;
}
