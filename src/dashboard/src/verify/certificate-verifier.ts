// In-browser verification of a certificate bundle: the checks of src/lib/certificates/certificate-bundle.ts
// (`npubench verify`), in the same order and with the same outcomes, on WebCrypto (Ed25519 and SHA-256,
// both native in Chromium ≥ 137, Firefox ≥ 129, Safari ≥ 17). Nothing here asks the page's server
// whether a certificate is good: the server only supplies bytes, and a tampered byte fails a check.
// Schemas and RFC 8785 canonical JSON are imported from the shared code; the Node-crypto parts are
// re-written on WebCrypto (which is asynchronous, hence a port rather than an import).
import { canonicalize } from '../../../lib/crypto/canonical-json.js';
import {
  CERTIFICATE_BUNDLE_FORMAT,
  certificateBundleSchema,
  NO_LOG_KEY_DETAIL,
  parseCertificatePredicate,
  type CertificateContent,
  type IssuanceLogEntry,
  type RevocationLogEntry,
} from '../../../lib/certificates/certificate-schema.js';
import { checkIssuer } from '../../../lib/certificates/certificate-issuer.js';
import { checkKeyAt, lifetimeOfJwk, type KeyLifetime } from '../../../lib/crypto/key-lifetime.js';
import { checkStatusStatement, type SignedStatus } from '../../../lib/certificates/certificate-status.js';

export type CertificateStatus = 'valid' | 'revoked' | 'expired' | 'invalid';

export interface CertificateVerification {
  status: CertificateStatus;
  checks: { check: 'format' | 'signature' | 'key' | 'issuer' | 'expiry' | 'log_inclusion' | 'status' | 'revocation'; ok: boolean; detail: string }[];
  certificate?: CertificateContent;
  keyId?: string;
}

/** As src/lib/certificates/certificate-bundle.ts's VerifyPolicy. */
export interface VerifyPolicy {
  maxStatusAgeMs?: number | undefined;
}

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
const MAX_SIGNATURES = 16;
const LONE_SURROGATE = /\p{Surrogate}/u;
const utf8 = new TextEncoder();

// ---- bytes ----

function fromBase64(text: string, urlSafe: boolean): Uint8Array {
  const std = urlSafe ? text.replace(/-/g, '+').replace(/_/g, '/') : text;
  const padded = std + '='.repeat((4 - (std.length % 4)) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array, urlSafe: boolean): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  const std = btoa(bin);
  return urlSafe ? std.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : std;
}

/** Only the canonical spelling, standard or URL-safe, as src/lib/crypto/dsse.ts accepts. */
function decodeBase64Strict(text: string): Uint8Array | undefined {
  const urlSafe = /^[A-Za-z0-9_-]*={0,2}$/.test(text);
  if (!urlSafe && !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  if (text.includes('=') && text.length % 4 !== 0) return undefined;
  try {
    const bytes = fromBase64(text.replace(/=+$/, ''), urlSafe);
    const again = toBase64(bytes, urlSafe).replace(/=+$/, '');
    return again === text.replace(/=+$/, '') ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** Standard base64 only, canonical (log proofs). */
function decodeStdBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  try {
    const bytes = fromBase64(text, false);
    return toBase64(bytes, false) === text ? bytes : undefined;
  } catch {
    return undefined;
  }
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** parseCanonicalJson of src/lib/crypto/canonical-json.ts: the bytes must already be canonical. */
function parseCanonicalJson(bytes: Uint8Array): unknown {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return equalBytes(utf8.encode(canonicalize(value)), bytes) ? value : undefined;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- keys (RFC 7638 thumbprints, as src/lib/crypto/signing-keys.ts) ----

/** WebCrypto's key type, spelled so it type-checks under the DOM lib and under Node's types (the parity test runs this file on Node). */
type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export type KeyResolver = ((keyId: string) => WebCryptoKey | undefined) & { lifetimeOf?: (keyId: string) => KeyLifetime | undefined };

/** Imports a JWKS; an entry whose kid is not the thumbprint of its key is refused, as on the server. */
export async function keyResolverFromJwks(jwks: unknown): Promise<KeyResolver> {
  if (!isRecord(jwks) || !Array.isArray(jwks.keys)) throw new Error('not a JWKS document (no "keys" array)');
  const byKid = new Map<string, WebCryptoKey>();
  const lifetimes = new Map<string, KeyLifetime>();
  for (const entry of jwks.keys as unknown[]) {
    if (!isRecord(entry) || entry.kty !== 'OKP' || entry.crv !== 'Ed25519' || typeof entry.x !== 'string') throw new Error('JWKS entry is not an Ed25519 key');
    const raw = decodeBase64Strict(entry.x);
    if (!raw || raw.length !== 32 || /[=+/]/.test(entry.x)) throw new Error('JWK x must be 32 bytes in unpadded base64url');
    const thumbprint = toBase64(await sha256(utf8.encode(canonicalize({ crv: 'Ed25519', kty: 'OKP', x: entry.x }))), true);
    if (entry.kid !== thumbprint) throw new Error(`JWKS entry kid ${String(entry.kid)} is not the thumbprint of its key (${thumbprint})`);
    try {
      lifetimes.set(thumbprint, lifetimeOfJwk(entry));
    } catch (err) {
      throw new Error(`JWKS entry ${thumbprint}: ${(err as Error).message}`);
    }
    byKid.set(thumbprint, await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: entry.x }, { name: 'Ed25519' }, false, ['verify']));
  }
  return Object.assign((kid: string) => byKid.get(kid), { lifetimeOf: (kid: string) => lifetimes.get(kid) });
}

// ---- DSSE (src/lib/crypto/dsse.ts) ----

type DsseResult = { ok: true; payload: Uint8Array; keyid: string } | { ok: false; reason: 'malformed' | 'unknown_key' | 'bad_signature' | 'wrong_payload_type' };

function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8.encode(payloadType);
  return concat(utf8.encode(`DSSEv1 ${type.length} `), type, utf8.encode(` ${payload.length} `), payload);
}

async function verifyEnvelope(envelope: unknown, resolveKey: KeyResolver, expectedPayloadType: string): Promise<DsseResult> {
  if (!isRecord(envelope)) return { ok: false, reason: 'malformed' };
  const { payload, payloadType, signatures } = envelope;
  if (typeof payload !== 'string' || typeof payloadType !== 'string' || LONE_SURROGATE.test(payloadType)) return { ok: false, reason: 'malformed' };
  if (!Array.isArray(signatures) || signatures.length === 0 || signatures.length > MAX_SIGNATURES) return { ok: false, reason: 'malformed' };
  const payloadBytes = decodeBase64Strict(payload);
  if (!payloadBytes) return { ok: false, reason: 'malformed' };
  const parsed: { keyid: string; sig: Uint8Array }[] = [];
  for (const entry of signatures as unknown[]) {
    if (!isRecord(entry) || typeof entry.sig !== 'string') return { ok: false, reason: 'malformed' };
    if (entry.keyid !== undefined && typeof entry.keyid !== 'string') return { ok: false, reason: 'malformed' };
    const sig = decodeBase64Strict(entry.sig);
    if (!sig) return { ok: false, reason: 'malformed' };
    parsed.push({ keyid: entry.keyid ?? '', sig });
  }
  if (payloadType !== expectedPayloadType) return { ok: false, reason: 'wrong_payload_type' };
  const pae = preAuthEncoding(payloadType, payloadBytes);
  let sawKnownKey = false;
  for (const { keyid, sig } of parsed) {
    const key = resolveKey(keyid);
    if (!key) continue;
    sawKnownKey = true;
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, sig as Uint8Array<ArrayBuffer>, pae as Uint8Array<ArrayBuffer>).catch(() => false);
    if (ok) return { ok: true, payload: payloadBytes, keyid };
  }
  return { ok: false, reason: sawKnownKey ? 'bad_signature' : 'unknown_key' };
}

// ---- RFC 6962 / 9162 inclusion (src/lib/crypto/merkle.ts, log-inclusion.ts) ----

const leafHash = (leaf: Uint8Array) => sha256(concat(new Uint8Array([0]), leaf));
const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(concat(new Uint8Array([1]), l, r));
const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

async function verifyInclusion(leaf: Uint8Array, index: number, treeSize: number, proof: Uint8Array[], root: Uint8Array): Promise<boolean> {
  if (!Number.isSafeInteger(treeSize) || !Number.isSafeInteger(index) || index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = await nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && equalBytes(r, root);
}

// ---- C2SP signed notes and checkpoints (src/lib/crypto/signed-note.ts, checkpoint.ts) ----

/** A pinned log key, parsed from its vkey `<name>+<hex key id>+<base64(0x01 || key)>`. */
export interface LogKey {
  name: string;
  keyId: Uint8Array;
  key: WebCryptoKey;
}

interface Checkpoint {
  origin: string;
  treeSize: number;
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
const noteKeyId = async (name: string, raw: Uint8Array) => (await sha256(concat(utf8.encode(name), new Uint8Array([0x0a, 0x01]), raw))).subarray(0, 4);

/** Throws with the reason, like parseVerifierKey: a vkey comes from the user or the page's own issuer. */
export async function logKeyFromVkey(vkey: string): Promise<LogKey> {
  const match = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(vkey.trim());
  if (!match) throw new Error('not a note verifier key (expected <name>+<8 hex digits>+<base64 key>)');
  const [, name, idHex, keyB64] = match as unknown as [string, string, string, string];
  if (!isKeyName(name)) throw new Error(`bad key name ${JSON.stringify(name)}`);
  const material = decodeStdBase64(keyB64);
  if (!material || material.length !== 33 || material[0] !== 0x01) throw new Error('the key is not an Ed25519 (type 0x01) note key');
  const raw = material.subarray(1);
  const keyId = await noteKeyId(name, raw);
  if (hex(keyId) !== idHex) throw new Error(`key id ${idHex} is not the hash of the name and key`);
  const key = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
  return { name, keyId, key };
}

type CheckpointResult = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string };

async function verifyCheckpoint(note: unknown, logKey: LogKey): Promise<CheckpointResult> {
  if (typeof note !== 'string' || note.length > 1_000_000 || !note.endsWith('\n') || hasControlCharacter(note)) return { ok: false, reason: 'malformed' };
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'malformed' };
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 0 || lines.length > MAX_SIGNATURES) return { ok: false, reason: 'malformed' };
  const mine: Uint8Array[] = [];
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    const blob = m ? decodeStdBase64(m[2]) : undefined;
    if (!m || !isKeyName(m[1]!) || !blob || blob.length < 5) return { ok: false, reason: 'malformed' };
    if (m[1] === logKey.name && equalBytes(blob.subarray(0, 4), logKey.keyId)) mine.push(blob.subarray(4));
  }
  if (mine.length === 0) return { ok: false, reason: 'unknown_key' };
  const message = utf8.encode(text);
  for (const sig of mine) {
    const ok = sig.length === 64 && (await crypto.subtle.verify({ name: 'Ed25519' }, logKey.key, sig as Uint8Array<ArrayBuffer>, message).catch(() => false));
    if (!ok) return { ok: false, reason: 'bad_signature' };
  }
  const body = /^([^\n]+)\n(0|[1-9][0-9]{0,15})\n([A-Za-z0-9+/]{43}=)\n$/.exec(text);
  const root = body ? decodeStdBase64(body[3]) : undefined;
  if (!body || !Number.isSafeInteger(Number(body[2])) || root?.length !== 32) return { ok: false, reason: 'malformed_checkpoint' };
  if (body[1] !== logKey.name) return { ok: false, reason: 'wrong_origin' };
  return { ok: true, checkpoint: { origin: body[1], treeSize: Number(body[2]), rootHash: body[3]! } };
}

type InclusionResult = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string };

async function verifyLogInclusion(proof: unknown, checkpointNote: unknown, logKey: LogKey): Promise<InclusionResult> {
  const head = await verifyCheckpoint(checkpointNote, logKey);
  if (!head.ok) return head;
  const { checkpoint } = head;
  if (!isRecord(proof) || proof.treeSize !== checkpoint.treeSize || typeof proof.index !== 'number') return { ok: false, reason: 'tree_size_mismatch' };
  const leaf = decodeStdBase64(proof.leaf);
  const hashes = Array.isArray(proof.hashes) ? proof.hashes.map(decodeStdBase64) : [undefined];
  if (!leaf || !hashes.every((h): h is Uint8Array => h?.length === 32)) return { ok: false, reason: 'malformed_proof' };
  const included = await verifyInclusion(await leafHash(leaf), proof.index, checkpoint.treeSize, hashes, decodeStdBase64(checkpoint.rootHash)!);
  return included ? { ok: true, checkpoint } : { ok: false, reason: 'not_included' };
}

function decodeLeaf(proof: { leaf: string }): unknown {
  const bytes = decodeStdBase64(proof.leaf);
  return bytes ? parseCanonicalJson(bytes) : undefined;
}

// ---- the certificate (src/lib/certificates/certificate-bundle.ts, verifyCertificateBundle) ----

/** An in-toto statement in a DSSE envelope, as src/lib/crypto/dsse.ts's verifyStatement. */
async function verifyStatementEnvelope(envelope: unknown, resolveKey: KeyResolver): Promise<{ ok: true; keyid: string; payload: Uint8Array; statement: Record<string, unknown> } | { ok: false; reason: string }> {
  const signed = await verifyEnvelope(envelope, resolveKey, IN_TOTO_PAYLOAD_TYPE);
  if (!signed.ok) return signed;
  const statement = parseCanonicalJson(signed.payload);
  const ok = isRecord(statement) && statement._type === IN_TOTO_STATEMENT_TYPE && typeof statement.predicateType === 'string' && statement.predicateType !== '' && isRecord(statement.predicate);
  return ok ? { ok: true, keyid: signed.keyid, payload: signed.payload, statement } : { ok: false, reason: 'malformed' };
}

export async function verifyCertificateBundle(
  input: unknown,
  resolveKey: KeyResolver,
  logKey: LogKey | undefined,
  now = new Date(),
  trustedIssuer?: string,
  policy: VerifyPolicy = {},
): Promise<CertificateVerification> {
  const checks: CertificateVerification['checks'] = [];
  const bundle = certificateBundleSchema.safeParse(input);
  if (!bundle.success) {
    checks.push({ check: 'format', ok: false, detail: `not an ${CERTIFICATE_BUNDLE_FORMAT} document` });
    return { status: 'invalid', checks };
  }
  const { envelope, issuance, revocation, certificateId } = bundle.data;
  checks.push({ check: 'format', ok: true, detail: CERTIFICATE_BUNDLE_FORMAT });

  const signed = await verifyStatementEnvelope(envelope, resolveKey);
  const certificate = signed.ok ? parseCertificatePredicate(signed.statement.predicateType, signed.statement.predicate) : undefined;
  if (!signed.ok || !certificate || certificate.certificateId !== certificateId) {
    checks.push({ check: 'signature', ok: false, detail: signed.ok ? 'the signed statement is not this certificate' : `signature check failed: ${signed.reason}` });
    return { status: 'invalid', checks };
  }
  checks.push({ check: 'signature', ok: true, detail: `Ed25519 signature by key ${signed.keyid}${certificate.legacy ? ' (legacy v1 statement)' : ''}` });

  const keyTime = checkKeyAt(signed.keyid, resolveKey.lifetimeOf?.(signed.keyid), certificate.issuedAt, 'certificate issued at');
  checks.push({ check: 'key', ok: keyTime.ok, detail: keyTime.detail });
  if (!keyTime.ok) return { status: 'invalid', checks, certificate, keyId: signed.keyid };

  const issuer = checkIssuer(certificate, signed.keyid, trustedIssuer);
  checks.push({ check: 'issuer', ...issuer });
  if (!issuer.ok) return { status: 'invalid', checks, certificate, keyId: signed.keyid };

  const expired = new Date(certificate.expiresAt).getTime() <= now.getTime();
  checks.push({ check: 'expiry', ok: !expired, detail: `${expired ? 'expired' : 'valid until'} ${certificate.expiresAt}` });

  if (!logKey) {
    checks.push({ check: 'log_inclusion', ok: false, detail: NO_LOG_KEY_DETAIL });
    return { status: 'invalid', checks, certificate, keyId: signed.keyid };
  }
  const digest = hex(await sha256(signed.payload));
  const included = await verifyLogInclusion(issuance.inclusionProof, issuance.checkpoint, logKey);
  const leaf = decodeLeaf(issuance.inclusionProof) as IssuanceLogEntry | undefined;
  const leafMatches = leaf?.kind === 'certificate.issued' && leaf.certificateId === certificateId && leaf.entry?.statementDigest === digest;
  if (!included.ok || !leafMatches) {
    checks.push({ check: 'log_inclusion', ok: false, detail: included.ok ? 'the logged entry is not this certificate' : `not proven in the log: ${included.reason}` });
    return { status: 'invalid', checks, certificate, keyId: signed.keyid };
  }
  checks.push({ check: 'log_inclusion', ok: true, detail: `entry ${issuance.inclusionProof.index} of ${included.checkpoint.treeSize} under a checkpoint of ${included.checkpoint.origin}` });

  let signedStatus: SignedStatus;
  if (bundle.data.status) {
    const verified = await verifyStatementEnvelope(bundle.data.status, resolveKey);
    signedStatus = verified.ok ? { ok: true, keyId: verified.keyid, predicateType: verified.statement.predicateType, predicate: verified.statement.predicate } : { ok: false, reason: verified.reason };
  }
  const status = checkStatusStatement({ certificate, statementDigest: digest, signed: signedStatus, lifetimeOf: resolveKey.lifetimeOf, now, maxStatusAgeMs: policy.maxStatusAgeMs });
  checks.push({ check: 'status', ok: status.ok, detail: status.detail });
  if (status.outcome === 'invalid' && !(status.stale && expired)) return { status: 'invalid', checks, certificate, keyId: signed.keyid };

  if (revocation) {
    const revoked = await verifyLogInclusion(revocation.inclusionProof, revocation.checkpoint, logKey);
    const entry = decodeLeaf(revocation.inclusionProof) as RevocationLogEntry | undefined;
    if (revoked.ok && entry?.kind === 'certificate.revoked' && entry.certificateId === certificateId) {
      checks.push({ check: 'revocation', ok: false, detail: `revoked ${entry.entry.revokedAt}: ${entry.entry.reason}` });
      return { status: 'revoked', checks, certificate, keyId: signed.keyid };
    }
    checks.push({ check: 'revocation', ok: false, detail: 'the bundle carries a revocation that does not verify' });
    return { status: 'invalid', checks, certificate, keyId: signed.keyid };
  }
  if (status.outcome === 'revoked') {
    checks.push({ check: 'revocation', ok: false, detail: `revoked ${status.revocation!.revokedAt}: ${status.revocation!.reason} (as the signed status says)` });
    return { status: 'revoked', checks, certificate, keyId: signed.keyid };
  }
  checks.push({ check: 'revocation', ok: true, detail: 'no revocation in this bundle' });
  return { status: expired ? 'expired' : 'valid', checks, certificate, keyId: signed.keyid };
}

// ---- whose keys ----

/**
 * A bundle signed by a key outside the trusted key set is not merely "unknown_key": it is not from the
 * issuer whose keys were used. Says so, naming the key that signed it; the verdict stays INVALID.
 * The keys a page verifies with come from its own issuer (or a key set the user pasted), never from a
 * URL inside the pasted document.
 */
export function attributeToIssuer(result: CertificateVerification, bundle: unknown, issuer: string): CertificateVerification {
  const unknown = result.checks.find((c) => c.check === 'signature' && !c.ok && /unknown_key/.test(c.detail));
  if (!unknown) return result;
  const envelope = isRecord(bundle) ? bundle.envelope : undefined;
  const signatures = isRecord(envelope) && Array.isArray(envelope.signatures) ? (envelope.signatures as unknown[]) : [];
  const kids = signatures.map((s) => (isRecord(s) && typeof s.keyid === 'string' ? s.keyid : '?')).join(', ') || '?';
  const detail = `signed by key ${kids}, which is not a key of ${issuer}: this certificate is not from this issuer (unknown_key)`;
  return { ...result, checks: result.checks.map((c) => (c === unknown ? { ...c, detail } : c)) };
}
