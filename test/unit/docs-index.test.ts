// docs/README.md is the index of docs/: every document in the folder is linked from it, and every
// link in it leads to a file that exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const docs = path.resolve(import.meta.dirname, '../../docs');
const index = readFileSync(path.join(docs, 'README.md'), 'utf8');
const targets = [...index.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)].map((m) => m[1]!);

describe('docs/README.md', () => {
  it('links every document in docs/', () => {
    const documents = readdirSync(docs).filter((f) => (f.endsWith('.md') || f.endsWith('.json')) && f !== 'README.md');
    expect(documents.filter((f) => !targets.includes(f))).toEqual([]);
  });

  it('links only files that exist', () => {
    expect(targets.filter((t) => !existsSync(path.join(docs, t)))).toEqual([]);
  });
});
