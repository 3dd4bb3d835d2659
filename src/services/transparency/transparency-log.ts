// The append-only transparency log of certificate issuances and revocations (RFC 6962 Merkle tree).
// Entries are written inside the caller's transaction so a certificate and its log entry commit together;
// checkpoints (c2sp.org/tlog-checkpoint, signed by the log key) commit to every prefix that was published,
// so a later rewrite of a stored leaf (by anyone who can bypass the append-only trigger) no longer matches
// what was signed, and a monitor holding an earlier checkpoint sees it.
import type { Prisma } from '@prisma/client';
import { AppError, badRequest, notFound } from '../../lib/errors.js';
import { canonicalBytes, parseCanonicalJson } from '../../lib/crypto/canonical-json.js';
import { consistencyProof, inclusionProof, leafHash, merkleRoot } from '../../lib/crypto/merkle.js';
import { signCheckpoint, verifyCheckpoint, type Checkpoint } from '../../lib/crypto/checkpoint.js';
import type { NoteSigner } from '../../lib/crypto/signed-note.js';

export type LogEntryKind = 'certificate.issued' | 'certificate.revoked';

export interface LogEntryInput {
  kind: LogEntryKind;
  certificateId: string;
  entry: Record<string, unknown>;
}

export interface SignedTreeHead {
  /** What the checkpoint says, parsed (the checkpoint is what a verifier checks). */
  treeHead: Checkpoint;
  /** The signed note: origin, size, root hash, then the log key's signature line. */
  checkpoint: string;
  /** When this size was first published (unsigned; checkpoints carry no time). */
  publishedAt: string;
}

/** Everything but appends works on the client or inside a caller's transaction. */
type LogClient = Prisma.TransactionClient;

// pg_advisory_xact_lock key for appends ("tlog"); distinct from the migration lock.
const APPEND_LOCK_KEY = 0x746c6f67;

/**
 * Appends one entry at the next index. The advisory lock is held until the caller's transaction ends, so
 * concurrent appends queue up and indexes stay contiguous; a rolled-back append frees its index. Needs READ
 * COMMITTED (Prisma's default): each statement after the lock then sees the entries committed before it.
 */
export async function appendLogEntry(tx: Prisma.TransactionClient, input: LogEntryInput): Promise<{ index: number; leafHash: string }> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY})`;
  const index = await logSize(tx);
  const loggedAt = new Date();
  const leaf = canonicalBytes({ kind: input.kind, certificateId: input.certificateId, entry: input.entry, loggedAt: loggedAt.toISOString() });
  const hash = leafHash(leaf).toString('hex');
  await tx.transparencyLogEntry.create({
    // Prisma types Bytes as Uint8Array<ArrayBuffer>; a Buffer's backing store is typed ArrayBufferLike.
    data: { index, kind: input.kind, certificateId: input.certificateId, leaf: new Uint8Array(leaf), leafHash: hash, createdAt: loggedAt },
  });
  return { index, leafHash: hash };
}

/**
 * Signs a checkpoint over every committed leaf, unless a head of that size is already stored: then the
 * stored one is returned, so each size has exactly one root (concurrent publishers included).
 */
export async function publishTreeHead(db: LogClient, signer: NoteSigner): Promise<SignedTreeHead> {
  // Cheap path for the common case (nothing appended since the last head): no leaves are read.
  const published = await findTreeHead(db, signer, await logSize(db));
  if (published) return published;

  const leaves = await readLeaves(db);
  const head = { treeSize: leaves.length, rootHash: merkleRoot(leaves).toString('base64') };
  await db.treeHead.createMany({ data: [{ ...head, checkpoint: signCheckpoint(head, signer) }], skipDuplicates: true });
  return requireTreeHead(db, signer, head.treeSize);
}

/**
 * The stored head of a size. A head stored without a checkpoint by this log key (one from before
 * checkpoints, or from before the log key or origin changed) is signed now over its stored root: the
 * root is what was committed to then, and is never recomputed from the leaves, which may have changed.
 */
export async function findTreeHead(db: LogClient, signer: NoteSigner, treeSize: number): Promise<SignedTreeHead | undefined> {
  const row = await db.treeHead.findUnique({ where: { treeSize } });
  if (!row) return undefined;
  let checkpoint = row.checkpoint;
  let verified = checkpoint === null ? undefined : verifyCheckpoint(checkpoint, signer);
  if (!verified?.ok || verified.checkpoint.treeSize !== row.treeSize || verified.checkpoint.rootHash !== row.rootHash) {
    checkpoint = signCheckpoint({ treeSize: row.treeSize, rootHash: row.rootHash }, signer);
    await db.treeHead.update({ where: { treeSize }, data: { checkpoint } });
    verified = verifyCheckpoint(checkpoint, signer);
  }
  if (!verified.ok) throw new Error(`the log key cannot verify its own checkpoint: ${verified.reason}`);
  return { treeHead: verified.checkpoint, checkpoint: checkpoint!, publishedAt: row.createdAt.toISOString() };
}

export async function requireTreeHead(db: LogClient, signer: NoteSigner, treeSize: number): Promise<SignedTreeHead> {
  const head = await findTreeHead(db, signer, treeSize);
  if (!head) throw notFound('transparency.tree_head_not_found', `No tree head of size ${treeSize} has been published.`);
  return head;
}

export interface LogEntryView {
  index: number;
  kind: string;
  certificateId: string;
  /** Standard base64 of the leaf bytes that were hashed. */
  leaf: string;
  /** The leaf parsed as JSON; null if the stored bytes are not canonical JSON (which only tampering causes). */
  decoded: unknown;
  /** Lowercase hex RFC 6962 leaf hash. */
  leafHash: string;
}

export async function listLogEntries(db: LogClient, start: number, limit: number): Promise<{ logSize: number; entries: LogEntryView[] }> {
  const size = await logSize(db);
  if (start > size) throw badRequest('transparency.bad_range', `start ${start} is past the end of the log (size ${size}).`);
  const rows = await db.transparencyLogEntry.findMany({ where: { index: { gte: start } }, orderBy: { index: 'asc' }, take: limit });
  return {
    logSize: size,
    entries: rows.map((row) => ({
      index: row.index,
      kind: row.kind,
      certificateId: row.certificateId,
      leaf: Buffer.from(row.leaf).toString('base64'),
      decoded: parseCanonicalJson(row.leaf) ?? null,
      leafHash: row.leafHash,
    })),
  };
}

export interface InclusionProofView extends SignedTreeHead {
  index: number;
  treeSize: number;
  leaf: string;
  hashes: string[];
}

/** The audit path for entry `index` in the published tree of `treeSize` leaves, with that tree's checkpoint. */
export async function inclusionProofFor(db: LogClient, signer: NoteSigner, index: number, treeSize: number): Promise<InclusionProofView> {
  const size = await logSize(db);
  if (index >= size) throw notFound('transparency.entry_not_found', `No log entry ${index}: the log has ${size} entries.`);
  if (index >= treeSize) throw badRequest('transparency.bad_range', `Entry ${index} is not in a tree of ${treeSize} entries.`);
  const head = await requireTreeHead(db, signer, treeSize);
  const leaves = await readLeaves(db, treeSize);
  return { index, treeSize, leaf: Buffer.from(leaves[index]!).toString('base64'), hashes: toBase64(inclusionProof(leaves, index)), ...head };
}

export interface ConsistencyProofView {
  fromSize: number;
  toSize: number;
  hashes: string[];
  from: SignedTreeHead;
  to: SignedTreeHead;
}

/** RFC 6962 consistency proof that the published tree of `fromSize` is a prefix of the one of `toSize`. */
export async function consistencyProofBetween(db: LogClient, signer: NoteSigner, fromSize: number, toSize: number): Promise<ConsistencyProofView> {
  if (fromSize > toSize) throw badRequest('transparency.bad_range', `from (${fromSize}) must not exceed to (${toSize}).`);
  const [from, to] = await Promise.all([requireTreeHead(db, signer, fromSize), requireTreeHead(db, signer, toSize)]);
  const leaves = await readLeaves(db, toSize);
  return { fromSize, toSize, hashes: toBase64(consistencyProof(leaves, fromSize)), from, to };
}

/** Entries are contiguous from 0, so the size is the highest index + 1 (an index scan, not a count). */
async function logSize(db: LogClient): Promise<number> {
  const last = await db.transparencyLogEntry.findFirst({ orderBy: { index: 'desc' }, select: { index: true } });
  return last ? last.index + 1 : 0;
}

/** The first `treeSize` leaves, or all of them. */
async function readLeaves(db: LogClient, treeSize?: number): Promise<Uint8Array[]> {
  const rows = await db.transparencyLogEntry.findMany({
    where: treeSize === undefined ? {} : { index: { lt: treeSize } },
    orderBy: { index: 'asc' },
    select: { index: true, leaf: true },
  });
  // Missing rows mean deletions behind the trigger's back; proofs over what remains would be for another tree.
  if (rows.some((row, position) => row.index !== position) || (treeSize !== undefined && rows.length !== treeSize)) {
    throw new AppError('transparency.log_corrupt', 'Transparency log entries are missing; the log was modified outside the service.');
  }
  return rows.map((row) => row.leaf);
}

const toBase64 = (hashes: readonly Buffer[]) => hashes.map((hash) => hash.toString('base64'));
