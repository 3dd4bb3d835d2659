// Offline check that a transparency log entry is in a signed tree head: the proof bundle a certificate
// ships with (or that GET /v1/transparency/proofs/inclusion returns) plus the log's public keys are enough.
// Pure and DB-free so `npubench verify` can use it; never throws, since every input may be hostile.
import type { DsseEnvelope, DsseFailureReason } from './dsse.js';
import { leafHash, verifyInclusion, verifyTreeHead, type TreeHead } from './merkle.js';
import type { KeyResolver } from './signing-keys.js';

export interface LogInclusionProof {
  /** Standard base64 of the logged leaf bytes (the entry itself, not its hash). */
  leaf: string;
  index: number;
  treeSize: number;
  /** Standard base64 of each sibling hash, leaf to root (RFC 6962 §2.1.1). */
  hashes: string[];
}

export type LogInclusionFailure =
  | DsseFailureReason
  /** The proof is for a tree of another size than the signed head. */
  | 'tree_size_mismatch'
  /** Leaf or hashes are not canonical base64, or a hash is not 32 bytes. */
  | 'malformed_proof'
  /** The proof does not lead from the leaf to the signed root. */
  | 'not_included';

export type LogInclusionVerification = { ok: true; treeHead: TreeHead } | { ok: false; reason: LogInclusionFailure };

export function verifyLogInclusion(proof: LogInclusionProof, signedTreeHead: DsseEnvelope, resolveKey: KeyResolver): LogInclusionVerification {
  const head = verifyTreeHead(signedTreeHead, resolveKey);
  if (!head.ok) return head;
  const { treeHead } = head;
  if (!isRecord(proof) || proof.treeSize !== treeHead.treeSize) return { ok: false, reason: 'tree_size_mismatch' };

  const leaf = decodeBase64(proof.leaf);
  const hashes = Array.isArray(proof.hashes) ? proof.hashes.map(decodeBase64) : [undefined];
  if (!leaf || !hashes.every((h): h is Buffer => h?.length === 32)) return { ok: false, reason: 'malformed_proof' };

  const root = Buffer.from(treeHead.rootHash, 'base64');
  return verifyInclusion(leafHash(leaf), proof.index, treeHead.treeSize, hashes, root) ? { ok: true, treeHead } : { ok: false, reason: 'not_included' };
}

/** Only the canonical standard-base64 spelling: Buffer.from skips junk characters, which would let a
 *  garbled bundle pass as a different but valid one. */
function decodeBase64(text: unknown): Buffer | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
