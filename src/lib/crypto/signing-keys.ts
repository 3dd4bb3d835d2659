// Ed25519 signing keys for reports and certificates (and the log key's material). The private key lives only with the api
// (DESIGN §2); verifiers get public keys as a JWKS. A key's id is its RFC 7638 JWK thumbprint, so anyone can
// recompute it from the public key and no registry of ids is needed.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { canonicalize } from './canonical-json.js';
import { lifetimeOfJwk, type KeyLifetime } from './key-lifetime.js';
import type { KEY_STATUSES } from '../../contracts/signing.js';

export class SigningKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SigningKeyError';
  }
}

export interface Ed25519PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  /** The 32-byte public key, base64url without padding (RFC 8037 §2). */
  x: string;
}

export interface SigningKey {
  /** RFC 7638 thumbprint of the public JWK; the `keyid` in DSSE signatures and the `kid` in the JWKS. */
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: Ed25519PublicJwk;
}

export type KeyStatus = (typeof KEY_STATUSES)[number];

export interface JwksEntry extends Ed25519PublicJwk, KeyLifetime {
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
  /** Retired keys sign nothing new but stay published so that what they signed still verifies;
   *  verifiers go by the lifetime members, this is for people. */
  status?: KeyStatus;
}

export interface Jwks {
  keys: JwksEntry[];
}

/** Public key by key id; `lifetimeOf`, where the key source publishes lifetimes, says when each key
 *  could sign (a resolver built from a JWKS always has it). */
export type KeyResolver = ((keyId: string) => KeyObject | undefined) & { lifetimeOf?: (keyId: string) => KeyLifetime | undefined };


/** A new Ed25519 private key as a PKCS#8 PEM (what `npubench keys generate` writes). */
export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function signingKeyFromPem(pem: string | Buffer): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new SigningKeyError('signing key is not a readable PKCS#8 PEM private key', { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(`signing key must be Ed25519, got ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const publicKey = createPublicKey(privateKey);
  const jwk = publicJwk(publicKey);
  return { keyId: jwkThumbprint(jwk), privateKey, publicKey, publicJwk: jwk };
}

export async function loadSigningKeyFile(path: string): Promise<SigningKey> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (err) {
    throw new SigningKeyError(`cannot read signing key file ${path}`, { cause: err });
  }
  return signingKeyFromPem(pem);
}

/** Writes a fresh private key readable only by its owner; never replaces an existing file (that would
 *  silently orphan everything the old key signed). */
export async function writePrivateKeyFile(path: string, pem = generateSigningKeyPem()): Promise<SigningKey> {
  let file;
  try {
    // 'wx' fails when the path exists; mode applies at creation, so the key is never briefly world-readable.
    file = await open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new SigningKeyError(`refusing to overwrite existing key file ${path}`, { cause: err });
    }
    throw new SigningKeyError(`cannot create key file ${path}`, { cause: err });
  }
  try {
    await file.writeFile(pem);
  } finally {
    await file.close();
  }
  return signingKeyFromPem(pem);
}

/** The public half of an Ed25519 key (private or public KeyObject) as a minimal JWK. */
export function publicJwk(key: KeyObject): Ed25519PublicJwk {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new SigningKeyError(`expected an Ed25519 key, got ${publicKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new SigningKeyError('Ed25519 key exported without an x coordinate');
  return { kty: 'OKP', crv: 'Ed25519', x };
}

/** RFC 7638: SHA-256 over the required members in canonical form — for OKP keys `crv`, `kty`, `x` (RFC 8037 §2). */
export function jwkThumbprint(jwk: Ed25519PublicJwk): string {
  const required = { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(canonicalize(required), 'utf8').digest('base64url');
}

/** Verifier side: accepts only a well-formed Ed25519 public JWK and ignores every other member (a stray `d`
 *  must not turn a published key set into private key material). */
export function publicKeyFromJwk(jwk: unknown): KeyObject {
  if (typeof jwk !== 'object' || jwk === null) throw new SigningKeyError('JWK must be an object');
  const { kty, crv, x } = jwk as Record<string, unknown>;
  if (kty !== 'OKP' || crv !== 'Ed25519') throw new SigningKeyError('JWK is not an Ed25519 (OKP) key');
  // Canonical encoding only: the key id hashes x as text, so two spellings of one key must not exist.
  if (typeof x !== 'string' || !isCanonicalBase64url(x, 32)) {
    throw new SigningKeyError('JWK x must be 32 bytes in unpadded base64url');
  }
  try {
    return createPublicKey({ key: { kty, crv, x }, format: 'jwk' });
  } catch (err) {
    throw new SigningKeyError('JWK x is not a valid Ed25519 public key', { cause: err });
  }
}

function isCanonicalBase64url(text: string, byteLength: number): boolean {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length === byteLength && bytes.toString('base64url') === text;
}

function jwksEntry(key: KeyObject | Ed25519PublicJwk, status?: KeyStatus, lifetime: KeyLifetime = {}): JwksEntry {
  const jwk = 'kty' in key ? publicJwk(publicKeyFromJwk(key)) : publicJwk(key);
  return { ...jwk, kid: jwkThumbprint(jwk), alg: 'EdDSA', use: 'sig', ...(status ? { status } : {}), ...lifetimeOfJwk({ ...lifetime }) };
}

/** The published key set: the active key plus retired ones still needed to verify older documents,
 *  each with its lifetime. */
export function buildJwks(keys: ReadonlyArray<{ key: KeyObject | Ed25519PublicJwk; status?: KeyStatus; lifetime?: KeyLifetime }>): Jwks {
  return { keys: keys.map(({ key, status, lifetime }) => jwksEntry(key, status, lifetime)) };
}

/** Resolves DSSE key ids against a JWKS. An entry's `kid` is trusted only if it is the thumbprint of its key,
 *  so a key set cannot make one key answer for another's id. */
export function keyResolverFromJwks(jwks: Jwks): KeyResolver {
  const byKid = new Map<string, KeyObject>();
  const lifetimes = new Map<string, KeyLifetime>();
  for (const entry of jwks.keys) {
    const key = publicKeyFromJwk(entry);
    const thumbprint = jwkThumbprint(publicJwk(key));
    if (entry.kid !== thumbprint) {
      throw new SigningKeyError(`JWKS entry kid ${entry.kid} is not the thumbprint of its key (${thumbprint})`);
    }
    try {
      lifetimes.set(thumbprint, lifetimeOfJwk(entry as unknown as Record<string, unknown>));
    } catch (err) {
      throw new SigningKeyError(`JWKS entry ${entry.kid}: ${(err as Error).message}`);
    }
    byKid.set(thumbprint, key);
  }
  return Object.assign((keyId: string) => byKid.get(keyId), { lifetimeOf: (keyId: string) => lifetimes.get(keyId) });
}
