// C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures (type 0x01): the envelope of the
// transparency log's checkpoints, so Go's golang.org/x/mod/sumdb/note, transparency-dev monitors and
// witnesses read them as they are. Pure and DB-free; parsing never throws, since notes come from anyone.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { SigningKey } from './signing-keys.js';

const ED25519_TYPE = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';
/** The spec's floor for what a verifier must accept; more than that is refused as hostile. */
const MAX_SIGNATURES = 16;

/** A verifier key: what a user pins. `vkey` is its text form `<name>+<hex key id>+<base64(0x01 || key)>`. */
export interface NoteVerifierKey {
  name: string;
  /** The 4-byte key id, SHA-256(name || 0x0A || 0x01 || public key)[:4]. */
  keyId: Buffer;
  publicKey: KeyObject;
  vkey: string;
}

export interface NoteSigner extends NoteVerifierKey {
  privateKey: KeyObject;
}

export type NoteFailure =
  /** Not a signed note: no blank line before the signatures, a bad signature line, control characters. */
  | 'malformed'
  /** No signature by the trusted key (name and key id): another key signed it, or none did. */
  | 'unknown_key'
  /** The trusted key's signature does not verify over the text. */
  | 'bad_signature';

export type NoteVerification = { ok: true; text: string } | { ok: false; reason: NoteFailure };

/** Key names are non-empty and hold no Unicode space and no '+' (signed-note §Format). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !hasControlCharacter(name);
}

/** ASCII control characters other than newline, which signed notes must not hold. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
  }
  return false;
}

export function noteKeyId(name: string, rawPublicKey: Uint8Array): Buffer {
  return createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, ED25519_TYPE])).update(rawPublicKey).digest().subarray(0, 4);
}

function rawEd25519(publicKey: KeyObject): Buffer {
  return Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
}

function verifierKeyOf(name: string, publicKey: KeyObject): NoteVerifierKey {
  const raw = rawEd25519(publicKey);
  const keyId = noteKeyId(name, raw);
  return { name, keyId, publicKey, vkey: `${name}+${keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519_TYPE]), raw]).toString('base64')}` };
}

/** A note signer named `name` over an Ed25519 key (the log key, loaded like the report key). */
export function noteSignerFrom(name: string, key: Pick<SigningKey, 'privateKey' | 'publicKey'>): NoteSigner {
  if (!isValidKeyName(name)) throw new Error(`a note key name must be non-empty with no spaces or '+': ${JSON.stringify(name)}`);
  return { ...verifierKeyOf(name, key.publicKey), privateKey: key.privateKey };
}

/** Parses a vkey; throws with the reason, as it comes from a user's flag or trust store. */
export function parseVerifierKey(vkey: string): NoteVerifierKey {
  const text = vkey.trim();
  // The name holds no '+', the id is hex: the first two '+' are the separators (base64 may hold more).
  const match = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(text);
  if (!match) throw new Error('not a note verifier key (expected <name>+<8 hex digits>+<base64 key>)');
  const [, name, idHex, keyB64] = match as unknown as [string, string, string, string];
  if (!isValidKeyName(name)) throw new Error(`bad key name ${JSON.stringify(name)}`);
  const material = Buffer.from(keyB64, 'base64');
  if (material.toString('base64') !== keyB64 || material.length !== 33 || material[0] !== ED25519_TYPE) throw new Error('the key is not an Ed25519 (type 0x01) note key');
  const raw = material.subarray(1);
  if (!noteKeyId(name, raw).equals(Buffer.from(idHex, 'hex'))) throw new Error(`key id ${idHex} is not the hash of the name and key`);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  return { name, keyId: Buffer.from(idHex, 'hex'), publicKey, vkey: text };
}

/** `text` signed by `signer`: text (ending in a newline), a blank line, one signature line. */
export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith('\n') || hasControlCharacter(text)) throw new Error('note text must end in a newline and hold no control characters');
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${Buffer.concat([signer.keyId, signature]).toString('base64')}\n`;
}

interface ParsedNote {
  text: string;
  signatures: { name: string; keyId: Buffer; signature: Buffer }[];
}

export function parseNote(note: unknown): ParsedNote | undefined {
  if (typeof note !== 'string' || note.length > 1_000_000 || !note.endsWith('\n')) return undefined;
  if (hasControlCharacter(note)) return undefined;
  // The text ends at the last blank line: "\n\n" separates text and signatures.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return undefined;
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 0 || lines.length > MAX_SIGNATURES) return undefined;
  const signatures: ParsedNote['signatures'] = [];
  for (const line of lines) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!match || !isValidKeyName(match[1]!)) return undefined;
    const blob = Buffer.from(match[2]!, 'base64');
    if (blob.toString('base64') !== match[2] || blob.length < 5) return undefined;
    signatures.push({ name: match[1]!, keyId: blob.subarray(0, 4), signature: blob.subarray(4) });
  }
  return { text, signatures };
}

/** Opens a note with one trusted key. Signatures by other keys are ignored (witness cosignatures). */
export function openNote(note: unknown, key: NoteVerifierKey): NoteVerification {
  const parsed = parseNote(note);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const mine = parsed.signatures.filter((s) => s.name === key.name && s.keyId.equals(key.keyId));
  if (mine.length === 0) return { ok: false, reason: 'unknown_key' };
  const message = Buffer.from(parsed.text, 'utf8');
  // A known key's signature that fails rejects the whole note (signed-note §Signatures).
  const allVerify = mine.every((s) => s.signature.length === 64 && verify(null, message, key.publicKey, s.signature));
  return allVerify ? { ok: true, text: parsed.text } : { ok: false, reason: 'bad_signature' };
}
