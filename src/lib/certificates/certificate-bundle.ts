// The downloadable certificate (`cert.json`) and its offline verification. Pure and DB-free: the API's
// verify endpoint and `npubench verify` run the same checks, so a certificate verifies the same way
// with or without our servers.
import { createHash } from 'node:crypto';
import { verifyStatement, type DsseEnvelope } from '../crypto/dsse.js';
import { verifyLogInclusion, type LogInclusionProof } from '../crypto/log-inclusion.js';
import type { KeyResolver } from '../crypto/signing-keys.js';
import type { NoteVerifierKey } from '../crypto/signed-note.js';
import { parseCanonicalJson } from '../crypto/canonical-json.js';
import { checkIssuer } from './certificate-issuer.js';
import { checkKeyAt } from '../crypto/key-lifetime.js';
import { checkStatusStatement, type SignedStatus } from './certificate-status.js';

export {
  CERTIFICATE_PREDICATE_TYPE,
  CERTIFICATE_STATUS_PREDICATE_TYPE,
  LEGACY_CERTIFICATE_PREDICATE_TYPE,
  CERTIFICATE_BUNDLE_FORMAT,
  certificateBundleSchema,
  certificatePredicateSchema,
  NO_LOG_KEY_DETAIL,
  parseCertificatePredicate,
  type CertificateBundle,
  type CertificateContent,
  type CertificatePredicate,
  type CertificateStatusPredicate,
  type IssuanceLogEntry,
  type RevocationLogEntry,
} from './certificate-schema.js';
import {
  CERTIFICATE_BUNDLE_FORMAT,
  certificateBundleSchema,
  NO_LOG_KEY_DETAIL,
  parseCertificatePredicate,
  type CertificateContent,
  type IssuanceLogEntry,
  type RevocationLogEntry,
} from './certificate-schema.js';

export const statementDigestOf = (envelope: Pick<DsseEnvelope, 'payload'>) => createHash('sha256').update(Buffer.from(envelope.payload, 'base64')).digest('hex');

export type CertificateStatus = 'valid' | 'revoked' | 'expired' | 'invalid';

export interface CertificateVerification {
  status: CertificateStatus;
  /** One line per check, in the order a person would read them. */
  checks: { check: 'format' | 'signature' | 'key' | 'issuer' | 'expiry' | 'log_inclusion' | 'status' | 'revocation'; ok: boolean; detail: string }[];
  certificate?: CertificateContent;
  keyId?: string;
}

export interface VerifyPolicy {
  /** Offline, a "valid" status older than this fails (--max-status-age); default: what the certificate states. */
  maxStatusAgeMs?: number | undefined;
}

function decodeLeaf(proof: LogInclusionProof): unknown {
  try {
    return parseCanonicalJson(Buffer.from(proof.leaf, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * Verifies a certificate bundle: the DSSE signature against the given report keys, the issuer the
 * statement names against that key and against `trustedIssuer` (the trust root's issuer URL, when it
 * names one), the expiry against `now`, the issuance's inclusion under a checkpoint signed by the pinned
 * log key (none pinned: INVALID), and any revocation the bundle carries. Never throws on hostile input.
 */
export function verifyCertificateBundle(
  input: unknown,
  resolveKey: KeyResolver,
  logKey: NoteVerifierKey | undefined,
  now = new Date(),
  trustedIssuer?: string,
  policy: VerifyPolicy = {},
): CertificateVerification {
  const checks: CertificateVerification['checks'] = [];
  const bundle = certificateBundleSchema.safeParse(input);
  if (!bundle.success) {
    checks.push({ check: 'format', ok: false, detail: `not an ${CERTIFICATE_BUNDLE_FORMAT} document` });
    return { status: 'invalid', checks };
  }
  const { envelope, issuance, revocation, certificateId } = bundle.data;
  checks.push({ check: 'format', ok: true, detail: CERTIFICATE_BUNDLE_FORMAT });

  const signed = verifyStatement(envelope, resolveKey);
  const certificate = signed.ok ? parseCertificatePredicate(signed.statement.predicateType, signed.statement.predicate) : undefined;
  if (!signed.ok || !certificate || certificate.certificateId !== certificateId) {
    checks.push({ check: 'signature', ok: false, detail: signed.ok ? 'the signed statement is not this certificate' : `signature check failed: ${signed.reason}` });
    return { status: 'invalid', checks };
  }
  checks.push({ check: 'signature', ok: true, detail: `Ed25519 signature by key ${signed.keyid}${certificate.legacy ? ' (legacy v1 statement)' : ''}` });

  // The statement's own time is when its key signed it; a key signs only inside its window.
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
  const digest = statementDigestOf(envelope);
  const included = verifyLogInclusion(issuance.inclusionProof, issuance.checkpoint, logKey);
  const leaf = decodeLeaf(issuance.inclusionProof) as IssuanceLogEntry | undefined;
  const leafMatches = leaf?.kind === 'certificate.issued' && leaf.certificateId === certificateId && leaf.entry?.statementDigest === digest;
  if (!included.ok || !leafMatches) {
    checks.push({ check: 'log_inclusion', ok: false, detail: included.ok ? 'the logged entry is not this certificate' : `not proven in the log: ${included.reason}` });
    return { status: 'invalid', checks, certificate, keyId: signed.keyid };
  }
  checks.push({ check: 'log_inclusion', ok: true, detail: `entry ${issuance.inclusionProof.index} of ${included.checkpoint.treeSize} under a checkpoint of ${included.checkpoint.origin}` });

  let signedStatus: SignedStatus;
  if (bundle.data.status) {
    const verified = verifyStatement(bundle.data.status, resolveKey);
    signedStatus = verified.ok ? { ok: true, keyId: verified.keyid, predicateType: verified.statement.predicateType, predicate: verified.statement.predicate } : { ok: false, reason: verified.reason };
  }
  const status = checkStatusStatement({ certificate, statementDigest: digest, signed: signedStatus, lifetimeOf: resolveKey.lifetimeOf, now, maxStatusAgeMs: policy.maxStatusAgeMs });
  checks.push({ check: 'status', ok: status.ok, detail: status.detail });
  if (status.outcome === 'invalid' && !(status.stale && expired)) return { status: 'invalid', checks, certificate, keyId: signed.keyid };

  if (revocation) {
    const revoked = verifyLogInclusion(revocation.inclusionProof, revocation.checkpoint, logKey);
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
