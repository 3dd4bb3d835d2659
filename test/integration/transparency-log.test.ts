import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { expectProblem } from '../helpers/problem.js';
import { createDb, type Db } from '../../src/lib/database.js';
import { canonicalBytes } from '../../src/lib/crypto/canonical-json.js';
import { leafHash, merkleRoot, verifyConsistency } from '../../src/lib/crypto/merkle.js';
import { verifyCheckpoint, type Checkpoint } from '../../src/lib/crypto/checkpoint.js';
import { verifyLogInclusion, type LogInclusionProof } from '../../src/lib/crypto/log-inclusion.js';
import { noteSignerFrom, parseVerifierKey, type NoteVerifierKey } from '../../src/lib/crypto/signed-note.js';
import { generateSigningKeyPem, signingKeyFromPem } from '../../src/lib/crypto/signing-keys.js';
import { appendLogEntry, publishTreeHead } from '../../src/services/transparency/transparency-log.js';
import { loadServiceLogKey } from '../../src/services/signing/service-key.js';

interface SignedHead {
  treeHead: Checkpoint;
  checkpoint: string;
  publishedAt: string;
}
interface InclusionAnswer extends LogInclusionProof, SignedHead {}
interface ConsistencyAnswer {
  fromSize: number;
  toSize: number;
  hashes: string[];
  from: SignedHead;
  to: SignedHead;
}
interface EntriesAnswer {
  logSize: number;
  entries: Array<{ index: number; kind: string; certificateId: string; leaf: string; decoded: unknown; leafHash: string }>;
}

let t: TestApi;
let logKey: NoteVerifierKey;
/** Every tree size this file published, in order. */
const publishedSizes: number[] = [];

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  logKey = parseVerifierKey((await get<{ vkey: string }>('/v1/transparency/log-key')).vkey);
});

// No authorization header anywhere: the log is public.
async function get<T>(url: string): Promise<T> {
  const res = await t.app.inject({ method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
}

const append = (db: Db, kind: 'certificate.issued' | 'certificate.revoked' = 'certificate.issued') =>
  db.$transaction((tx) => appendLogEntry(tx, { kind, certificateId: randomUUID(), entry: { profile: 'npb-basic@1', note: kind } }));

async function publishViaApi(): Promise<SignedHead> {
  const head = await get<SignedHead>('/v1/transparency/tree-head');
  publishedSizes.push(head.treeHead.treeSize);
  return head;
}

function verifiedRoot(checkpoint: string, size: number): Buffer {
  const verified = verifyCheckpoint(checkpoint, logKey);
  if (!verified.ok) throw new Error(`checkpoint of size ${size} does not verify: ${verified.reason}`);
  expect(verified.checkpoint.treeSize).toBe(size);
  return Buffer.from(verified.checkpoint.rootHash, 'base64');
}

describe('appending', () => {
  it('publishes a signed head of the empty log', async () => {
    const head = await publishViaApi();
    expect(head.treeHead.treeSize).toBe(0);
    expect(verifiedRoot(head.checkpoint, 0).equals(merkleRoot([]))).toBe(true);
  });

  it('gives 20 concurrent transactions the contiguous indexes 0..19', async () => {
    // A pool as large as the burst, so all 20 transactions really are open at once.
    const db = createDb(t.databaseUrl, 20);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => append(db)));
      expect(results.map((r) => r.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await db.$disconnect();
    }
    const rows = await t.deps.db.transparencyLogEntry.findMany({ orderBy: { index: 'asc' } });
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const row of rows) expect(row.leafHash).toBe(leafHash(row.leaf).toString('hex'));
  });

  it('stores a leaf as the canonical JSON of kind, certificate id, entry and time', async () => {
    const { entries } = await get<EntriesAnswer>('/v1/transparency/entries?start=0&limit=20');
    expect(entries).toHaveLength(20);
    for (const entry of entries) {
      const decoded = entry.decoded as { kind: string; certificateId: string; entry: unknown; loggedAt: string };
      expect(decoded).toMatchObject({ kind: entry.kind, certificateId: entry.certificateId, entry: { profile: 'npb-basic@1' } });
      expect(Buffer.from(entry.leaf, 'base64').equals(canonicalBytes(decoded))).toBe(true);
      expect(new Date(decoded.loggedAt).toISOString()).toBe(decoded.loggedAt);
    }
  });

  it('rolls back an append with its transaction and reuses the index', async () => {
    await expect(
      t.deps.db.$transaction(async (tx) => {
        await appendLogEntry(tx, { kind: 'certificate.issued', certificateId: randomUUID(), entry: {} });
        throw new Error('certificate insert failed');
      }),
    ).rejects.toThrow('certificate insert failed');
    expect(await t.deps.db.transparencyLogEntry.count()).toBe(20);
  });

  it('publishes heads as the log grows, one per size', async () => {
    await publishViaApi();
    for (const batch of [1, 3, 8, 4]) {
      for (let i = 0; i < batch; i++) await append(t.deps.db, i % 2 === 0 ? 'certificate.issued' : 'certificate.revoked');
      await publishViaApi();
    }
    expect(publishedSizes).toEqual([0, 20, 21, 24, 32, 36]);
    // Publishing again without growth hands back the stored head, not a fresh signature.
    const again = await publishTreeHead(t.deps.db, t.deps.logSigner);
    const stored = await get<SignedHead>('/v1/transparency/tree-heads/36');
    expect(again).toEqual(stored);
    expect(await t.deps.db.treeHead.count()).toBe(publishedSizes.length);
  });
});

describe('proofs', () => {
  it('every inclusion proof verifies offline against its signed tree head', async () => {
    for (const size of publishedSizes.filter((s) => s > 0)) {
      const head = await get<SignedHead>(`/v1/transparency/tree-heads/${size}`);
      for (let index = 0; index < size; index++) {
        const proof = await get<InclusionAnswer>(`/v1/transparency/proofs/inclusion?index=${index}&treeSize=${size}`);
        const result = verifyLogInclusion(proof, head.checkpoint, logKey);
        expect(result, `index ${index} in tree ${size}`).toEqual({ ok: true, checkpoint: head.treeHead });
      }
    }
  });

  it('refuses a proof for the wrong entry, the wrong size or an unknown key', async () => {
    const proof = await get<InclusionAnswer>('/v1/transparency/proofs/inclusion?index=5&treeSize=24');
    const other = await get<InclusionAnswer>('/v1/transparency/proofs/inclusion?index=6&treeSize=24');
    const head32 = await get<SignedHead>('/v1/transparency/tree-heads/32');
    expect(verifyLogInclusion({ ...proof, leaf: other.leaf }, proof.checkpoint, logKey)).toEqual({ ok: false, reason: 'not_included' });
    expect(verifyLogInclusion({ ...proof, index: 6 }, proof.checkpoint, logKey)).toEqual({ ok: false, reason: 'not_included' });
    expect(verifyLogInclusion(proof, head32.checkpoint, logKey)).toEqual({ ok: false, reason: 'tree_size_mismatch' });
    expect(verifyLogInclusion({ ...proof, hashes: ['not base64!'] }, proof.checkpoint, logKey)).toEqual({ ok: false, reason: 'malformed_proof' });
    // Another key under the same log name, and the report key: neither is the log key.
    const stranger = parseVerifierKey(noteSignerFrom(logKey.name, signingKeyFromPem(generateSigningKeyPem())).vkey);
    expect(verifyLogInclusion(proof, proof.checkpoint, stranger)).toEqual({ ok: false, reason: 'unknown_key' });
    const reportKey = parseVerifierKey(noteSignerFrom(logKey.name, t.deps.signer).vkey);
    expect(verifyLogInclusion(proof, proof.checkpoint, reportKey)).toEqual({ ok: false, reason: 'unknown_key' });
  });

  it('every pair of published heads is consistent', async () => {
    for (const [i, fromSize] of publishedSizes.entries()) {
      for (const toSize of publishedSizes.slice(i)) {
        const answer = await get<ConsistencyAnswer>(`/v1/transparency/proofs/consistency?from=${fromSize}&to=${toSize}`);
        const [fromHead, toHead] = await Promise.all([
          get<SignedHead>(`/v1/transparency/tree-heads/${fromSize}`),
          get<SignedHead>(`/v1/transparency/tree-heads/${toSize}`),
        ]);
        const proof = answer.hashes.map((h) => Buffer.from(h, 'base64'));
        const ok = verifyConsistency(fromSize, toSize, verifiedRoot(fromHead.checkpoint, fromSize), verifiedRoot(toHead.checkpoint, toSize), proof);
        expect(ok, `${fromSize} -> ${toSize}`).toBe(true);
      }
    }
  });
});

describe('checkpoints and the log key', () => {
  it('publishes the log key as a vkey named by the origin, a key of its own and not the report key', async () => {
    const answer = await get<{ origin: string; vkey: string }>('/v1/transparency/log-key');
    expect(answer.origin).toBe(t.deps.config.logOrigin);
    expect(answer.vkey.startsWith(`${answer.origin}+`)).toBe(true);
    const reportKey = Buffer.from(t.deps.signer.publicJwk.x, 'base64url');
    expect(Buffer.from(answer.vkey.split('+').slice(2).join('+'), 'base64').subarray(1).equals(reportKey)).toBe(false);
  });

  it('serves the latest checkpoint as text/plain, the same note as the tree head', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/transparency/checkpoint' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const head = await get<SignedHead>('/v1/transparency/tree-head');
    expect(res.body).toBe(head.checkpoint);
    expect(res.body.split('\n').slice(0, 3)).toEqual([logKey.name, String(head.treeHead.treeSize), head.treeHead.rootHash]);
  });

  it('a stored root without a checkpoint (rows from before checkpoints) is signed as stored, not recomputed', async () => {
    const stored = await t.deps.db.treeHead.findUniqueOrThrow({ where: { treeSize: 21 } });
    await t.deps.db.$executeRaw`UPDATE tree_heads SET checkpoint = NULL WHERE tree_size = 21`;
    const head = await get<SignedHead>('/v1/transparency/tree-heads/21');
    expect(verifyCheckpoint(head.checkpoint, logKey)).toEqual({ ok: true, checkpoint: { origin: logKey.name, treeSize: 21, rootHash: stored.rootHash } });
    expect((await t.deps.db.treeHead.findUniqueOrThrow({ where: { treeSize: 21 } })).checkpoint).toBe(head.checkpoint);
  });

  it('an outside verifier (Python, from the specs) accepts the live checkpoint and an inclusion proof under it', async () => {
    const script = fileURLToPath(new URL('../helpers/independent_checkpoint_check.py', import.meta.url));
    for (const index of [0, 17, 35]) {
      // Asynchronously: the API answering it runs in this process.
      const { stdout } = await promisify(execFile)('/usr/bin/python3', [script, t.url, String(index)], { encoding: 'utf8' });
      const out = JSON.parse(stdout) as Record<string, unknown>;
      expect(out).toMatchObject({ ok: true, origin: logKey.name, treeSize: 36, index });
    }
  });
});

describe('bad requests answer with problem+json', () => {
  const problem = async (url: string, status: number, code: string) => expectProblem(await t.app.inject({ method: 'GET', url }), status, code);

  it('tree heads', async () => {
    await problem('/v1/transparency/tree-heads/25', 404, 'transparency.tree_head_not_found');
    await problem('/v1/transparency/tree-heads/-1', 400, 'validation.failed');
    await problem('/v1/transparency/tree-heads/abc', 400, 'validation.failed');
  });

  it('entries', async () => {
    await problem('/v1/transparency/entries?start=37', 400, 'transparency.bad_range');
    await problem('/v1/transparency/entries?limit=0', 400, 'validation.failed');
    await problem('/v1/transparency/entries?limit=100000', 400, 'validation.failed');
    await problem('/v1/transparency/entries?start=0&cursor=x', 400, 'validation.failed');
    // Reading up to the end is not an error: a monitor polls from the size it has seen.
    expect(await get<EntriesAnswer>('/v1/transparency/entries?start=36')).toEqual({ logSize: 36, entries: [] });
  });

  it('inclusion proofs', async () => {
    await problem('/v1/transparency/proofs/inclusion?index=36&treeSize=36', 404, 'transparency.entry_not_found');
    await problem('/v1/transparency/proofs/inclusion?index=30&treeSize=24', 400, 'transparency.bad_range');
    await problem('/v1/transparency/proofs/inclusion?index=0&treeSize=25', 404, 'transparency.tree_head_not_found');
    await problem('/v1/transparency/proofs/inclusion?index=0', 400, 'validation.failed');
    await problem('/v1/transparency/proofs/inclusion?index=0&treeSize=99999999999', 400, 'validation.failed');
  });

  it('consistency proofs', async () => {
    await problem('/v1/transparency/proofs/consistency?from=24&to=20', 400, 'transparency.bad_range');
    await problem('/v1/transparency/proofs/consistency?from=20&to=25', 404, 'transparency.tree_head_not_found');
    await problem('/v1/transparency/proofs/consistency?from=1.5&to=20', 400, 'validation.failed');
  });
});

describe('tamper evidence', () => {
  it('the database refuses UPDATE and DELETE of log entries', async () => {
    await expect(t.deps.db.$executeRaw`UPDATE transparency_log_entries SET kind = 'certificate.revoked' WHERE index = 3`).rejects.toThrow(/append-only/);
    await expect(t.deps.db.$executeRaw`DELETE FROM transparency_log_entries WHERE index = 35`).rejects.toThrow(/append-only/);
    await expect(t.deps.db.transparencyLogEntry.delete({ where: { index: 0 } })).rejects.toThrow(/append-only/);
    expect(await t.deps.db.transparencyLogEntry.count()).toBe(36);
  });

  it('a leaf rewritten behind the trigger no longer matches the signed tree heads', async () => {
    const signedSize = 36;
    const signed = await get<SignedHead>(`/v1/transparency/tree-heads/${signedSize}`);
    const signedRoot = verifiedRoot(signed.checkpoint, signedSize);
    const before = await get<InclusionAnswer>(`/v1/transparency/proofs/inclusion?index=7&treeSize=${signedSize}`);
    expect(verifyLogInclusion(before, signed.checkpoint, logKey).ok).toBe(true);

    // A malicious admin with DB rights: drop the guard, swap the certificate id in entry 7, fix up its hash.
    await t.deps.db.$executeRawUnsafe('DROP TRIGGER transparency_log_entries_append_only ON transparency_log_entries');
    const original = JSON.parse(Buffer.from(before.leaf, 'base64').toString('utf8')) as Record<string, unknown>;
    const forged = canonicalBytes({ ...original, certificateId: randomUUID() });
    await t.deps.db.$executeRaw`UPDATE transparency_log_entries SET leaf = ${forged}, leaf_hash = ${leafHash(forged).toString('hex')} WHERE index = 7`;

    // (a) Neither the old audit path nor a freshly computed one ties the forged leaf to the signed root.
    const forgedLeaf = forged.toString('base64');
    expect(verifyLogInclusion({ ...before, leaf: forgedLeaf }, signed.checkpoint, logKey)).toEqual({ ok: false, reason: 'not_included' });
    const after = await get<InclusionAnswer>(`/v1/transparency/proofs/inclusion?index=7&treeSize=${signedSize}`);
    expect(after.leaf).toBe(forgedLeaf);
    expect(verifyLogInclusion(after, signed.checkpoint, logKey)).toEqual({ ok: false, reason: 'not_included' });

    // (b) The log's next head cannot be shown to extend the one it signed before.
    await append(t.deps.db);
    const next = await publishViaApi();
    expect(next.treeHead.treeSize).toBe(signedSize + 1);
    const consistency = await get<ConsistencyAnswer>(`/v1/transparency/proofs/consistency?from=${signedSize}&to=${signedSize + 1}`);
    const proof = consistency.hashes.map((h) => Buffer.from(h, 'base64'));
    expect(verifyConsistency(signedSize, signedSize + 1, signedRoot, verifiedRoot(next.checkpoint, signedSize + 1), proof)).toBe(false);
    // A monitor replaying the stored entries gets a different root for the size that was signed.
    const { entries } = await get<EntriesAnswer>(`/v1/transparency/entries?start=0&limit=${signedSize}`);
    expect(merkleRoot(entries.map((e) => Buffer.from(e.leaf, 'base64'))).equals(signedRoot)).toBe(false);
  });
});

describe('the log key', () => {
  it('is refused at boot when it is a report key, even one rotated out; a key of its own is named by the origin', async () => {
    const pem = generateSigningKeyPem();
    const reportKey = signingKeyFromPem(pem);
    // A report key retired by an earlier rotation: its row is all that is left of it.
    const now = new Date();
    await t.deps.db.signingKey.create({ data: { kid: reportKey.keyId, publicJwk: { ...reportKey.publicJwk }, status: 'retired', notBefore: new Date(now.getTime() - 60_000), retiredAt: now } });
    const withLogKey = (key: string) => ({ ...t.deps.config, env: { ...t.deps.config.env, NPUBENCH_LOG_KEY: key, NPUBENCH_LOG_KEY_FILE: undefined } });
    await expect(loadServiceLogKey(withLogKey(pem), t.deps.log, t.deps.db)).rejects.toThrow(/the log key \(NPUBENCH_LOG_KEY_FILE\) is the signing key/);
    const own = generateSigningKeyPem();
    const signer = await loadServiceLogKey(withLogKey(own), t.deps.log, t.deps.db);
    expect(signer.name).toBe(t.deps.config.logOrigin);
    expect(signer.vkey).toBe(noteSignerFrom(t.deps.config.logOrigin, signingKeyFromPem(own)).vkey);
  });
});
