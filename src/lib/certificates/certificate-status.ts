// The check of a certificate's signed status statement (#15 item 5), after its signature was verified.
// No Node imports: the CLI's and the dashboard's verifiers word and decide it with this same code.
import { checkKeyAt, type KeyLifetime } from '../crypto/key-lifetime.js';
import { CERTIFICATE_STATUS_PREDICATE_TYPE, DEFAULT_STATUS_MAX_AGE_DAYS, certificateStatusPredicateSchema, type CertificateContent } from './certificate-schema.js';

const DAY_MS = 86_400_000;
/** A status dated a little ahead of the verifier's clock is clock skew, not a trick to stay fresh longer. */
const FUTURE_SKEW_MS = 5 * 60_000;

export type StatusOutcome = 'valid' | 'revoked' | 'invalid';

export interface StatusCheck {
  ok: boolean;
  detail: string;
  /** What the status statement says of the certificate; 'invalid' when it proves nothing. */
  outcome: StatusOutcome;
  /** For a revoked status: when and why. */
  revocation?: { reason: string; revokedAt: string };
  /** Only too old: an expired certificate then stays "expired" rather than "invalid". */
  stale?: true;
}

/** The envelope's verification as each verifier's crypto did it; undefined when the bundle has no status. */
export type SignedStatus = { ok: true; keyId: string; predicateType: unknown; predicate: unknown } | { ok: false; reason: string } | undefined;

export function formatAge(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (ms >= 2 * DAY_MS) return plural(Math.floor(ms / DAY_MS), 'day');
  if (ms >= 2 * 3_600_000) return plural(Math.floor(ms / 3_600_000), 'hour');
  return plural(Math.max(0, Math.floor(ms / 60_000)), 'minute');
}

/** The max age that applies: the verifier's own (--max-status-age), else the one the certificate states. */
export function statusMaxAgeMs(certificate: CertificateContent, override?: number): number {
  if (override !== undefined) return override;
  return (certificate.legacy ? DEFAULT_STATUS_MAX_AGE_DAYS : certificate.statusMaxAgeDays) * DAY_MS;
}

/**
 * A v2 certificate must carry a signed status for `certificate`'s statement (digest `statementDigest`),
 * signed by a key valid at the status's time, younger than the max age (unless it says revoked: a
 * revocation does not go stale). Without one it fails at once: the status is the only revocation
 * evidence that cannot be deleted unnoticed. A legacy certificate is checked by its old rules: a status,
 * when the bundle has one, counts; none is not a failure.
 */
export function checkStatusStatement(args: {
  certificate: CertificateContent;
  statementDigest: string;
  signed: SignedStatus;
  lifetimeOf?: ((keyId: string) => KeyLifetime | undefined) | undefined;
  now: Date;
  maxStatusAgeMs?: number | undefined;
}): StatusCheck {
  const { certificate, signed, now } = args;
  if (signed === undefined) {
    return certificate.legacy
      ? { ok: true, outcome: 'valid', detail: 'legacy certificate: no signed status in this bundle (only a revocation member could show a revocation)' }
      : { ok: false, outcome: 'invalid', detail: 'this bundle has no signed status statement, so a revocation could have been removed (status_missing): download a fresh cert.json or use --online' };
  }
  if (!signed.ok) return { ok: false, outcome: 'invalid', detail: `the status statement's signature check failed: ${signed.reason} (status_bad_signature)` };
  const parsed = signed.predicateType === CERTIFICATE_STATUS_PREDICATE_TYPE ? certificateStatusPredicateSchema.safeParse(signed.predicate) : undefined;
  if (!parsed?.success) return { ok: false, outcome: 'invalid', detail: 'the signed status is not a certificate status statement (status_malformed)' };
  const status = parsed.data;
  if (status.certificateId !== certificate.certificateId || status.certificateStatementDigest !== args.statementDigest) {
    return { ok: false, outcome: 'invalid', detail: 'the signed status is about another certificate (status_not_this_certificate)' };
  }
  const key = checkKeyAt(signed.keyId, args.lifetimeOf?.(signed.keyId), status.statusAt, 'status signed at');
  if (!key.ok) return { ok: false, outcome: 'invalid', detail: `status statement: ${key.detail}` };
  const age = now.getTime() - Date.parse(status.statusAt);
  if (age < -FUTURE_SKEW_MS) return { ok: false, outcome: 'invalid', detail: `the signed status is dated ${status.statusAt}, in the future (status_from_future)` };
  if (status.status === 'revoked') {
    return { ok: true, outcome: 'revoked', detail: `signed status of ${status.statusAt} (${formatAge(age)} old): revoked`, revocation: status.revocation! };
  }
  const maxAge = statusMaxAgeMs(certificate, args.maxStatusAgeMs);
  if (age > maxAge) {
    return {
      ok: false,
      outcome: 'invalid',
      stale: true,
      detail: `the signed status "valid" is of ${status.statusAt}, ${formatAge(age)} old, older than the ${formatAge(maxAge)} maximum (status_stale): download a fresh cert.json or use --online`,
    };
  }
  return { ok: true, outcome: 'valid', detail: `signed status of ${status.statusAt} (${formatAge(age)} old, at most ${formatAge(maxAge)} accepted): valid` };
}
