// Certificates as the API answers them: the downloadable bundle (cert.json), the list, and the online
// verification. The bundle and the signed statement's predicate are the formats `npubench verify` and
// the dashboard's verifier parse (certificate-schema.ts, zod only), so the API answers through them.
import { z } from 'zod';
import { certificateBundleSchema, certificateContentSchema } from '../lib/certificates/certificate-schema.js';
import { pageOf, rowId, timestamp } from './common.js';
import { ruleOutcomeSchema } from './profiles.js';

export const issueCertificateInput = z.strictObject({ reportId: z.uuid(), profileId: z.string().min(3).max(80) });
export const revokeCertificateInput = z.strictObject({ reason: z.string().min(3).max(1000) });

export const certificateBundleResponse = certificateBundleSchema
  .describe('The certificate bundle (cert.json): the signed statement with its transparency-log proofs, verifiable offline')
  .meta({ id: 'CertificateBundle' });
export type { CertificateBundle, CertificatePredicate } from '../lib/certificates/certificate-schema.js';

export const keyFigureSchema = z.object({ label: z.string(), value: z.string() });

export const certificateSummarySchema = z
  .object({
    id: rowId,
    reportId: rowId,
    profileId: z.string(),
    orgId: rowId,
    deviceId: rowId,
    evaluation: z.array(ruleOutcomeSchema),
    keyFigures: z.array(keyFigureSchema),
    issuedAt: timestamp,
    expiresAt: timestamp,
    logIndex: z.int().describe('Position of the issuance in the transparency log'),
    issuedByKeyId: rowId.nullable().describe('The API key that issued it; null when a profile issued it automatically'),
    revokedAt: timestamp.nullable(),
    revocationReason: z.string().nullable(),
    createdAt: timestamp,
    device: z.object({ slug: z.string(), name: z.string() }),
    org: z.object({ name: z.string() }),
  })
  .describe('A certificate as listed: its record without the signed envelope (download the bundle for that)')
  .meta({ id: 'CertificateSummary' });
export type CertificateSummary = z.infer<typeof certificateSummarySchema>;

export const certificatePageSchema = pageOf(certificateSummarySchema, 'CertificatePage');
export type CertificatePage = z.infer<typeof certificatePageSchema>;

export const CERTIFICATE_STATUSES = ['valid', 'revoked', 'expired', 'invalid'] as const;

export const certificateVerificationSchema = z
  .object({
    certificateId: rowId,
    status: z.enum(CERTIFICATE_STATUSES),
    checks: z
      .array(z.object({ check: z.string().describe('format, signature, key, issuer, rules, expiry, log_inclusion, status or revocation'), ok: z.boolean(), detail: z.string() }))
      .describe('One line per check, in the order a person reads them'),
    certificate: certificateContentSchema.optional().describe('The signed statement\'s predicate, once its signature checked; `legacy` for a v1 statement (no issuer or certifier)'),
    keyId: z.string().optional(),
    rules: z
      .array(ruleOutcomeSchema.extend({ signedPassed: z.boolean().optional().describe('The signed line\'s outcome, when the certificate signed one') }))
      .nullable()
      .optional()
      .describe('Every rule re-evaluated over the facts the certificate carries (v3); null for a statement that carries none'),
    key: z.object({ kid: z.string(), status: z.string() }).nullable().describe('The signing key as this service knows it'),
  })
  .describe('Signature, key window, issuer, re-evaluated rules, expiry, log inclusion, signed status and revocation of a certificate, checked now against this service\'s keys and log')
  .meta({ id: 'CertificateVerification' });
export type CertificateVerificationResult = z.infer<typeof certificateVerificationSchema>;
