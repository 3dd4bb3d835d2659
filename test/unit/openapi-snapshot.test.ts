// The API contract is deliberate: any change to routes or their schemas shows up as a diff of
// docs/openapi.json, which `npm run docs:generate` rewrites.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../src/api/openapi-document.js';

describe('OpenAPI document', () => {
  it('matches the committed snapshot (run `npm run docs:generate` after an intended API change)', async () => {
    const committed = JSON.parse(await readFile(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as unknown;
    expect(await buildOpenApiDocument()).toEqual(committed);
  });

  it('documents every public route of the API', async () => {
    const doc = (await buildOpenApiDocument()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, method] of [
      ['/v1/models', 'post'],
      ['/v1/jobs', 'post'],
      ['/v1/jobs/{id}/cancel', 'post'],
      ['/v1/reports/{id}', 'get'],
      ['/v1/reports/{id}/raw-samples', 'get'],
      ['/v1/certificates', 'post'],
      ['/v1/certificates/{id}/verify', 'get'],
      ['/v1/transparency/tree-head', 'get'],
      ['/v1/profiles', 'get'],
      ['/.well-known/jwks.json', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
  });
});
