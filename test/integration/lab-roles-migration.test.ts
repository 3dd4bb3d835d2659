// Migration 20261203093000_lab_roles_only_in_lab_orgs on a database that already holds the attack of
// issue #15: a certifier and an admin key inside a vendor organization. Applied over the real earlier
// migrations, it revokes exactly those keys and from then on refuses to bring them back.
import { randomUUID } from 'node:crypto';
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/lib/migrations.js';
import { createTempDir, createTestDatabase } from '../helpers/isolated-resources.js';

const MIGRATION = '20261203093000_lab_roles_only_in_lab_orgs';
let client: pg.Client | undefined;
afterAll(() => client?.end());

describe(`migration ${MIGRATION}`, () => {
  it('revokes certifier and admin keys of vendor organizations made before it, and keeps them revoked', async () => {
    const url = await createTestDatabase('template0');
    const before = await createTempDir('npubench-migrations-before');
    for (const name of (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name < MIGRATION)) {
      await cp(join(MIGRATIONS_DIR, name.name), join(before, name.name), { recursive: true });
    }
    await applyMigrations(url, before);

    client = new pg.Client({ connectionString: url });
    await client.connect();
    const lab = randomUUID();
    const vendor = randomUUID();
    await client.query(`INSERT INTO organizations (id, slug, name, kind) VALUES ($1, 'lab', 'Lab', 'LAB'), ($2, 'vendor', 'Vendor', 'VENDOR')`, [lab, vendor]);
    const keys = { vendorCertifier: [vendor, 'CERTIFIER'], vendorAdmin: [vendor, 'ADMIN'], vendorKey: [vendor, 'VENDOR'], labCertifier: [lab, 'CERTIFIER'] } as const;
    const ids = {} as Record<keyof typeof keys, string>;
    for (const [label, [org, role]] of Object.entries(keys) as [keyof typeof keys, readonly [string, string]][]) {
      ids[label] = randomUUID();
      await client.query(`INSERT INTO api_keys (id, org_id, name, prefix, secret_hash, role) VALUES ($1, $2, $3, $4, 'x', $5)`, [ids[label], org, label, `npb_${label}`, role]);
    }

    expect(await applyMigrations(url)).toContain(MIGRATION);
    const rows = await client.query<{ name: string; revoked: boolean }>('SELECT name, revoked_at IS NOT NULL AS revoked FROM api_keys ORDER BY name');
    expect(Object.fromEntries(rows.rows.map((r) => [r.name, r.revoked]))).toEqual({ labCertifier: false, vendorAdmin: true, vendorCertifier: true, vendorKey: false });

    await expect(client.query('UPDATE api_keys SET revoked_at = NULL WHERE id = $1', [ids.vendorCertifier])).rejects.toThrow(/lab organization/);
    await expect(client.query('UPDATE api_keys SET org_id = $1 WHERE id = $2', [vendor, ids.labCertifier])).rejects.toThrow(/lab organization/);
    await expect(client.query(`UPDATE organizations SET kind = 'VENDOR' WHERE id = $1`, [lab])).rejects.toThrow(/lab organization/);
    // Revoking the lab's last certifier key lets the organization change kind.
    await client.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [ids.labCertifier]);
    await client.query(`UPDATE organizations SET kind = 'VENDOR' WHERE id = $1`, [lab]);
  });
});
