// Offline check that a transparency log entry is in a signed checkpoint: the proof bundle a certificate
// ships with (or that GET /v1/transparency/proofs/inclusion returns) plus the log's pinned note key are
// enough. Pure and DB-free so `npubench verify` can use it; never throws, since every input may be hostile.
import { verifyCheckpoint, type Checkpoint, type CheckpointFailure } from './checkpoint.js';
import { leafHash, verifyInclusion } from './merkle.js';
import type { NoteVerifierKey } from './signed-note.js';

export interface LogInclusionProof {
  /** Standard base64 of the logged leaf bytes (the entry itself, not its hash). */
  leaf: string;
  index: number;
  treeSize: number;
  /** Standard base64 of each sibling hash, leaf to root (RFC 6962 §2.1.1). */
  hashes: string[];
}

export type LogInclusionFailure =
  | CheckpointFailure
  /** The proof is for a tree of another size than the checkpoint. */
  | 'tree_size_mismatch'
  /** Leaf or hashes are not canonical base64, or a hash is not 32 bytes. */
  | 'malformed_proof'
  /** The proof does not lead from the leaf to the signed root. */
  | 'not_included';

export type LogInclusionVerification = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: LogInclusionFailure };

export function verifyLogInclusion(proof: LogInclusionProof, checkpointNote: unknown, logKey: NoteVerifierKey): LogInclusionVerification {
  const head = verifyCheckpoint(checkpointNote, logKey);
  if (!head.ok) return head;
  const { checkpoint } = head;
  if (!isRecord(proof) || proof.treeSize !== checkpoint.treeSize) return { ok: false, reason: 'tree_size_mismatch' };

  const leaf = decodeBase64(proof.leaf);
  const hashes = Array.isArray(proof.hashes) ? proof.hashes.map(decodeBase64) : [undefined];
  if (!leaf || !hashes.every((h): h is Buffer => h?.length === 32)) return { ok: false, reason: 'malformed_proof' };

  const root = Buffer.from(checkpoint.rootHash, 'base64');
  return verifyInclusion(leafHash(leaf), proof.index, checkpoint.treeSize, hashes, root) ? { ok: true, checkpoint } : { ok: false, reason: 'not_included' };
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
