// The downloadable certificate (`cert.json`) on the issuing side: its formats (certificate-schema.ts)
// and the digest that names a signed statement in the log and in the status. Verification is
// certificate-verifier.ts, one Node-free module that the CLI, the API and the dashboard share.
import { createHash } from 'node:crypto';
import type { DsseEnvelope } from '../crypto/dsse.js';

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

/** sha256 (hex) of a signed statement's bytes; the verifier computes the same with crypto.subtle. */
export const statementDigestOf = (envelope: Pick<DsseEnvelope, 'payload'>) => createHash('sha256').update(Buffer.from(envelope.payload, 'base64')).digest('hex');
