import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { expectProblem } from '../helpers/problem.js';
import { createDb, type Db } from '../../src/lib/database.js';
import { canonicalBytes } from '../../src/lib/crypto/canonical-json.js';
import type { DsseEnvelope } from '../../src/lib/crypto/dsse.js';
import { leafHash, merkleRoot, verifyConsistency, verifyTreeHead, type TreeHead } from '../../src/lib/crypto/merkle.js';
import { verifyLogInclusion, type LogInclusionProof } from '../../src/lib/crypto/log-inclusion.js';
import { generateSigningKeyPem, keyResolverFromJwks, signingKeyFromPem, type Jwks, type KeyResolver } from '../../src/lib/crypto/signing-keys.js';
import { appendLogEntry, publishTreeHead } from '../../src/services/transparency/transparency-log.js';

interface SignedHead {
  treeHead: TreeHead;
  envelope: DsseEnvelope;
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
let resolveKey: KeyResolver;
/** Every tree size this file published, in order. */
const publishedSizes: number[] = [];

beforeAll(async () => {
  t = await startTestApi();
  const jwks = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  resolveKey = keyResolverFromJwks(jwks.json() as Jwks);
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

function verifiedRoot(envelope: DsseEnvelope, size: number): Buffer {
  const verified = verifyTreeHead(envelope, resolveKey);
  if (!verified.ok) throw new Error(`tree head of size ${size} does not verify: ${verified.reason}`);
  expect(verified.treeHead.treeSize).toBe(size);
  return Buffer.from(verified.treeHead.rootHash, 'base64');
}

describe('appending', () => {
  it('publishes a signed head of the empty log', async () => {
    const head = await publishViaApi();
    expect(head.treeHead.treeSize).toBe(0);
    expect(verifiedRoot(head.envelope, 0).equals(merkleRoot([]))).toBe(true);
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
    const again = await publishTreeHead(t.deps.db, t.deps.signer);
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
        const result = verifyLogInclusion(proof, head.envelope, resolveKey);
        expect(result, `index ${index} in tree ${size}`).toEqual({ ok: true, treeHead: head.treeHead });
      }
    }
  });

  it('refuses a proof for the wrong entry, the wrong size or an unknown key', async () => {
    const proof = await get<InclusionAnswer>('/v1/transparency/proofs/inclusion?index=5&treeSize=24');
    const other = await get<InclusionAnswer>('/v1/transparency/proofs/inclusion?index=6&treeSize=24');
    const head32 = await get<SignedHead>('/v1/transparency/tree-heads/32');
    expect(verifyLogInclusion({ ...proof, leaf: other.leaf }, proof.envelope, resolveKey)).toEqual({ ok: false, reason: 'not_included' });
    expect(verifyLogInclusion({ ...proof, index: 6 }, proof.envelope, resolveKey)).toEqual({ ok: false, reason: 'not_included' });
    expect(verifyLogInclusion(proof, head32.envelope, resolveKey)).toEqual({ ok: false, reason: 'tree_size_mismatch' });
    expect(verifyLogInclusion({ ...proof, hashes: ['not base64!'] }, proof.envelope, resolveKey)).toEqual({ ok: false, reason: 'malformed_proof' });
    const stranger = signingKeyFromPem(generateSigningKeyPem());
    expect(verifyLogInclusion(proof, proof.envelope, (kid) => (kid === stranger.keyId ? stranger.publicKey : undefined))).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
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
        const ok = verifyConsistency(fromSize, toSize, verifiedRoot(fromHead.envelope, fromSize), verifiedRoot(toHead.envelope, toSize), proof);
        expect(ok, `${fromSize} -> ${toSize}`).toBe(true);
      }
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
    const signedRoot = verifiedRoot(signed.envelope, signedSize);
    const before = await get<InclusionAnswer>(`/v1/transparency/proofs/inclusion?index=7&treeSize=${signedSize}`);
    expect(verifyLogInclusion(before, signed.envelope, resolveKey).ok).toBe(true);

    // A malicious admin with DB rights: drop the guard, swap the certificate id in entry 7, fix up its hash.
    await t.deps.db.$executeRawUnsafe('DROP TRIGGER transparency_log_entries_append_only ON transparency_log_entries');
    const original = JSON.parse(Buffer.from(before.leaf, 'base64').toString('utf8')) as Record<string, unknown>;
    const forged = canonicalBytes({ ...original, certificateId: randomUUID() });
    await t.deps.db.$executeRaw`UPDATE transparency_log_entries SET leaf = ${forged}, leaf_hash = ${leafHash(forged).toString('hex')} WHERE index = 7`;

    // (a) Neither the old audit path nor a freshly computed one ties the forged leaf to the signed root.
    const forgedLeaf = forged.toString('base64');
    expect(verifyLogInclusion({ ...before, leaf: forgedLeaf }, signed.envelope, resolveKey)).toEqual({ ok: false, reason: 'not_included' });
    const after = await get<InclusionAnswer>(`/v1/transparency/proofs/inclusion?index=7&treeSize=${signedSize}`);
    expect(after.leaf).toBe(forgedLeaf);
    expect(verifyLogInclusion(after, signed.envelope, resolveKey)).toEqual({ ok: false, reason: 'not_included' });

    // (b) The log's next head cannot be shown to extend the one it signed before.
    await append(t.deps.db);
    const next = await publishViaApi();
    expect(next.treeHead.treeSize).toBe(signedSize + 1);
    const consistency = await get<ConsistencyAnswer>(`/v1/transparency/proofs/consistency?from=${signedSize}&to=${signedSize + 1}`);
    const proof = consistency.hashes.map((h) => Buffer.from(h, 'base64'));
    expect(verifyConsistency(signedSize, signedSize + 1, signedRoot, verifiedRoot(next.envelope, signedSize + 1), proof)).toBe(false);
    // A monitor replaying the stored entries gets a different root for the size that was signed.
    const { entries } = await get<EntriesAnswer>(`/v1/transparency/entries?start=0&limit=${signedSize}`);
    expect(merkleRoot(entries.map((e) => Buffer.from(e.leaf, 'base64'))).equals(signedRoot)).toBe(false);
  });
});
