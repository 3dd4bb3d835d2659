// Bearer credentials (API keys and agent tokens): `<kind>_<prefix>_<secret>`. The prefix is public
// (shown in lists, used for lookup); only the SHA-256 of the whole credential is stored. The secret has
// 192 bits of entropy, so a fast hash is enough (no password stretching), and lookups compare hashes
// in constant time.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export type CredentialKind = 'npb' | 'npba';

export interface IssuedCredential {
  token: string;
  prefix: string;
  hash: string;
}

export function issueCredential(kind: CredentialKind): IssuedCredential {
  const prefix = `${kind}_${randomBytes(6).toString('base64url')}`;
  const token = `${prefix}_${randomBytes(24).toString('base64url')}`;
  return { token, prefix, hash: hashCredential(token) };
}

export function hashCredential(token: string): string {
  // One-shot hash: a third of createHash's cost, and it runs on every authenticated request.
  return hash('sha256', token, 'hex');
}

/** Splits a presented token into its lookup prefix, or null when it is not shaped like one of ours. */
export function credentialPrefix(token: string, kind: CredentialKind): string | null {
  const m = new RegExp(`^(${kind}_[A-Za-z0-9_-]{8})_[A-Za-z0-9_-]{32}$`).exec(token);
  return m?.[1] ?? null;
}

export function credentialMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashCredential(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether two presented secrets are the same string, in time that depends only on their length
 * (which the credential format makes public anyway).
 */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
