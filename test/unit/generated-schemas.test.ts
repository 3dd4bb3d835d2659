import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GENERATED_SCHEMAS } from '../../src/services/reports/generated-schemas.js';

describe('published JSON Schemas', () => {
  it.each(Object.keys(GENERATED_SCHEMAS))('docs/schemas/%s matches the zod type (run `npm run docs:generate` after changing it)', async (file) => {
    const committed = JSON.parse(await readFile(new URL(`../../docs/schemas/${file}`, import.meta.url), 'utf8')) as unknown;
    expect(committed).toEqual(GENERATED_SCHEMAS[file]!());
  });
});
