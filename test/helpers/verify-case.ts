// How every caller runs the certificate verifier: the trust root parsed, then the bundle checked
// against it. Node-free, so the Chromium test bundles this file into the page as it is and both
// runtimes verify through the same lines.
import { logKeyFromVkey, trustedKeysFromJwks, verifyCertificateBundle, type CertificateVerification } from '../../src/lib/certificates/certificate-verifier.js';

/** What a verifier is given: the bundle and the trust root, all JSON. */
export interface CaseInput {
  bundle: unknown;
  /** The trust root's key set. */
  jwks: unknown;
  /** The pinned log key's vkey; null: none pinned. */
  vkey: string | null;
  /** The trust root's issuer URL. */
  issuer: string;
  /** When the check runs (ISO). */
  now: string;
  maxStatusAgeMs?: number;
}

export async function verifyCase(c: CaseInput): Promise<CertificateVerification> {
  return verifyCertificateBundle(c.bundle, await trustedKeysFromJwks(c.jwks), c.vkey === null ? undefined : await logKeyFromVkey(c.vkey), new Date(c.now), c.issuer, { maxStatusAgeMs: c.maxStatusAgeMs });
}
