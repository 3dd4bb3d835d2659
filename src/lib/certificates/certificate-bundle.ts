// The downloadable certificate (`cert.json`) and its offline verification. Pure and DB-free: the API's
// verify endpoint and `npubench verify` run the same checks, so a certificate verifies the same way
// with or without our servers.
import { createHash } from 'node:crypto';
import { verifyStatement, type DsseEnvelope } from '../crypto/dsse.js';
import { verifyLogInclusion, type LogInclusionProof } from '../crypto/log-inclusion.js';
import type { KeyResolver } from '../crypto/signing-keys.js';
import { parseCanonicalJson } from '../crypto/canonical-json.js';
import { checkIssuer } from './certificate-issuer.js';

export {
  CERTIFICATE_PREDICATE_TYPE,
  CERTIFICATE_BUNDLE_FORMAT,
  certificateBundleSchema,
  certificatePredicateSchema,
  type CertificateBundle,
  type CertificatePredicate,
  type IssuanceLogEntry,
  type RevocationLogEntry,
} from './certificate-schema.js';
import {
  CERTIFICATE_PREDICATE_TYPE,
  CERTIFICATE_BUNDLE_FORMAT,
  certificateBundleSchema,
  certificatePredicateSchema,
  type CertificatePredicate,
  type IssuanceLogEntry,
  type RevocationLogEntry,
} from './certificate-schema.js';

export const statementDigestOf = (envelope: Pick<DsseEnvelope, 'payload'>) => createHash('sha256').update(Buffer.from(envelope.payload, 'base64')).digest('hex');

export type CertificateStatus = 'valid' | 'revoked' | 'expired' | 'invalid';

export interface CertificateVerification {
  status: CertificateStatus;
  /** One line per check, in the order a person would read them. */
  checks: { check: 'format' | 'signature' | 'issuer' | 'expiry' | 'log_inclusion' | 'revocation'; ok: boolean; detail: string }[];
  certificate?: CertificatePredicate;
  keyId?: string;
}

function decodeLeaf(proof: LogInclusionProof): unknown {
  try {
    return parseCanonicalJson(Buffer.from(proof.leaf, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * Verifies a certificate bundle: the DSSE signature against the given keys, the issuer the statement
 * names against that key and against `trustedIssuer` (the trust root's issuer URL, when it names one),
 * the expiry against `now`, the issuance's inclusion in the signed transparency log, and any revocation the bundle carries.
 * Never throws on hostile input.
 */
export function verifyCertificateBundle(input: unknown, resolveKey: KeyResolver, now = new Date(), trustedIssuer?: string): CertificateVerification {
  const checks: CertificateVerification['checks'] = [];
  const bundle = certificateBundleSchema.safeParse(input);
  if (!bundle.success) {
    checks.push({ check: 'format', ok: false, detail: `not an ${CERTIFICATE_BUNDLE_FORMAT} document` });
    return { status: 'invalid', checks };
  }
  const { envelope, issuance, revocation, certificateId } = bundle.data;
  checks.push({ check: 'format', ok: true, detail: CERTIFICATE_BUNDLE_FORMAT });

  const signed = verifyStatement(envelope, resolveKey, CERTIFICATE_PREDICATE_TYPE);
  const predicate = signed.ok ? certificatePredicateSchema.safeParse(signed.statement.predicate) : undefined;
  if (!signed.ok || !predicate?.success || predicate.data.certificateId !== certificateId) {
    checks.push({ check: 'signature', ok: false, detail: signed.ok ? 'the signed statement is not this certificate' : `signature check failed: ${signed.reason}` });
    return { status: 'invalid', checks };
  }
  const certificate = predicate.data;
  checks.push({ check: 'signature', ok: true, detail: `Ed25519 signature by key ${signed.keyid}` });

  const issuer = checkIssuer(certificate, signed.keyid, trustedIssuer);
  checks.push({ check: 'issuer', ...issuer });
  if (!issuer.ok) return { status: 'invalid', checks, certificate, keyId: signed.keyid };

  const expired = new Date(certificate.expiresAt).getTime() <= now.getTime();
  checks.push({ check: 'expiry', ok: !expired, detail: `${expired ? 'expired' : 'valid until'} ${certificate.expiresAt}` });

  const digest = statementDigestOf(envelope);
  const included = verifyLogInclusion(issuance.inclusionProof, issuance.signedTreeHead, resolveKey);
  const leaf = decodeLeaf(issuance.inclusionProof) as IssuanceLogEntry | undefined;
  const leafMatches = leaf?.kind === 'certificate.issued' && leaf.certificateId === certificateId && leaf.entry?.statementDigest === digest;
  if (!included.ok || !leafMatches) {
    checks.push({ check: 'log_inclusion', ok: false, detail: included.ok ? 'the logged entry is not this certificate' : `not proven in the log: ${included.reason}` });
    return { status: 'invalid', checks, certificate, keyId: signed.keyid };
  }
  checks.push({ check: 'log_inclusion', ok: true, detail: `entry ${issuance.inclusionProof.index} of a signed log of ${included.treeHead.treeSize}` });

  if (revocation) {
    const revoked = verifyLogInclusion(revocation.inclusionProof, revocation.signedTreeHead, resolveKey);
    const entry = decodeLeaf(revocation.inclusionProof) as RevocationLogEntry | undefined;
    if (revoked.ok && entry?.kind === 'certificate.revoked' && entry.certificateId === certificateId) {
      checks.push({ check: 'revocation', ok: false, detail: `revoked ${entry.entry.revokedAt}: ${entry.entry.reason}` });
      return { status: 'revoked', checks, certificate, keyId: signed.keyid };
    }
    checks.push({ check: 'revocation', ok: false, detail: 'the bundle carries a revocation that does not verify' });
    return { status: 'invalid', checks, certificate, keyId: signed.keyid };
  }
  checks.push({ check: 'revocation', ok: true, detail: 'no revocation in this bundle' });
  return { status: expired ? 'expired' : 'valid', checks, certificate, keyId: signed.keyid };
}
