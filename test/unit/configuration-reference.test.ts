import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderConfigurationReference } from '../../src/config/configuration-reference.js';

describe('configuration reference', () => {
  it('docs/configuration.md matches the env schema (run `npm run docs:generate` after changing src/config)', async () => {
    const committed = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigurationReference());
  });
});
