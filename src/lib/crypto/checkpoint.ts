// Transparency-log tree heads as C2SP checkpoints (c2sp.org/tlog-checkpoint): the signed note text is
// the log's origin, its tree size and its base64 RFC 6962 root, one per line. The log key's name is the
// origin, so a checkpoint verifies only under the key pinned for that one log. Never throws on input.
import { openNote, signNote, type NoteFailure, type NoteSigner, type NoteVerifierKey } from './signed-note.js';

export interface Checkpoint {
  origin: string;
  treeSize: number;
  /** Standard base64 of the 32-byte root hash. */
  rootHash: string;
}

export type CheckpointFailure =
  | NoteFailure
  /** Signed by the trusted key, but not three lines of origin, size and root hash. */
  | 'malformed_checkpoint'
  /** A checkpoint of another log than the trusted key's. */
  | 'wrong_origin';

export type CheckpointVerification = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: CheckpointFailure };

export function checkpointText(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.treeSize}\n${checkpoint.rootHash}\n`;
}

export function signCheckpoint(checkpoint: Omit<Checkpoint, 'origin'>, signer: NoteSigner): string {
  return signNote(checkpointText({ origin: signer.name, ...checkpoint }), signer);
}

/** The body of a checkpoint note; no extension lines are accepted (this log writes none). */
export function parseCheckpointText(text: string): Checkpoint | undefined {
  const match = /^([^\n]+)\n(0|[1-9][0-9]{0,15})\n([A-Za-z0-9+/]{43}=)\n$/.exec(text);
  if (!match) return undefined;
  const treeSize = Number(match[2]);
  const root = Buffer.from(match[3]!, 'base64');
  if (!Number.isSafeInteger(treeSize) || root.length !== 32 || root.toString('base64') !== match[3]) return undefined;
  return { origin: match[1]!, treeSize, rootHash: match[3] };
}

/** Verifies the log key's signature and that the origin line names that key's log. */
export function verifyCheckpoint(note: unknown, logKey: NoteVerifierKey): CheckpointVerification {
  const opened = openNote(note, logKey);
  if (!opened.ok) return opened;
  const checkpoint = parseCheckpointText(opened.text);
  if (!checkpoint) return { ok: false, reason: 'malformed_checkpoint' };
  if (checkpoint.origin !== logKey.name) return { ok: false, reason: 'wrong_origin' };
  return { ok: true, checkpoint };
}
