// `npubench log monitor` against a real API (Postgres behind it), as an outside monitor runs it: the log
// key pinned by `npubench trust add`, the last checkpoint kept in a state dir. An operator with database
// rights then rewrites a leaf (SQL UPDATE behind the append-only trigger), makes the log sign a second
// root for a size it already signed, and grows the log over the rewritten entry: each run must exit 1 and
// keep the last good checkpoint.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { runNpubench } from '../helpers/processes.js';
import { canonicalBytes } from '../../src/lib/crypto/canonical-json.js';
import { leafHash, merkleRoot } from '../../src/lib/crypto/merkle.js';
import { newLogKey } from '../helpers/certificate-corpus.js';
import { appendLogEntry } from '../../src/services/transparency/transparency-log.js';

let t: TestApi;
let env: Record<string, string>;
let state: string;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  env = { NPUBENCH_TRUST_DIR: await createTempDir('npubench-monitor-trust') };
  state = await createTempDir('npubench-monitor-state');
  const added = await runNpubench(['trust', 'add', t.url], env);
  expect(added.code, added.stdout + added.stderr).toBe(0);
});

const append = (n: number) =>
  Promise.all(Array.from({ length: n }, () => t.deps.db.$transaction((tx) => appendLogEntry(tx, { kind: 'certificate.issued', certificateId: randomUUID(), entry: { note: 'monitored' } }))));
const monitor = (...extra: string[]) => runNpubench(['log', 'monitor', '--state', state, ...extra], env);
const stateFile = () => join(state, `${t.deps.logSigner.name.replace(/[^A-Za-z0-9.-]+/g, '_')}.checkpoint`);
/** The size line of the kept checkpoint, read as text: no code of ours in between. */
const keptSize = async () => Number((await readFile(stateFile(), 'utf8')).split('\n')[1]);

/** The root of the stored leaves, computed here from the rows. */
async function rootOfStoredLeaves(size: number): Promise<string> {
  const rows = await t.deps.db.transparencyLogEntry.findMany({ where: { index: { lt: size } }, orderBy: { index: 'asc' } });
  return merkleRoot(rows.map((r) => r.leaf)).toString('base64');
}

// Several CLI processes per test: on a loaded 2-core machine each can take tens of seconds to start.
describe('npubench log monitor', { timeout: 300_000 }, () => {
  it('keeps the first checkpoint, then accepts an honest log as it grows', async () => {
    await append(3);
    const first = await monitor();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/size 3, .*first checkpoint kept/);
    expect(await keptSize()).toBe(3);

    await append(2);
    const second = await monitor('--json');
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const answer = JSON.parse(second.stdout) as { ok: boolean; previous: { treeSize: number }; latest: { treeSize: number; rootHash: string } };
    expect(answer).toMatchObject({ ok: true, previous: { treeSize: 3 }, latest: { treeSize: 5 } });
    expect(answer.latest.rootHash).toBe(await rootOfStoredLeaves(5));
    expect(await keptSize()).toBe(5);

    const unchanged = await monitor();
    expect(unchanged.code, unchanged.stdout + unchanged.stderr).toBe(0);
  });

  it('takes the log key only from the trust root, never from the log', async () => {
    const untrusted = await runNpubench(['log', 'monitor', '--state', state, '--issuer', t.url], { NPUBENCH_TRUST_DIR: await createTempDir('npubench-monitor-empty') });
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toMatch(/npubench trust add|--log-key/);
    const otherState = await createTempDir('npubench-monitor-other');
    const otherKey = await runNpubench(['log', 'monitor', '--state', otherState, '--log-key', newLogKey(t.deps.logSigner.name).vkey], env);
    expect(otherKey.code, otherKey.stdout + otherKey.stderr).toBe(1);
    expect(otherKey.stderr).toMatch(/does not verify against the pinned log key \(unknown_key\)/);
  });

  it('catches a leaf rewritten in the database, and keeps the last good checkpoint', async () => {
    const signedRoot = await rootOfStoredLeaves(5);
    await t.deps.db.$executeRawUnsafe('DROP TRIGGER transparency_log_entries_append_only ON transparency_log_entries');
    const row = await t.deps.db.transparencyLogEntry.findUniqueOrThrow({ where: { index: 1 } });
    const forged = canonicalBytes({ ...(JSON.parse(Buffer.from(row.leaf).toString('utf8')) as object), certificateId: randomUUID() });
    await t.deps.db.$executeRaw`UPDATE transparency_log_entries SET leaf = ${forged}, leaf_hash = ${leafHash(forged).toString('hex')} WHERE index = 1`;
    expect(await rootOfStoredLeaves(5)).not.toBe(signedRoot);

    const res = await monitor();
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toMatch(/ALERT .*entries hash to .*not to the signed root .*an entry was rewritten/);
    expect(await keptSize()).toBe(5);
  });

  it('catches the log signing a second root for a size it signed before (a fork)', async () => {
    // The operator swaps the stored root for the rewritten tree's; the service signs what is stored.
    const rewrittenRoot = await rootOfStoredLeaves(5);
    await t.deps.db.$executeRaw`UPDATE tree_heads SET root_hash = ${rewrittenRoot}, checkpoint = NULL WHERE tree_size = 5`;
    const res = await monitor();
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toMatch(/fork: two different roots signed for size 5/);
    expect(await keptSize()).toBe(5);
  });

  it('catches a log that grew over the rewritten entry: no consistency proof from the kept checkpoint', async () => {
    await append(1);
    const res = await monitor();
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toMatch(/consistency proof from size 5, .* to size 6, .* does not verify/);
    expect(await keptSize()).toBe(5);
  });
});
