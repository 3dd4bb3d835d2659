// Who issued a certificate and who certified it, as its signed statement says, and the check of that
// against the verifier's trust root. No Node imports: the dashboard's in-browser verifier uses this
// same code, so both verifiers word the issuer check identically.
import type { CertificateContent, CertificatePredicate } from './certificate-schema.js';

/** An issuer's base URL: http(s) only, no credentials, query or fragment, no trailing slash; origin
 *  lower-cased by URL parsing. A path is kept (a service published under a prefix). */
export function normaliseIssuerUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new Error(`not an issuer URL: ${input} (expected e.g. https://lab.example)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`an issuer URL must be http(s): ${input}`);
  if (url.username || url.password) throw new Error(`an issuer URL must not carry credentials: ${input}`);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path}`;
}

/** The normalised issuer URL, or undefined when the statement's URL is not one. */
function issuerUrlOrUndefined(url: string): string | undefined {
  try {
    return normaliseIssuerUrl(url);
  } catch {
    return undefined;
  }
}

/** "Example Lab (https://lab.example)"; a legacy certificate's statement names none. */
export const issuerLabel = (issuer: CertificatePredicate['issuer'] | undefined) => (issuer ? `${issuer.name} (${issuer.url})` : 'an issuer the statement does not name (legacy certificate)');

/** Who certified: a lab key holder, or the service under an automatic-issue profile. */
export function certifierLabel(certifier: CertificatePredicate['certifier'] | undefined): string {
  if (!certifier) return 'a certifier the statement does not name (legacy certificate)';
  return certifier.kind === 'api_key'
    ? `${certifier.name} of ${certifier.organization.name} (API key ${certifier.keyId})`
    : `the lab's service, automatically under profile ${certifier.profileId}`;
}

/**
 * The issuer check, after the signature verified with `signingKeyId`: the statement must name that key
 * as its issuer's, and, when the trust root names an issuer (trust store, --issuer, the page's own
 * service), that issuer's URL. A trust root that is only a key set (--jwks) proves the keys, not the
 * URL: the check then says the URL is as the statement states it.
 */
export function checkIssuer(certificate: CertificateContent, signingKeyId: string, trustedIssuer?: string): { ok: boolean; detail: string } {
  const { issuer } = certificate;
  // A legacy statement names no issuer: it proves only that a key of the trust root signed it.
  if (!issuer) return { ok: true, detail: `legacy certificate (v1 statement) naming no issuer: it proves only that key ${signingKeyId} of the trust root signed it` };
  if (issuer.keyId !== signingKeyId) return { ok: false, detail: `the statement names key ${issuer.keyId} as ${issuerLabel(issuer)}'s, but key ${signingKeyId} signed it` };
  if (trustedIssuer === undefined) return { ok: true, detail: `${issuerLabel(issuer)}, as the signed statement names it (the trust root is a key set and names no issuer URL)` };
  const named = issuerUrlOrUndefined(issuer.url);
  const trusted = normaliseIssuerUrl(trustedIssuer);
  if (named !== trusted) return { ok: false, detail: `issued by ${issuerLabel(issuer)}, not by the trusted issuer ${trusted}` };
  return { ok: true, detail: `${issuerLabel(issuer)}, the trusted issuer` };
}
