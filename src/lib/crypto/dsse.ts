// DSSE v1 envelopes (github.com/secure-systems-lab/dsse, protocol.md and envelope.md) and the in-toto
// Statement v1 they carry. The signature covers PAE(payloadType, payload), so the type is authenticated
// along with the bytes. Verification never throws: envelopes arrive from anyone holding a certificate.
import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalBytes, parseCanonicalJson } from './canonical-json.js';
import type { KeyResolver, SigningKey } from './signing-keys.js';
import { isStatement } from './web-verify.js';

export interface DsseSignature {
  keyid: string;
  /** Standard base64 of the raw 64-byte Ed25519 signature over the PAE. */
  sig: string;
}

export interface DsseEnvelope {
  /** Standard base64 of the payload bytes. */
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

export type DsseFailureReason = 'malformed' | 'unknown_key' | 'bad_signature' | 'wrong_payload_type';

export type DsseVerification =
  | { ok: true; payload: Buffer; payloadType: string; keyid: string }
  | { ok: false; reason: DsseFailureReason };

export type EnvelopeSigner = Pick<SigningKey, 'keyId' | 'privateKey'>;

// A hostile envelope with thousands of signatures would cost thousands of verifications.
const MAX_SIGNATURES = 16;
const LONE_SURROGATE = /\p{Surrogate}/u;

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN = decimal byte length. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export function signEnvelope(payloadType: string, payload: Uint8Array, key: EnvelopeSigner): DsseEnvelope {
  // UTF-8 would turn a lone surrogate into U+FFFD, letting two different type strings share one signature.
  if (LONE_SURROGATE.test(payloadType)) throw new TypeError('payloadType contains a lone UTF-16 surrogate');
  const sig = sign(null, preAuthEncoding(payloadType, payload), key.privateKey);
  return {
    payload: Buffer.from(payload).toString('base64'),
    payloadType,
    signatures: [{ keyid: key.keyId, sig: sig.toString('base64') }],
  };
}

/**
 * Accepts the envelope when at least one signature is valid under a key `resolveKey` knows. With
 * `expectedPayloadType`, an envelope of another type is refused before any signature is checked, so a
 * signed certificate can never be accepted where a report was expected.
 */
export function verifyEnvelope(envelope: unknown, resolveKey: KeyResolver, expectedPayloadType?: string): DsseVerification {
  const parsed = parseEnvelope(envelope);
  if (!parsed) return { ok: false, reason: 'malformed' };
  if (expectedPayloadType !== undefined && parsed.payloadType !== expectedPayloadType) {
    return { ok: false, reason: 'wrong_payload_type' };
  }
  const pae = preAuthEncoding(parsed.payloadType, parsed.payload);
  let sawKnownKey = false;
  for (const { keyid, sig } of parsed.signatures) {
    const key = resolveQuietly(resolveKey, keyid);
    if (!key) continue;
    sawKnownKey = true;
    if (verifyQuietly(pae, key, sig)) return { ok: true, payload: parsed.payload, payloadType: parsed.payloadType, keyid };
  }
  return { ok: false, reason: sawKnownKey ? 'bad_signature' : 'unknown_key' };
}

interface ParsedEnvelope {
  payload: Buffer;
  payloadType: string;
  signatures: Array<{ keyid: string; sig: Buffer }>;
}

function parseEnvelope(envelope: unknown): ParsedEnvelope | undefined {
  if (!isRecord(envelope)) return undefined;
  const { payload, payloadType, signatures } = envelope;
  if (typeof payload !== 'string' || typeof payloadType !== 'string' || LONE_SURROGATE.test(payloadType)) return undefined;
  if (!Array.isArray(signatures) || signatures.length === 0 || signatures.length > MAX_SIGNATURES) return undefined;
  const payloadBytes = decodeBase64Strict(payload);
  if (!payloadBytes) return undefined;
  const parsedSignatures: ParsedEnvelope['signatures'] = [];
  for (const entry of signatures as unknown[]) {
    if (!isRecord(entry) || typeof entry.sig !== 'string') return undefined;
    // DSSE makes keyid optional; without one we cannot pick a key, which is "unknown key", not malformed.
    if (entry.keyid !== undefined && typeof entry.keyid !== 'string') return undefined;
    const sig = decodeBase64Strict(entry.sig);
    if (!sig) return undefined;
    parsedSignatures.push({ keyid: entry.keyid ?? '', sig });
  }
  return { payload: payloadBytes, payloadType, signatures: parsedSignatures };
}

/**
 * DSSE allows standard or URL-safe base64. Buffer.from alone is lenient (it skips junk and ignores unused
 * trailing bits), which would let many strings decode to one signature; only the canonical spelling passes.
 */
function decodeBase64Strict(text: string): Buffer | undefined {
  const urlSafe = /^[A-Za-z0-9_-]*={0,2}$/.test(text);
  if (!urlSafe && !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  if (text.includes('=') && text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, urlSafe ? 'base64url' : 'base64');
  const reencoded = bytes.toString(urlSafe ? 'base64url' : 'base64').replace(/=+$/, '');
  return reencoded === text.replace(/=+$/, '') ? bytes : undefined;
}

function resolveQuietly(resolveKey: KeyResolver, keyid: string): KeyObject | undefined {
  try {
    return resolveKey(keyid);
  } catch {
    return undefined;
  }
}

function verifyQuietly(pae: Buffer, key: KeyObject, sig: Buffer): boolean {
  try {
    return verify(null, pae, key, sig);
  } catch {
    // A resolver that hands back a non-Ed25519 key makes verify throw; that is a failed check, not a crash.
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- in-toto Statement v1 (github.com/in-toto/attestation, spec/v1/statement.md) ----

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

export interface InTotoSubject {
  name: string;
  /** Lowercase hex SHA-256 of the subject's bytes; gitCommit (in-toto DigestSet) beside it for code. */
  digest: { sha256: string; gitCommit?: string };
}

export interface InTotoStatement<P = unknown> {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: InTotoSubject[];
  predicateType: string;
  predicate: P;
}

export type StatementVerification =
  | { ok: true; statement: InTotoStatement; keyid: string }
  | { ok: false; reason: DsseFailureReason | 'wrong_predicate_type' };

export function buildStatement<P>(subject: InTotoSubject[], predicateType: string, predicate: P): InTotoStatement<P> {
  const statement: InTotoStatement<P> = { _type: IN_TOTO_STATEMENT_TYPE, subject, predicateType, predicate };
  if (!isInTotoStatement(statement)) {
    throw new TypeError('in-toto statement needs at least one subject with a name and a lowercase hex sha256 digest, and an object predicate');
  }
  return statement;
}

/** The payload is the statement's canonical JSON, so the signed bytes are reproducible from the statement. */
export function signStatement(statement: InTotoStatement, key: EnvelopeSigner): DsseEnvelope {
  return signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalBytes(statement), key);
}

/** The predicate comes back unvalidated (`unknown`): each predicate type's owner checks its own schema. */
export function verifyStatement(envelope: unknown, resolveKey: KeyResolver, expectedPredicateType?: string): StatementVerification {
  const verified = verifyEnvelope(envelope, resolveKey, IN_TOTO_PAYLOAD_TYPE);
  if (!verified.ok) return verified;
  const statement = parseCanonicalJson(verified.payload);
  if (!isInTotoStatement(statement)) return { ok: false, reason: 'malformed' };
  if (expectedPredicateType !== undefined && statement.predicateType !== expectedPredicateType) {
    return { ok: false, reason: 'wrong_predicate_type' };
  }
  return { ok: true, statement, keyid: verified.keyid };
}

// The Node-free verifier's check, so signer and verifiers agree on what a statement is.
const isInTotoStatement = (value: unknown): value is InTotoStatement => isStatement(value);
