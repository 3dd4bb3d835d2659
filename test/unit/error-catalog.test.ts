// The error catalog is closed: every code is declared once with a real HTTP error status, the helpers
// cannot disagree with it, the problem+json handler answers with its status, and docs/architecture.md's
// tables are the catalog's.
import { readFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import Fastify from 'fastify';
import multipart from '@fastify/multipart';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOG, ERROR_CODES, isErrorCode, type ErrorCode } from '../../src/lib/error-catalog.js';
import { AppError, HarnessError, badRequest, conflict, declaredFailure, notFound, unprocessable } from '../../src/lib/errors.js';
import { withErrorCodeTables } from '../../src/lib/error-code-reference.js';
import { registerProblemDetails } from '../../src/api/plugins/problem-details.js';
import { jobFailureSchema } from '../../src/contracts/agent-protocol.js';

describe('error catalog', () => {
  it('docs/architecture.md lists exactly the catalog (run `npm run docs:generate` after changing src/lib/error-catalog.ts)', async () => {
    const committed = await readFile(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
    expect(committed).toBe(withErrorCodeTables(committed));
    // Independently of the renderer: every declared code appears in the document with its status.
    for (const code of ERROR_CODES) {
      const entry = ERROR_CATALOG[code];
      expect(committed).toContain('job' in entry ? `| \`${code}\` |` : `| \`${code}\` | ${entry.status} |`);
    }
  });

  it('gives every code an HTTP error status and a one-line meaning', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(entry.status >= 400 && entry.status <= 599 && STATUS_CODES[entry.status] !== undefined, `${code}: ${entry.status}`).toBe(true);
      expect(entry.meaning, code).toMatch(/^\S.*\.$/);
      expect(entry.meaning, code).not.toContain('\n');
    }
  });

  it('names codes <area>.<what>, short enough for an agent to report (only `internal` predates the scheme)', () => {
    for (const code of ERROR_CODES) {
      if (code !== 'internal') expect(code).toMatch(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/);
      // An agent reports a job failure through POST /v1/agent/jobs/:id/fail; every declared code must pass it.
      expect(jobFailureSchema.safeParse({ code, message: 'm' }).success, code).toBe(true);
    }
    expect([...ERROR_CODES]).toEqual(Object.keys(ERROR_CATALOG).sort());
  });

  it('recognises only declared codes, not object prototype keys', () => {
    expect(isErrorCode('harness.timeout')).toBe(true);
    for (const other of ['harness.nope', 'constructor', 'toString', '__proto__', 'hasOwnProperty', '', 42, null, undefined]) expect(isErrorCode(other), String(other)).toBe(false);
  });

  it('keeps a code from another process only if declared (the harness child, an agent)', () => {
    expect(declaredFailure('runner.timeout', 'slow', 'harness.failed')).toEqual({ code: 'runner.timeout', message: 'slow' });
    expect(declaredFailure('harness.new_in_v2', 'boom', 'harness.failed')).toEqual({ code: 'harness.failed', message: 'harness.new_in_v2: boom' });
    expect(declaredFailure('__proto__', 'boom', 'agent.failed')).toEqual({ code: 'agent.failed', message: '__proto__: boom' });
  });

  it('takes the status from the catalog; an undeclared code or a helper of another status does not compile', () => {
    expect(new AppError('model.not_found', 'x').status).toBe(404);
    expect(new HarnessError('harness.timeout', 'x').status).toBe(422);
    expect(conflict('job.not_claimable', 'x').status).toBe(409);
    // @ts-expect-error model.not_found is answered with 404, not 400
    expect(badRequest('model.not_found', 'x').status).toBe(404);
    // @ts-expect-error result.invalid is answered with 422
    expect(notFound('result.invalid', 'x').status).toBe(422);
    // @ts-expect-error not declared in the catalog
    expect(() => unprocessable('model.undeclared', 'x')).toThrow(/Undeclared error code 'model.undeclared'/);
    expect(() => new AppError('nope.nope' as ErrorCode, 'x')).toThrow(TypeError);
  });
});

describe('problem+json handler', () => {
  const app = Fastify();
  beforeAll(async () => {
    registerProblemDetails(app);
    await app.register(multipart);
    app.get<{ Params: { code: string } }>('/throw/:code', async (request) => {
      throw new AppError(request.params.code as ErrorCode, 'thrown by the test');
    });
    app.post('/upload', async (request) => {
      await request.file(); // on a JSON body @fastify/multipart throws its own 406
      return {};
    });
    app.get('/fastify-406', async () => {
      throw Object.assign(new Error('not acceptable'), { code: 'FST_SOMETHING_ELSE', statusCode: 406 });
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers every declared code with the catalog status', async () => {
    for (const code of ERROR_CODES) {
      const res = await app.inject({ method: 'GET', url: `/throw/${code}` });
      expect(res.statusCode, code).toBe(ERROR_CATALOG[code].status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: ERROR_CATALOG[code].status, code, detail: 'thrown by the test' });
    }
  });

  it('answers with the statuses the API promises (written here, not read from the catalog)', async () => {
    const promised: [string, number][] = [
      ['agent.device_not_assigned', 403], ['auth.too_many_failures', 429], ['upload.not_multipart', 415], ['report.raw_samples_pruned', 410],
      ['request.path_parameter_too_long', 414], ['queue.unavailable', 503], ['transparency.log_corrupt', 500], ['result.malformed_field', 400],
    ];
    for (const [code, status] of promised) expect((await app.inject({ method: 'GET', url: `/throw/${code}` })).statusCode, code).toBe(status);
  });

  it("maps fastify's own client errors to declared codes with the catalog's status", async () => {
    const notMultipart = await app.inject({ method: 'POST', url: '/upload', payload: { a: 1 } });
    expect([notMultipart.statusCode, notMultipart.json().code]).toEqual([415, 'upload.not_multipart']);
    const other = await app.inject({ method: 'GET', url: '/fastify-406' });
    expect([other.statusCode, other.json().code]).toEqual([400, 'request.invalid']);
    const undeclared = await app.inject({ method: 'GET', url: '/throw/nope.nope' });
    expect([undeclared.statusCode, undeclared.json().code]).toEqual([500, 'internal']);
  });
});
