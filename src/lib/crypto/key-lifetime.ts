// Signing-key lifetimes as the JWKS publishes them (#15 item 2): a key signs only inside
// [notBefore, notAfter), and nothing it signed at or after `compromisedAt` is trusted. No Node imports:
// the dashboard's WebCrypto verifier applies the same rules with this same code.

/** JWK members (RFC 3339 UTC timestamps, e.g. "2026-12-03T10:00:00.000Z"); absent = unbounded. */
export interface KeyLifetime {
  /** The key signs nothing dated before this (its activation). */
  notBefore?: string;
  /** Retirement: the key signs nothing dated at or after this. */
  notAfter?: string;
  /** The private key may be known to others from this time: what it signed from then on is void. */
  compromisedAt?: string;
}

export const KEY_LIFETIME_MEMBERS = ['notBefore', 'notAfter', 'compromisedAt'] as const;

/** Stable reasons, also in docs/certification.md. */
export type KeyTimeReason = 'key_compromised' | 'key_not_valid_at_signing_time';

const isUtcTimestamp = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v;

/** The lifetime members of a JWK; throws on a member that is not a canonical UTC timestamp, so a
 *  key set cannot smuggle a window a verifier reads differently. */
export function lifetimeOfJwk(entry: Record<string, unknown>): KeyLifetime {
  const out: KeyLifetime = {};
  for (const member of KEY_LIFETIME_MEMBERS) {
    const value = entry[member];
    if (value === undefined) continue;
    if (!isUtcTimestamp(value)) throw new Error(`JWK ${member} must be a UTC timestamp like 2026-12-03T10:00:00.000Z`);
    out[member] = value;
  }
  if (out.notBefore && out.notAfter && out.notAfter < out.notBefore) throw new Error('JWK notAfter is before its notBefore');
  return out;
}

const earlier = (a?: string, b?: string) => (a === undefined ? b : b === undefined ? a : a < b ? a : b);
const later = (a?: string, b?: string) => (a === undefined ? b : b === undefined ? a : a > b ? a : b);

/** A refreshed lifetime never widens the stored one: a retirement or a compromise, once seen, stays
 *  (a key set fetched later, perhaps through an attacker, cannot bring a key back). */
export function narrowLifetime(stored: KeyLifetime, fetched: KeyLifetime): KeyLifetime {
  const out: KeyLifetime = {};
  const notBefore = later(stored.notBefore, fetched.notBefore);
  const notAfter = earlier(stored.notAfter, fetched.notAfter);
  const compromisedAt = earlier(stored.compromisedAt, fetched.compromisedAt);
  if (notBefore) out.notBefore = notBefore;
  if (notAfter) out.notAfter = notAfter;
  if (compromisedAt) out.compromisedAt = compromisedAt;
  return out;
}

export type KeyTimeCheck = { ok: true; detail: string } | { ok: false; reason: KeyTimeReason; detail: string };

/**
 * Was key `keyId` allowed to sign something dated `signedAt` (the signed statement's own time)? A
 * compromise is checked first so it gets its own reason. `lifetime` undefined: the trust root
 * publishes none for this key (an older key set), so only the signature counts.
 */
export function checkKeyAt(keyId: string, lifetime: KeyLifetime | undefined, signedAt: string, what: string): KeyTimeCheck {
  if (!lifetime) return { ok: true, detail: `key ${keyId}: the trust root states no lifetime for it (${what} ${signedAt})` };
  const at = Date.parse(signedAt);
  if (lifetime.compromisedAt !== undefined && at >= Date.parse(lifetime.compromisedAt)) {
    return { ok: false, reason: 'key_compromised', detail: `key ${keyId} is compromised since ${lifetime.compromisedAt}; ${what} ${signedAt} is not before that (key_compromised)` };
  }
  const from = lifetime.notBefore === undefined ? undefined : Date.parse(lifetime.notBefore);
  const until = lifetime.notAfter === undefined ? undefined : Date.parse(lifetime.notAfter);
  const window = `valid from ${lifetime.notBefore ?? 'the start'} ${lifetime.notAfter ? `until ${lifetime.notAfter}` : 'on (not retired)'}`;
  if ((from !== undefined && at < from) || (until !== undefined && at >= until)) {
    return { ok: false, reason: 'key_not_valid_at_signing_time', detail: `key ${keyId} is ${window}; ${what} ${signedAt} is outside that (key_not_valid_at_signing_time)` };
  }
  const compromise = lifetime.compromisedAt ? `; compromised since ${lifetime.compromisedAt}, after this signature` : '';
  return { ok: true, detail: `key ${keyId} is ${window}${compromise}; ${what} ${signedAt} is inside` };
}
