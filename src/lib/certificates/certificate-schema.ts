// The certificate bundle (`cert.json`) and certificate statement formats as zod schemas. No Node
// imports: the dashboard's in-browser verifier (src/dashboard/src/verify) parses with these same schemas.
import { z } from 'zod';

export const CERTIFICATE_PREDICATE_TYPE = 'https://npubench.dev/attestations/certificate/v1';
export const CERTIFICATE_BUNDLE_FORMAT = 'npubench.certificate-bundle/v1';

const envelopeShape = z.object({ payload: z.string(), payloadType: z.string(), signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })) });
const inclusionShape = z.strictObject({ leaf: z.string(), index: z.int().min(0), treeSize: z.int().min(1), hashes: z.array(z.string()) });
const logProofShape = z.strictObject({ inclusionProof: inclusionShape, signedTreeHead: envelopeShape });

export const certificateBundleSchema = z.strictObject({
  format: z.literal(CERTIFICATE_BUNDLE_FORMAT),
  certificateId: z.uuid(),
  /** DSSE envelope over the certificate's in-toto statement. */
  envelope: envelopeShape,
  /** Inclusion of the issuance in the transparency log, under a signed tree head. */
  issuance: logProofShape,
  /** Present when the certificate was revoked before this bundle was downloaded. */
  revocation: logProofShape.optional(),
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

export const certificatePredicateSchema = z.strictObject({
  certificateId: z.uuid(),
  issuer: issuerShape,
  certifier: certifierShape,
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
});

export type CertificatePredicate = z.infer<typeof certificatePredicateSchema>;

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
