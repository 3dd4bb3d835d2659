// The error side of the contract, on every operation of the document: a malformed id, an id that
// names nothing, an empty or wrongly typed body. Whatever each route answers must be a status it
// declares, as problem+json matching the Problem schema (the authorization matrix holds the success
// answers and the authentication errors to the document; this test the rest).
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer } from '../helpers/problem.js';
import { createAgent } from '../../src/services/agents/agents.js';
import { contractChecker, operations, type OpenApiDocument, type OpenApiOperation } from '../helpers/openapi-contract.js';

let t: TestApi;
let doc: OpenApiDocument;
let violations: ReturnType<typeof contractChecker>;
const tokens = { apiKey: '', agentToken: '' };
// A well-formed id that no row has (fixed: no randomness), and values no schema accepts.
const UNKNOWN = { id: '00000000-0000-4000-8000-000000000000', slug: 'no-such-device', digest: '0'.repeat(64), size: '999999' } as Record<string, string>;
const MALFORMED = { id: 'not-an-id', slug: 'NOT A SLUG', digest: 'xyz', size: '-1' } as Record<string, string>;

beforeAll(async () => {
  t = await startTestApi();
  tokens.apiKey = (await t.createOrgWithKey('ADMIN')).key;
  tokens.agentToken = (await createAgent(t.deps.db, { name: 'contract-agent', devices: [] })).token;
  doc = t.app.swagger() as unknown as OpenApiDocument;
  violations = contractChecker(doc);
}, 120_000);

/** The credential the operation asks for (the lab admin's key for API-key routes), if any. */
const credential = (op: OpenApiOperation) => {
  const scheme = op.security?.flatMap((s) => Object.keys(s))[0] as keyof typeof tokens | undefined;
  return scheme ? bearer(tokens[scheme]) : {};
};
const fill = (path: string, values: Record<string, string>) => path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'x');
const isStream = (op: OpenApiOperation) => Object.keys(op.responses['200']?.content ?? {}).includes('text/event-stream');

async function ask(method: string, path: string, url: string, op: OpenApiOperation, payload?: unknown, contentType?: string) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: { ...credential(op), ...(contentType && { 'content-type': contentType }) },
    ...(payload !== undefined && { payload: payload as string }),
  });
  const ct = res.headers['content-type'];
  return { status: res.statusCode, breaks: violations({ method, path, status: res.statusCode, contentType: ct === undefined ? undefined : String(ct), body: res.body }) };
}

describe('every operation answers errors as it declares them', () => {
  it('a malformed path parameter is a declared 400, an unknown one a declared answer (404 where nothing is found)', async () => {
    const breaks: string[] = [];
    const statuses: string[] = [];
    for (const [name, op] of operations(doc)) {
      const [method, path] = name.split(' ') as [string, string];
      if (!path.includes('{') || isStream(op)) continue;
      const body = method === 'GET' ? undefined : {};
      const malformed = await ask(method, path, fill(path, MALFORMED), op, body);
      breaks.push(...malformed.breaks);
      if (malformed.status !== 400) statuses.push(`${name} malformed → ${malformed.status}`);
      const unknown = await ask(method, path, fill(path, UNKNOWN), op, body);
      breaks.push(...unknown.breaks);
      if (unknown.status >= 500) statuses.push(`${name} unknown → ${unknown.status}`);
    }
    expect(breaks).toEqual([]);
    expect(statuses).toEqual([]);
  });

  it('an empty JSON body, a body of a media type the API does not read and invalid JSON are declared 400/415 answers on every JSON request body', async () => {
    const breaks: string[] = [];
    const statuses: string[] = [];
    for (const [name, op] of operations(doc)) {
      const [method, path] = name.split(' ') as [string, string];
      if (!op.requestBody?.content['application/json']) continue;
      const url = fill(path, UNKNOWN);
      for (const [payload, contentType, expected] of [
        ['[]', 'application/json', 400],
        ['{"unterminated": ', 'application/json', 400],
        ['<job/>', 'application/xml', 415],
      ] as const) {
        const answer = await ask(method, path, url, op, payload, contentType);
        breaks.push(...answer.breaks);
        if (answer.status !== expected && answer.status !== 404) statuses.push(`${name} ${contentType} ${payload.slice(0, 12)} → ${answer.status}`);
      }
    }
    expect(breaks).toEqual([]);
    expect(statuses).toEqual([]);
  });

  it('a conflict is a declared 409: the same device slug twice', async () => {
    const op = doc.paths['/v1/devices']!.post!;
    const device = { slug: 'contract-dup', name: 'NPU', manufacturer: 'test' };
    const first = await ask('POST', '/v1/devices', '/v1/devices', op, device);
    expect(first.status).toBe(201);
    const second = await ask('POST', '/v1/devices', '/v1/devices', op, device);
    expect(second.status).toBe(409);
    expect([...first.breaks, ...second.breaks]).toEqual([]);
  });
});
