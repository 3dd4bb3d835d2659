// The OpenAPI document as the field's tools judge it: swagger-parser validates it against the OpenAPI
// 3.1 schema, Redocly's linter (recommended ruleset) finds no error, and every operation declares what a
// generator needs: an operationId, a summary, a named success schema, its problem answers, the media
// types it really sends and the security it really asks for.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../src/api/openapi-document.js';
import { operations, type OpenApiDocument, type OpenApiOperation } from '../helpers/openapi-contract.js';

const REDOCLY = new URL('../../node_modules/.bin/redocly', import.meta.url).pathname;
const PROBLEM_REF = '#/components/schemas/Problem';

let doc: OpenApiDocument;
let ops: [string, OpenApiOperation][];
beforeAll(async () => {
  doc = (await buildOpenApiDocument()) as OpenApiDocument;
  ops = operations(doc);
});

/** The operations for which `bad` holds, by "METHOD path". */
const failing = (bad: (op: OpenApiOperation, name: string) => boolean) => ops.filter(([name, op]) => bad(op, name)).map(([name]) => name);
const successes = (op: OpenApiOperation) => Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 for swagger-parser', async () => {
    const api = await SwaggerParser.validate(structuredClone(doc) as never);
    expect((api as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('has no error under `redocly lint` (recommended ruleset)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npubench-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc, null, 2));
      // Exit status 1 on errors; the JSON report is on stdout either way.
      const run = await promisify(execFile)(REDOCLY, ['lint', '--format=json', file], { cwd: dir, maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout: string }) => e);
      const report = JSON.parse(run.stdout) as { totals: { errors: number }; problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] };
      const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
      expect(errors).toEqual([]);
      expect(report.totals.errors).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives every operation a unique operationId and a summary', () => {
    expect(failing((op) => !op.operationId)).toEqual([]);
    expect(failing((op) => !op.summary?.trim())).toEqual([]);
    const ids = ops.map(([, op]) => op.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('declares a success answer with a schema on every operation, JSON ones as named components', () => {
    expect(failing((op) => successes(op).length === 0)).toEqual([]);
    expect(
      failing((op) =>
        successes(op).some(([status, r]) => status !== '204' && (!r.content || Object.values(r.content).some((c) => c.schema === undefined))),
      ),
    ).toEqual([]);
    const unnamedJson = failing((op) =>
      successes(op).some(([, r]) =>
        Object.entries(r.content ?? {}).some(([media, c]) => {
          const schema = c.schema as { $ref?: string; format?: string } | undefined;
          return media.includes('json') && schema?.format !== 'binary' && !schema?.$ref;
        }),
      ),
    );
    expect(unnamedJson).toEqual([]);
  });

  it('declares problem+json error answers referencing the shared Problem schema on every operation', () => {
    // Every operation can fail (500, 503 at least); those that take input or a credential have 4xx answers.
    expect(failing((op) => !Object.keys(op.responses).some((s) => /^[45]\d\d$/.test(s)))).toEqual([]);
    const takesInputOrCredential = (op: OpenApiOperation) => Boolean(op.parameters?.length || op.requestBody || op.security?.some((s) => Object.keys(s).length > 0));
    expect(failing((op) => takesInputOrCredential(op) && !Object.keys(op.responses).some((s) => /^4\d\d$/.test(s)))).toEqual([]);
    const badProblems = failing((op) =>
      Object.entries(op.responses)
        .filter(([status]) => /^[45]\d\d$/.test(status))
        .some(([, r]) => (r.content?.['application/problem+json']?.schema as { $ref?: string } | undefined)?.$ref !== PROBLEM_REF),
    );
    expect(badProblems).toEqual([]);
    const problem = doc.components?.schemas?.Problem as { properties?: Record<string, unknown>; required?: string[] };
    expect(problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
  });

  it('declares the multipart uploads as multipart/form-data request bodies with a binary file part', () => {
    for (const [path, part] of [
      ['/v1/models', 'file'],
      ['/v1/datasets', 'file'],
      ['/v1/agent/jobs/{id}/result', undefined],
    ] as const) {
      const schema = doc.paths[path]?.post?.requestBody?.content['multipart/form-data']?.schema as { properties?: Record<string, { format?: string }> } | undefined;
      expect(schema, `POST ${path}`).toBeDefined();
      if (part) expect(schema?.properties?.[part]?.format, `POST ${path} part ${part}`).toBe('binary');
      else expect(Object.values(schema?.properties ?? {}).some((p) => p.format === 'binary'), `POST ${path} has a file part`).toBe(true);
    }
  });

  it('declares the real media types of the answers that are not JSON', () => {
    const mediaOf = (method: string, path: string) => Object.keys(doc.paths[path]?.[method]?.responses['200']?.content ?? {});
    expect(mediaOf('get', '/v1/reports/{id}/mlperf-summary')).toEqual(['text/plain']);
    expect(mediaOf('get', '/metrics')[0]).toMatch(/^text\/plain/);
    expect(mediaOf('get', '/v1/certificates/{id}/pdf')).toEqual(['application/pdf']);
    expect(mediaOf('get', '/v1/jobs/events')).toEqual(['text/event-stream']);
    expect(mediaOf('get', '/v1/reports/{id}/raw-samples')).toHaveLength(1);
    expect(mediaOf('get', '/v1/reports/{id}/raw-samples')[0]).not.toBe('application/json');
    // Artifacts: the model and dataset archives as stored, each with its own media type, all bytes.
    expect(mediaOf('get', '/v1/agent/artifacts/{digest}')).toEqual(expect.arrayContaining(['application/vnd.onnx', 'application/vnd.npubench.model-bundle+zip']));
    const artifactSchemas = Object.values(doc.paths['/v1/agent/artifacts/{digest}']!.get!.responses['200']!.content!).map((c) => (c.schema as { format?: string }).format);
    expect(new Set(artifactSchemas)).toEqual(new Set(['binary']));
  });

  it('declares security as the guards ask: optional where anonymous callers are served, none for public documents', () => {
    const security = (method: string, path: string) => doc.paths[path]?.[method]?.security;
    for (const path of ['/v1/reports/{id}', '/v1/reports/{id}/mlperf-summary', '/v1/devices', '/v1/devices/{slug}']) expect(security('get', path), path).toContainEqual({});
    expect(security('get', '/v1/reports/{id}')).toContainEqual({ apiKey: [] });
    expect(security('get', '/.well-known/jwks.json')).toEqual([]);
    expect(security('get', '/v1/leaderboard')).toEqual([]);
    expect(security('get', '/v1/certificates/{id}')).toEqual([]);
    expect(security('get', '/v1/jobs')).toEqual([{ apiKey: [] }]);
    expect(security('post', '/v1/agent/heartbeat')).toEqual([{ agentToken: [] }]);
    expect(Object.keys(doc.components?.securitySchemes ?? {}).sort()).toEqual(['agentToken', 'apiKey']);
  });
});
