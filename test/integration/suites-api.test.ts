// GET /v1/suites and /v1/suites/{id}: the catalog a client downloads is the one its digest names
// (recomputed here over the answer with an independent canonical JSON), and bad ids are problems.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { expectProblem } from '../helpers/problem.js';
import { suiteDocumentSchema, suiteListSchema } from '../../src/contracts/suites.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
}, 120_000);

const sortedJson = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(sortedJson).join(',')}]`
    : value !== null && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(value);

describe('suite catalog API', () => {
  it('lists npubench-edge@1 and serves it under the digest of its canonical JSON, to anyone', async () => {
    const list = await t.app.inject({ method: 'GET', url: '/v1/suites' });
    expect(list.statusCode, list.body).toBe(200);
    const { items } = suiteListSchema.parse(list.json());
    const edge = items.find((s) => s.id === 'npubench-edge@1');
    expect(edge?.workloads.map((w) => w.id)).toEqual(['ocr-direction', 'ocr-recognition', 'image-classification', 'slm-mmlu']);

    const one = await t.app.inject({ method: 'GET', url: '/v1/suites/npubench-edge@1' });
    expect(one.statusCode, one.body).toBe(200);
    const body = one.json() as Record<string, unknown>;
    expect(suiteDocumentSchema.parse(body)).toEqual(body);
    const { digest, ...document } = body;
    expect(digest).toBe(`sha256:${createHash('sha256').update(sortedJson(document)).digest('hex')}`);
    expect(edge?.digest).toBe(digest);
  });

  it('answers an unknown or malformed suite id with a problem', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/suites/npubench-edge@9' }), 404, 'suite.not_found');
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/suites/NOT%20A%20SUITE' }), 400, 'validation.failed');
  });
});
