// The one verifier of a certificate bundle (`cert.json`): `npubench verify`, the API's verify endpoint
// and the dashboard run this module, on WebCrypto (../crypto/web-verify.ts), so a certificate verifies
// the same way with or without our servers, in a terminal or a browser. No Node imports; never throws on
// hostile input. The checks run as steps in the order a person reads them (docs/certification.md,
// "Offline verification"); each step adds one line and may end the verification with a verdict.
import { decodeLogLeaf, hex, sha256, utf8, verifyLogInclusion, verifyStatementEnvelope, type LogKey, type TrustedKeys } from '../crypto/web-verify.js';
import { checkKeyAt } from '../crypto/key-lifetime.js';
import { checkIssuer } from './certificate-issuer.js';
import { rulesCheckOf, ruleSetDigestInput, type CheckedReportStatement, type RecheckedRule } from './certificate-rules-check.js';
import { checkStatusStatement, type SignedStatus, type StatusCheck } from './certificate-status.js';
import {
  CERTIFICATE_BUNDLE_FORMAT,
  certificateBundleSchema,
  NO_LOG_KEY_DETAIL,
  parseCertificatePredicate,
  type CertificateBundle,
  type CertificateContent,
  type IssuanceLogEntry,
  type RevocationLogEntry,
} from './certificate-schema.js';

export { logKeyFromVkey, trustedKeysFromJwks, type LogKey, type TrustedKeys } from '../crypto/web-verify.js';

export type CertificateStatus = 'valid' | 'revoked' | 'expired' | 'invalid';
export type CheckName = 'format' | 'signature' | 'key' | 'issuer' | 'rules' | 'expiry' | 'log_inclusion' | 'status' | 'revocation';
export interface CheckLine {
  check: CheckName;
  ok: boolean;
  detail: string;
}

export interface CertificateVerification {
  status: CertificateStatus;
  /** One line per check, in the order a person would read them. */
  checks: CheckLine[];
  certificate?: CertificateContent;
  keyId?: string;
  /** Every rule re-evaluated over the embedded facts (v3 statements), for --explain and the page. */
  rules?: RecheckedRule[] | null;
}

export interface VerifyPolicy {
  /** Offline, a "valid" status older than this fails (--max-status-age); default: what the certificate states. */
  maxStatusAgeMs?: number | undefined;
  /** The certificate's signed report statement (a DSSE envelope) given beside a bundle that does not
   *  carry it (npubench verify --report): the embedded facts are checked against its figures. */
  reportEnvelope?: unknown;
}

/** What the steps after the signature know: the verified statement and what earlier steps found. */
interface Verified {
  bundle: CertificateBundle;
  certificate: CertificateContent;
  keyId: string;
  /** sha256 (hex) of the signed statement's bytes: what the log and the status name. */
  statementDigest: string;
  keys: TrustedKeys;
  logKey: LogKey | undefined;
  now: Date;
  trustedIssuer: string | undefined;
  policy: VerifyPolicy;
  expired?: boolean;
  status?: StatusCheck;
  rules?: RecheckedRule[] | null;
}

/** A step's line, and the verdict when it ends the verification there. */
type StepResult = CheckLine & { verdict?: CertificateStatus };
type Step = (v: Verified) => StepResult | Promise<StepResult>;

// The statement's own time is when its key signed it; a key signs only inside its window.
const keyStep: Step = ({ keyId, keys, certificate }) => {
  const { ok, detail } = checkKeyAt(keyId, keys.lifetimeOf(keyId), certificate.issuedAt, 'certificate issued at');
  return { check: 'key', ok, detail, ...(!ok && { verdict: 'invalid' }) };
};

const issuerStep: Step = ({ certificate, keyId, trustedIssuer }) => {
  const issuer = checkIssuer(certificate, keyId, trustedIssuer);
  return { check: 'issuer', ...issuer, ...(!issuer.ok && { verdict: 'invalid' }) };
};

// The verdict re-evaluated from the rules and facts the statement carries, and those facts against the
// signed report statement when it is at hand; a lab's signature alone does not make a PASS.
const rulesStep: Step = async (v) => {
  const input = ruleSetDigestInput(v.certificate);
  const rulesDigest = input === null ? null : hex(await sha256(utf8(input)));
  const envelope = v.bundle.report?.envelope ?? v.policy.reportEnvelope;
  let report: CheckedReportStatement | undefined;
  if (envelope !== undefined) {
    const signed = await verifyStatementEnvelope(envelope, v.keys);
    report = signed.ok ? { ok: true, statement: signed.statement, digest: hex(await sha256(signed.payload)) } : { ok: false, reason: signed.reason };
  }
  const check = rulesCheckOf(v.certificate, rulesDigest, report);
  v.rules = check.rules;
  return { check: 'rules', ok: check.ok, detail: check.detail, ...(!check.ok && { verdict: 'invalid' }) };
};

// Not a verdict yet: an expired certificate still gets its log and status checked.
const expiryStep: Step = (v) => {
  v.expired = new Date(v.certificate.expiresAt).getTime() <= v.now.getTime();
  return { check: 'expiry', ok: !v.expired, detail: `${v.expired ? 'expired' : 'valid until'} ${v.certificate.expiresAt}` };
};

const logInclusionStep: Step = async ({ bundle, logKey, statementDigest }) => {
  if (!logKey) return { check: 'log_inclusion', ok: false, detail: NO_LOG_KEY_DETAIL, verdict: 'invalid' };
  const { issuance, certificateId } = bundle;
  const included = await verifyLogInclusion(issuance.inclusionProof, issuance.checkpoint, logKey);
  const leaf = decodeLogLeaf(issuance.inclusionProof) as IssuanceLogEntry | undefined;
  const leafMatches = leaf?.kind === 'certificate.issued' && leaf.certificateId === certificateId && leaf.entry?.statementDigest === statementDigest;
  if (!included.ok || !leafMatches) {
    return { check: 'log_inclusion', ok: false, detail: included.ok ? 'the logged entry is not this certificate' : `not proven in the log: ${included.reason}`, verdict: 'invalid' };
  }
  return { check: 'log_inclusion', ok: true, detail: `entry ${issuance.inclusionProof.index} of ${included.checkpoint.treeSize} under a checkpoint of ${included.checkpoint.origin}` };
};

const statusStep: Step = async (v) => {
  let signed: SignedStatus;
  if (v.bundle.status) {
    const verified = await verifyStatementEnvelope(v.bundle.status, v.keys);
    signed = verified.ok ? { ok: true, keyId: verified.keyid, predicateType: verified.statement.predicateType, predicate: verified.statement.predicate } : { ok: false, reason: verified.reason };
  }
  const status = checkStatusStatement({ certificate: v.certificate, statementDigest: v.statementDigest, signed, lifetimeOf: v.keys.lifetimeOf, now: v.now, maxStatusAgeMs: v.policy.maxStatusAgeMs });
  v.status = status;
  // Only too old, on an expired certificate: it stays "expired" rather than "invalid".
  const ends = status.outcome === 'invalid' && !(status.stale && v.expired);
  return { check: 'status', ok: status.ok, detail: status.detail, ...(ends && { verdict: 'invalid' }) };
};

const revocationStep: Step = async ({ bundle, logKey, status }) => {
  const { revocation, certificateId } = bundle;
  if (revocation && logKey) {
    const revoked = await verifyLogInclusion(revocation.inclusionProof, revocation.checkpoint, logKey);
    const entry = decodeLogLeaf(revocation.inclusionProof) as RevocationLogEntry | undefined;
    if (revoked.ok && entry?.kind === 'certificate.revoked' && entry.certificateId === certificateId) {
      return { check: 'revocation', ok: false, detail: `revoked ${entry.entry.revokedAt}: ${entry.entry.reason}`, verdict: 'revoked' };
    }
    return { check: 'revocation', ok: false, detail: 'the bundle carries a revocation that does not verify', verdict: 'invalid' };
  }
  if (status?.outcome === 'revoked' && status.revocation) {
    return { check: 'revocation', ok: false, detail: `revoked ${status.revocation.revokedAt}: ${status.revocation.reason} (as the signed status says)`, verdict: 'revoked' };
  }
  return { check: 'revocation', ok: true, detail: 'no revocation in this bundle' };
};

/** The checks after the signature, in order. A step that re-checks more of the signed statement (for
 *  instance its embedded rules) goes in here; the signature and format come first because every other
 *  step reads what they verified. */
const STEPS: readonly Step[] = [keyStep, issuerStep, rulesStep, expiryStep, logInclusionStep, statusStep, revocationStep];

/**
 * Verifies a certificate bundle: the DSSE signature against the trust root's keys `keys`, the signing
 * key's lifetime, the issuer the statement names against that key and against `trustedIssuer` (the
 * trust root's issuer URL, when it names one), the expiry against `now`, the issuance's inclusion under
 * a checkpoint signed by the pinned log key (none pinned: INVALID), the signed status and any revocation.
 */
export async function verifyCertificateBundle(
  input: unknown,
  keys: TrustedKeys,
  logKey: LogKey | undefined,
  now = new Date(),
  trustedIssuer?: string,
  policy: VerifyPolicy = {},
): Promise<CertificateVerification> {
  const checks: CheckLine[] = [];
  const parsed = certificateBundleSchema.safeParse(input);
  if (!parsed.success) {
    checks.push({ check: 'format', ok: false, detail: `not an ${CERTIFICATE_BUNDLE_FORMAT} document` });
    return { status: 'invalid', checks };
  }
  const bundle = parsed.data;
  checks.push({ check: 'format', ok: true, detail: CERTIFICATE_BUNDLE_FORMAT });

  const signed = await verifyStatementEnvelope(bundle.envelope, keys);
  const certificate = signed.ok ? parseCertificatePredicate(signed.statement.predicateType, signed.statement.predicate) : undefined;
  if (!signed.ok || !certificate || certificate.certificateId !== bundle.certificateId) {
    checks.push({ check: 'signature', ok: false, detail: signed.ok ? 'the signed statement is not this certificate' : `signature check failed: ${signed.reason}` });
    return { status: 'invalid', checks };
  }
  checks.push({ check: 'signature', ok: true, detail: `Ed25519 signature by key ${signed.keyid}${certificate.legacy ? ' (legacy v1 statement)' : ''}` });

  const verified: Verified = { bundle, certificate, keyId: signed.keyid, statementDigest: hex(await sha256(signed.payload)), keys, logKey, now, trustedIssuer, policy };
  for (const step of STEPS) {
    const { verdict, ...line } = await step(verified);
    checks.push(line);
    if (verdict) return { status: verdict, checks, certificate, keyId: signed.keyid, ...(verified.rules !== undefined && { rules: verified.rules }) };
  }
  return { status: verified.expired ? 'expired' : 'valid', checks, certificate, keyId: signed.keyid, ...(verified.rules !== undefined && { rules: verified.rules }) };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A bundle signed by a key outside the trusted key set is not merely "unknown_key": it is not from the
 * issuer whose keys were used. Says so, naming the key that signed it; the verdict stays INVALID.
 * `issuer` words the trust root ("the trusted issuer (https://lab.example)", "this issuer (…)"), and
 * `consequence` what that means, as the CLI and the page each put it.
 */
export function attributeToIssuer(result: CertificateVerification, bundle: unknown, issuer: string, consequence = 'this certificate is not from this issuer'): CertificateVerification {
  const unknown = result.checks.find((c) => c.check === 'signature' && !c.ok && /unknown_key/.test(c.detail));
  if (!unknown) return result;
  const envelope = isRecord(bundle) ? bundle.envelope : undefined;
  const signatures = isRecord(envelope) && Array.isArray(envelope.signatures) ? (envelope.signatures as unknown[]) : [];
  const kids = signatures.map((s) => (isRecord(s) && typeof s.keyid === 'string' ? s.keyid : '?')).join(', ') || '?';
  const detail = `signed by key ${kids}, which is not a key of ${issuer}: ${consequence} (unknown_key)`;
  return { ...result, checks: result.checks.map((c) => (c === unknown ? { ...c, detail } : c)) };
}
