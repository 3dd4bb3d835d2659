// The verification halves of our signature formats on WebCrypto (Ed25519 and SHA-256 through
// crypto.subtle, native in Node 20, Chromium ≥ 137, Firefox ≥ 129, Safari ≥ 17): DSSE envelopes with
// in-toto statements (dsse.ts), RFC 6962 inclusion (merkle.ts), C2SP signed notes and checkpoints
// (signed-note.ts, checkpoint.ts) and JWKS keys (signing-keys.ts). No Node imports: `npubench verify`,
// the API's verify endpoint and the dashboard run this same code (certificate-verifier.ts), so there is
// one verifier. Signing stays on node:crypto in the modules named. Nothing here throws on hostile input
// except the two trust-root parsers (a key set, a vkey), which come from the user and say why.
import { canonicalize } from './canonical-json.js';
import { lifetimeOfJwk, type KeyLifetime } from './key-lifetime.js';

/** Bytes backed by a plain ArrayBuffer, which is what crypto.subtle takes. */
type Bytes = Uint8Array<ArrayBuffer>;
/** WebCrypto's key type, spelled so it type-checks under the DOM lib and under Node's types. */
export type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const MAX_SIGNATURES = 16;
const LONE_SURROGATE = /\p{Surrogate}/u;
const ED25519 = { name: 'Ed25519' } as const;

export const utf8 = (text: string): Bytes => {
  const encoded = new TextEncoder().encode(text);
  const out = new Uint8Array(encoded.length);
  out.set(encoded);
  return out;
};

// ---- bytes ----

function fromBase64(text: string, urlSafe: boolean): Bytes {
  const std = urlSafe ? text.replace(/-/g, '+').replace(/_/g, '/') : text;
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(bytes: Uint8Array, urlSafe = false): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  const std = btoa(bin);
  return urlSafe ? std.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : std;
}

/** DSSE allows standard or URL-safe base64; only the canonical spelling passes, so that many strings
 *  cannot decode to one signature. */
function decodeBase64Strict(text: string): Bytes | undefined {
  const urlSafe = /^[A-Za-z0-9_-]*={0,2}$/.test(text);
  if (!urlSafe && !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  if (text.includes('=') && text.length % 4 !== 0) return undefined;
  try {
    const bytes = fromBase64(text.replace(/=+$/, ''), urlSafe);
    return toBase64(bytes, urlSafe).replace(/=+$/, '') === text.replace(/=+$/, '') ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** Standard base64 only, canonical (log proofs, notes): a garbled proof must not pass as another one. */
export function decodeStdBase64(text: unknown): Bytes | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  try {
    const bytes = fromBase64(text, false);
    return toBase64(bytes) === text ? bytes : undefined;
  } catch {
    return undefined;
  }
}

const concat = (...parts: Uint8Array[]): Bytes => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
export const sha256 = async (bytes: Bytes): Promise<Bytes> => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
export const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const verifyEd25519 = (key: WebCryptoKey, sig: Bytes, message: Bytes) => crypto.subtle.verify(ED25519, key, sig, message).catch(() => false);

/** parseCanonicalJson of canonical-json.ts: the bytes must already be canonical (no duplicate keys, no
 *  second reading of what was signed). */
export function parseCanonicalJson(bytes: Uint8Array): unknown {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return equalBytes(utf8(canonicalize(value)), bytes) ? value : undefined;
  } catch {
    return undefined;
  }
}

// ---- keys: a JWKS as a trust root (RFC 7638 thumbprints, as signing-keys.ts) ----

/** The public keys of a trust root by key id, with the lifetime the key set states for each. */
export interface TrustedKeys {
  key: (keyId: string) => WebCryptoKey | undefined;
  lifetimeOf: (keyId: string) => KeyLifetime | undefined;
}

/** Imports a JWKS; throws on an entry that is not an Ed25519 key, whose kid is not the thumbprint of its
 *  key (a key set cannot make one key answer for another's id), or whose lifetime is malformed. */
export async function trustedKeysFromJwks(jwks: unknown): Promise<TrustedKeys> {
  if (!isRecord(jwks) || !Array.isArray(jwks.keys)) throw new Error('not a JWKS document (no "keys" array)');
  const byKid = new Map<string, WebCryptoKey>();
  const lifetimes = new Map<string, KeyLifetime>();
  for (const entry of jwks.keys as unknown[]) {
    if (!isRecord(entry) || entry.kty !== 'OKP' || entry.crv !== 'Ed25519' || typeof entry.x !== 'string') throw new Error('JWKS entry is not an Ed25519 key');
    const raw = decodeBase64Strict(entry.x);
    if (!raw || raw.length !== 32 || /[=+/]/.test(entry.x)) throw new Error('JWK x must be 32 bytes in unpadded base64url');
    const thumbprint = toBase64(await sha256(utf8(canonicalize({ crv: 'Ed25519', kty: 'OKP', x: entry.x }))), true);
    if (entry.kid !== thumbprint) throw new Error(`JWKS entry kid ${String(entry.kid)} is not the thumbprint of its key (${thumbprint})`);
    try {
      lifetimes.set(thumbprint, lifetimeOfJwk(entry));
    } catch (err) {
      throw new Error(`JWKS entry ${thumbprint}: ${err instanceof Error ? err.message : String(err)}`);
    }
    byKid.set(thumbprint, await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: entry.x }, ED25519, false, ['verify']));
  }
  return { key: (kid) => byKid.get(kid), lifetimeOf: (kid) => lifetimes.get(kid) };
}

// ---- DSSE v1 with an in-toto Statement v1 (dsse.ts) ----

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

export type DsseFailureReason = 'malformed' | 'unknown_key' | 'bad_signature' | 'wrong_payload_type';
type DsseResult = { ok: true; payload: Bytes; keyid: string } | { ok: false; reason: DsseFailureReason };

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN = decimal byte length. */
function preAuthEncoding(payloadType: string, payload: Uint8Array): Bytes {
  const type = utf8(payloadType);
  return concat(utf8(`DSSEv1 ${type.length} `), type, utf8(` ${payload.length} `), payload);
}

/** Accepts the envelope when one signature verifies under a trusted key; another payload type is refused
 *  before any signature is checked. */
export async function verifyEnvelope(envelope: unknown, keys: TrustedKeys, expectedPayloadType: string): Promise<DsseResult> {
  if (!isRecord(envelope)) return { ok: false, reason: 'malformed' };
  const { payload, payloadType, signatures } = envelope;
  if (typeof payload !== 'string' || typeof payloadType !== 'string' || LONE_SURROGATE.test(payloadType)) return { ok: false, reason: 'malformed' };
  if (!Array.isArray(signatures) || signatures.length === 0 || signatures.length > MAX_SIGNATURES) return { ok: false, reason: 'malformed' };
  const payloadBytes = decodeBase64Strict(payload);
  if (!payloadBytes) return { ok: false, reason: 'malformed' };
  const parsed: { keyid: string; sig: Bytes }[] = [];
  for (const entry of signatures as unknown[]) {
    if (!isRecord(entry) || typeof entry.sig !== 'string') return { ok: false, reason: 'malformed' };
    // DSSE makes keyid optional; without one no key can be picked: "unknown key", not malformed.
    if (entry.keyid !== undefined && typeof entry.keyid !== 'string') return { ok: false, reason: 'malformed' };
    const sig = decodeBase64Strict(entry.sig);
    if (!sig) return { ok: false, reason: 'malformed' };
    parsed.push({ keyid: entry.keyid ?? '', sig });
  }
  if (payloadType !== expectedPayloadType) return { ok: false, reason: 'wrong_payload_type' };
  const pae = preAuthEncoding(payloadType, payloadBytes);
  let sawKnownKey = false;
  for (const { keyid, sig } of parsed) {
    const key = keys.key(keyid);
    if (!key) continue;
    sawKnownKey = true;
    if (await verifyEd25519(key, sig, pae)) return { ok: true, payload: payloadBytes, keyid };
  }
  return { ok: false, reason: sawKnownKey ? 'bad_signature' : 'unknown_key' };
}

export type SignedStatement = { ok: true; keyid: string; payload: Bytes; statement: Record<string, unknown> } | { ok: false; reason: DsseFailureReason };

/** An in-toto statement in a DSSE envelope (verifyStatement of dsse.ts); the predicate is unvalidated. */
export async function verifyStatementEnvelope(envelope: unknown, keys: TrustedKeys): Promise<SignedStatement> {
  const signed = await verifyEnvelope(envelope, keys, IN_TOTO_PAYLOAD_TYPE);
  if (!signed.ok) return signed;
  const statement = parseCanonicalJson(signed.payload);
  return isStatement(statement) ? { ok: true, keyid: signed.keyid, payload: signed.payload, statement } : { ok: false, reason: 'malformed' };
}

/** in-toto Statement v1: at least one subject, each with a hex sha256 (the signing side's check too). */
export function isStatement(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value) || value._type !== IN_TOTO_STATEMENT_TYPE) return false;
  if (typeof value.predicateType !== 'string' || value.predicateType === '' || !isRecord(value.predicate)) return false;
  const { subject } = value;
  return (
    Array.isArray(subject) &&
    subject.length > 0 &&
    subject.every((s: unknown) => isRecord(s) && typeof s.name === 'string' && isRecord(s.digest) && typeof s.digest.sha256 === 'string' && /^[0-9a-f]{64}$/.test(s.digest.sha256))
  );
}

// ---- RFC 6962 / 9162 inclusion (merkle.ts) ----

const leafHash = (leaf: Uint8Array) => sha256(concat(new Uint8Array([0]), leaf));
const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(concat(new Uint8Array([1]), l, r));
// Arithmetic, not bit operators: those truncate to 32 bits and a log may grow past 2^31.
const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2; `leaf` is the entry's leaf hash. */
async function verifyInclusion(leaf: Bytes, index: number, treeSize: number, proof: Uint8Array[], root: Uint8Array): Promise<boolean> {
  if (!Number.isSafeInteger(treeSize) || !Number.isSafeInteger(index) || index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      // Skip the levels where this node has no right sibling: RFC 6962 promotes it unchanged.
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = await nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && equalBytes(r, root);
}

// ---- C2SP signed notes and checkpoints (signed-note.ts, checkpoint.ts) ----

/** A pinned log key, parsed from its vkey `<name>+<hex key id>+<base64(0x01 || key)>`. */
export interface LogKey {
  name: string;
  keyId: Bytes;
  key: WebCryptoKey;
  vkey: string;
}

export interface Checkpoint {
  origin: string;
  treeSize: number;
  /** Standard base64 of the 32-byte root hash. */
  rootHash: string;
}

/** ASCII control characters other than newline, which signed notes must not hold. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
  }
  return false;
}
const isKeyName = (name: string) => name.length > 0 && !/[\s+]/u.test(name) && !hasControlCharacter(name);
const noteKeyId = async (name: string, raw: Uint8Array) => (await sha256(concat(utf8(name), new Uint8Array([0x0a, 0x01]), raw))).subarray(0, 4);

/** Throws with the reason, like parseVerifierKey: a vkey comes from the user or the trust root. */
export async function logKeyFromVkey(vkey: string): Promise<LogKey> {
  const text = vkey.trim();
  // The name holds no '+', the id is hex: the first two '+' are the separators (base64 may hold more).
  const match = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(text);
  if (!match) throw new Error('not a note verifier key (expected <name>+<8 hex digits>+<base64 key>)');
  const [name, idHex, keyB64] = [match[1]!, match[2]!, match[3]!];
  if (!isKeyName(name)) throw new Error(`bad key name ${JSON.stringify(name)}`);
  const material = decodeStdBase64(keyB64);
  if (!material || material.length !== 33 || material[0] !== 0x01) throw new Error('the key is not an Ed25519 (type 0x01) note key');
  const raw = material.subarray(1);
  const keyId = await noteKeyId(name, raw);
  if (hex(keyId) !== idHex) throw new Error(`key id ${idHex} is not the hash of the name and key`);
  return { name, keyId, key: await crypto.subtle.importKey('raw', raw, ED25519, false, ['verify']), vkey: text };
}

export type CheckpointFailure = 'malformed' | 'unknown_key' | 'bad_signature' | 'malformed_checkpoint' | 'wrong_origin';

/** The log key's signature on the note (other signers, e.g. witnesses, are ignored) and that the
 *  checkpoint names that key's log. */
export async function verifyCheckpoint(note: unknown, logKey: LogKey): Promise<{ ok: true; checkpoint: Checkpoint } | { ok: false; reason: CheckpointFailure }> {
  if (typeof note !== 'string' || note.length > 1_000_000 || !note.endsWith('\n') || hasControlCharacter(note)) return { ok: false, reason: 'malformed' };
  // The text ends at the last blank line: "\n\n" separates text and signatures.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'malformed' };
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 0 || lines.length > MAX_SIGNATURES) return { ok: false, reason: 'malformed' };
  const mine: Bytes[] = [];
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    const blob = m ? decodeStdBase64(m[2]) : undefined;
    if (!m || !isKeyName(m[1]!) || !blob || blob.length < 5) return { ok: false, reason: 'malformed' };
    if (m[1] === logKey.name && equalBytes(blob.subarray(0, 4), logKey.keyId)) mine.push(blob.subarray(4));
  }
  if (mine.length === 0) return { ok: false, reason: 'unknown_key' };
  const message = utf8(text);
  // A known key's signature that fails rejects the whole note (signed-note §Signatures).
  for (const sig of mine) {
    if (sig.length !== 64 || !(await verifyEd25519(logKey.key, sig, message))) return { ok: false, reason: 'bad_signature' };
  }
  const body = /^([^\n]+)\n(0|[1-9][0-9]{0,15})\n([A-Za-z0-9+/]{43}=)\n$/.exec(text);
  const root = body ? decodeStdBase64(body[3]) : undefined;
  if (!body || !Number.isSafeInteger(Number(body[2])) || root?.length !== 32) return { ok: false, reason: 'malformed_checkpoint' };
  if (body[1] !== logKey.name) return { ok: false, reason: 'wrong_origin' };
  return { ok: true, checkpoint: { origin: body[1], treeSize: Number(body[2]), rootHash: body[3]! } };
}

export type LogInclusionFailure = CheckpointFailure | 'tree_size_mismatch' | 'malformed_proof' | 'not_included';

/** The proof leads from its leaf to the root of a checkpoint the pinned log key signed (log-inclusion.ts). */
export async function verifyLogInclusion(proof: unknown, checkpointNote: unknown, logKey: LogKey): Promise<{ ok: true; checkpoint: Checkpoint } | { ok: false; reason: LogInclusionFailure }> {
  const head = await verifyCheckpoint(checkpointNote, logKey);
  if (!head.ok) return head;
  const { checkpoint } = head;
  if (!isRecord(proof) || proof.treeSize !== checkpoint.treeSize || typeof proof.index !== 'number') return { ok: false, reason: 'tree_size_mismatch' };
  const leaf = decodeStdBase64(proof.leaf);
  const hashes = Array.isArray(proof.hashes) ? proof.hashes.map(decodeStdBase64) : [undefined];
  if (!leaf || !hashes.every((h): h is Bytes => h?.length === 32)) return { ok: false, reason: 'malformed_proof' };
  const included = await verifyInclusion(await leafHash(leaf), proof.index, checkpoint.treeSize, hashes, decodeStdBase64(checkpoint.rootHash)!);
  return included ? { ok: true, checkpoint } : { ok: false, reason: 'not_included' };
}

/** The logged entry of an inclusion proof, when it is canonical JSON. */
export function decodeLogLeaf(proof: { leaf: string }): unknown {
  const bytes = decodeStdBase64(proof.leaf);
  return bytes ? parseCanonicalJson(bytes) : undefined;
}
