// Migration 20261203134500_model_contents on a database holding models uploaded before it: a single
// .onnx gets its one-file manifest and canonical digest written by Postgres's sha256(), equal to the
// documented definition computed here by Python; a bundle keeps null (its files were never hashed).
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/lib/migrations.js';
import { createTempDir, createTestDatabase } from '../helpers/isolated-resources.js';

const MIGRATION = '20261203134500_model_contents';
let client: pg.Client | undefined;
afterAll(() => client?.end());

const pythonDigest = (text: string) => execFileSync('python3', ['-c', 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'], { input: text, encoding: 'utf8' }).trim();

describe(`migration ${MIGRATION}`, () => {
  it('fills in single .onnx models by the manifest definition and leaves older bundles null', async () => {
    const url = await createTestDatabase('template0');
    const before = await createTempDir('npubench-migrations-before');
    for (const name of (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name < MIGRATION)) {
      await cp(join(MIGRATIONS_DIR, name.name), join(before, name.name), { recursive: true });
    }
    await applyMigrations(url, before);

    client = new pg.Client({ connectionString: url });
    await client.connect();
    const org = randomUUID();
    await client.query(`INSERT INTO organizations (id, slug, name, kind) VALUES ($1, 'vendor', 'Vendor', 'VENDOR')`, [org]);
    const onnxDigest = 'a'.repeat(64);
    const bundleDigest = 'b'.repeat(64);
    await client.query(`INSERT INTO artifacts (digest, size, media_type, storage_key) VALUES ($1, 12345, 'application/vnd.onnx', 'k1'), ($2, 999, 'application/vnd.npubench.model-bundle+tar', 'k2')`, [onnxDigest, bundleDigest]);
    await client.query(
      `INSERT INTO models (id, org_id, name, version, format, artifact_digest, signature) VALUES ($1, $3, 'single', '1', 'onnx', $4, '{}'), ($2, $3, 'bundle', '1', 'onnx-llm-bundle', $5, '{}')`,
      [randomUUID(), randomUUID(), org, onnxDigest, bundleDigest],
    );

    expect(await applyMigrations(url)).toContain(MIGRATION);
    const rows = await client.query<{ name: string; content_digest: string | null; contents: unknown }>('SELECT name, content_digest, contents FROM models ORDER BY name');
    const byName = Object.fromEntries(rows.rows.map((r) => [r.name, r]));
    expect(byName.single?.contents).toEqual([{ path: 'model.onnx', size: 12345, sha256: onnxDigest }]);
    expect(byName.single?.content_digest).toBe(pythonDigest(`npubench-bundle-manifest/v1\n${onnxDigest} 12345 model.onnx\n`));
    expect(byName.bundle).toMatchObject({ content_digest: null, contents: null });
  });
});
