// The certificate bundle (`cert.json`) and certificate statement formats as zod schemas. No Node
// imports: the one certificate verifier (certificate-verifier.ts), which the dashboard runs too, parses with these same schemas.
import { z } from 'zod';
import { profileRulesSchema } from '../../contracts/profiles.js';
import { ruleFactsSchema } from './rule-facts.js';

/** The certificate statement issued now: names its issuer and certifier and its status policy, and
 *  carries the profile's rules, their digest and the report facts they were evaluated on (#15 item 4). */
export const CERTIFICATE_PREDICATE_TYPE = 'https://npubench.dev/attestations/certificate/v3';
/** v2: issuer, certifier and status policy, but no rules or facts; verifies, cannot be re-evaluated. */
export const V2_CERTIFICATE_PREDICATE_TYPE = 'https://npubench.dev/attestations/certificate/v2';
/** Certificates signed before the issuer was named (#15 item 3). They still parse and verify by their
 *  old rules (signature by a trust-root key, expiry, log inclusion, revocation), shown as legacy with
 *  the issuer unknown; nothing issues them any more. */
export const LEGACY_CERTIFICATE_PREDICATE_TYPE = 'https://npubench.dev/attestations/certificate/v1';
/** Offline, a signed status older than this fails unless the verifier sets its own limit; the v2
 *  statement carries the limit its issuer chose. */
export const DEFAULT_STATUS_MAX_AGE_DAYS = 30;
// Bundle v2: log proofs are under C2SP checkpoints signed by the log key (v1 had DSSE tree heads by the
// report key and no longer parses; the API re-bundles every stored certificate on download). The bundle
// format and the statement's predicate type are versioned apart: a v2 bundle carries a v1 or v2 statement.
export const CERTIFICATE_BUNDLE_FORMAT = 'npubench.certificate-bundle/v2';

const envelopeShape = z.object({ payload: z.string(), payloadType: z.string(), signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })) });
const inclusionShape = z.strictObject({ leaf: z.string(), index: z.int().min(0), treeSize: z.int().min(1), hashes: z.array(z.string()) });
/** `checkpoint` is the signed note (c2sp.org/tlog-checkpoint) of the tree the proof is for. */
const logProofShape = z.strictObject({ inclusionProof: inclusionShape, checkpoint: z.string().max(16_384) });

export const certificateBundleSchema = z.strictObject({
  format: z.literal(CERTIFICATE_BUNDLE_FORMAT),
  certificateId: z.uuid(),
  /** DSSE envelope over the certificate's in-toto statement. */
  envelope: envelopeShape,
  /** Inclusion of the issuance in the transparency log, under a checkpoint signed by the log key. */
  issuance: logProofShape,
  /** Present when the certificate was revoked before this bundle was downloaded. */
  revocation: logProofShape.optional(),
  /** DSSE envelope over the certificate's status statement, signed when the bundle was downloaded. */
  status: envelopeShape.optional(),
  /** The signed report statement the certificate names, when the report is public: the verifier checks
   *  the certificate's embedded facts against its figures. */
  report: z.strictObject({ envelope: envelopeShape }).optional(),
  verificationUrl: z.url(),
  jwksUrl: z.url(),
});

export type CertificateBundle = z.infer<typeof certificateBundleSchema>;

/** The lab that issued the certificate: its configured name and public URL, and the key that signed it. */
const issuerShape = z.strictObject({ name: z.string().min(1), url: z.url(), keyId: z.string().min(1) });
/** Who certified: a lab API key (its id and name, and its lab organization), or the service itself
 *  under a profile that issues automatically. */
const certifierShape = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('api_key'), keyId: z.uuid(), name: z.string(), organization: z.strictObject({ id: z.uuid(), name: z.string() }) }),
  z.strictObject({ kind: z.literal('automatic'), profileId: z.string() }),
]);

/** The log_inclusion detail when the verifier was given no log key: the proof cannot be checked, so it fails. */
export const NO_LOG_KEY_DETAIL = "no trusted log key: the log proof cannot be checked (pin the issuer's log key: npubench trust add, or --log-key)";

const certificateBody = {
  certificateId: z.uuid(),
  verdict: z.literal('PASS'),
  profile: z.strictObject({ id: z.string(), title: z.string() }),
  evaluation: z.array(z.strictObject({ rule: z.string(), passed: z.boolean(), expected: z.string(), actual: z.string(), reason: z.string() })),
  keyFigures: z.array(z.strictObject({ label: z.string(), value: z.string() })),
  device: z.strictObject({ slug: z.string(), name: z.string(), manufacturer: z.string(), soc: z.string().nullable(), npu: z.string().nullable() }),
  vendor: z.strictObject({ orgId: z.uuid(), name: z.string() }),
  model: z.strictObject({ name: z.string(), version: z.string(), sha256: z.string() }),
  runtime: z.string(),
  report: z.strictObject({ id: z.uuid(), statementDigest: z.string(), url: z.string() }),
  issuedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
};

const v2Body = {
  ...certificateBody,
  issuer: issuerShape,
  certifier: certifierShape,
  /** How old a signed status statement an offline verifier accepts by default. */
  statusMaxAgeDays: z.int().min(1).max(366),
};

/** The profile's full rule set as evaluated, and the sha256 (hex) of its RFC 8785 form, so two
 *  certificates under the same rules can be seen to be, whatever the profile's name. */
export const embeddedRuleSetSchema = z.strictObject({ rules: profileRulesSchema, digest: z.string().regex(/^[0-9a-f]{64}$/) });

/** What the certificate certified: the suite workload and division it ran as, or a model of its own
 *  (suite null). Optional so v3 statements issued before it still parse. */
export const certifiedWorkloadSchema = z.strictObject({
  id: z.string(),
  label: z.string(),
  suite: z.strictObject({ id: z.string(), digest: z.string(), workload: z.string() }).nullable(),
  division: z.enum(['closed', 'open']),
  /** Why the division is what it is (e.g. the measured quality against the target). */
  note: z.string(),
});

export const certificatePredicateSchema = z.strictObject({
  ...v2Body,
  workload: certifiedWorkloadSchema.optional(),
  ruleSet: embeddedRuleSetSchema,
  /** The report facts every rule read (src/lib/certificates/rule-facts.ts); re-evaluating the rules over
   *  them must give the signed evaluation. */
  facts: ruleFactsSchema,
});

export const v2CertificatePredicateSchema = z.strictObject(v2Body);

/** The v1 statement: no issuer or certifier (certificates issued between #15 item 3 and the v2 type
 *  carry them under v1, hence optional), no status policy. */
export const legacyCertificatePredicateSchema = z.strictObject({
  ...certificateBody,
  issuer: issuerShape.optional(),
  certifier: certifierShape.optional(),
});

export type CertificatePredicate = z.infer<typeof certificatePredicateSchema>;
export type V2CertificatePredicate = z.infer<typeof v2CertificatePredicateSchema>;
export type LegacyCertificatePredicate = z.infer<typeof legacyCertificatePredicateSchema>;

/** A parsed certificate statement of any version; `legacy` ones (v1) are read-only; `ruleSet` and
 *  `facts` are there from v3 on. */
export const certificateContentSchema = z.discriminatedUnion('legacy', [
  certificatePredicateSchema.partial({ ruleSet: true, facts: true }).extend({ legacy: z.literal(false) }),
  legacyCertificatePredicateSchema.extend({ legacy: z.literal(true) }),
]);
export type CertificateContent = z.infer<typeof certificateContentSchema>;

/** Parses a statement's predicate by its predicate type; undefined for any other type or shape. */
export function parseCertificatePredicate(predicateType: unknown, predicate: unknown): CertificateContent | undefined {
  if (predicateType === CERTIFICATE_PREDICATE_TYPE) {
    const parsed = certificatePredicateSchema.safeParse(predicate);
    return parsed.success ? { legacy: false, ...parsed.data } : undefined;
  }
  if (predicateType === V2_CERTIFICATE_PREDICATE_TYPE) {
    const parsed = v2CertificatePredicateSchema.safeParse(predicate);
    return parsed.success ? { legacy: false, ...parsed.data } : undefined;
  }
  if (predicateType === LEGACY_CERTIFICATE_PREDICATE_TYPE) {
    const parsed = legacyCertificatePredicateSchema.safeParse(predicate);
    return parsed.success ? { legacy: true, ...parsed.data } : undefined;
  }
  return undefined;
}

/** The signed status statement (#15 item 5): valid, or revoked with its reason, at `statusAt`. A
 *  bundle carries a fresh one from each download; offline it counts only while younger than the max age. */
export const CERTIFICATE_STATUS_PREDICATE_TYPE = 'https://npubench.dev/attestations/certificate-status/v1';

export const certificateStatusPredicateSchema = z
  .strictObject({
    certificateId: z.uuid(),
    /** sha256 (hex) of the certificate's signed statement, so a status cannot be moved to another. */
    certificateStatementDigest: z.string().regex(/^[0-9a-f]{64}$/),
    status: z.enum(['valid', 'revoked']),
    revocation: z.strictObject({ reason: z.string(), revokedAt: z.iso.datetime() }).optional(),
    statusAt: z.iso.datetime(),
  })
  .refine((s) => (s.status === 'revoked') === (s.revocation !== undefined), 'a revoked status carries its revocation, a valid one none');

export type CertificateStatusPredicate = z.infer<typeof certificateStatusPredicateSchema>;

/** What the transparency log records for an issuance and a revocation. */
export interface IssuanceLogEntry {
  kind: 'certificate.issued';
  certificateId: string;
  entry: { statementDigest: string; profileId: string; reportId: string; issuedAt: string; expiresAt: string };
}
export interface RevocationLogEntry {
  kind: 'certificate.revoked';
  certificateId: string;
  entry: { reason: string; revokedAt: string };
}
