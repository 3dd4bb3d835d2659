// `npubench verify cert.json`: checks a certificate without our database: the signature against a JWKS
// (a file for fully offline use, or a URL), the expiry, the inclusion proof against the signed
// transparency-log head, and any revocation in the bundle. --online also fetches the certificate's
// current bundle, which carries a revocation made after the download.
import { readFile } from 'node:fs/promises';
import { networkFailure } from '../../lib/http-client.js';
import { keyResolverFromJwks, type Jwks } from '../../lib/crypto/signing-keys.js';
import { certificateBundleSchema, verifyCertificateBundle, type CertificateVerification } from '../../lib/certificates/certificate-bundle.js';

export interface VerifyOptions {
  jwks?: string;
  online?: boolean;
  json?: boolean;
}

/** A JSON document from a file or URL; `unreachable` words the advice for when the URL does not answer. */
async function readJsonSource(source: string, unreachable?: (reason: string) => string): Promise<unknown> {
  if (/^https?:\/\//.test(source)) {
    let res: Response;
    try {
      res = await fetch(source, { signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      const reason = networkFailure(err, 15_000);
      throw new Error(unreachable ? unreachable(reason) : `Cannot fetch ${source} (${reason})`);
    }
    if (!res.ok) throw new Error(`GET ${source} answered ${res.status}`);
    return res.json();
  }
  return JSON.parse(await readFile(source, 'utf8')) as unknown;
}

const EXIT = { valid: 0, revoked: 1, expired: 1, invalid: 1 } as const;

export async function verifyCommand(file: string, opts: VerifyOptions): Promise<number> {
  let bundle = await readJsonSource(file);
  const parsed = certificateBundleSchema.safeParse(bundle);
  const jwksSource = opts.jwks ?? (parsed.success ? parsed.data.jwksUrl : undefined);
  if (!jwksSource) throw new Error('No key set: pass --jwks <file|url> (a JWKS file makes the check fully offline).');
  if (opts.online && parsed.success) {
    const current = parsed.data.verificationUrl.replace(/\/verify$/, '');
    bundle = await readJsonSource(
      current,
      (reason) =>
        `--online: cannot fetch the certificate's current bundle from ${current} (${reason}), so a revocation made since the download cannot be checked. ` +
        `Without --online the check needs no API: npubench verify ${file} --jwks <jwks.json> (the key set saved from ${parsed.data.jwksUrl}).`,
    );
  }
  const jwks = (await readJsonSource(
    jwksSource,
    (reason) =>
      `Cannot fetch the key set from ${jwksSource} (${reason}). ` +
      (opts.jwks === undefined ? `Pass --jwks <file> with the key set saved from that URL, which also keeps the check offline.` : `Pass --jwks a file holding the key set to check offline.`),
  )) as Jwks;
  let result: CertificateVerification;
  try {
    result = verifyCertificateBundle(bundle, keyResolverFromJwks(jwks));
  } catch (err) {
    throw new Error(`The key set at ${jwksSource} is not a valid JWKS: ${(err as Error).message}`);
  }
  if (opts.json) {
    console.log(JSON.stringify(result));
    return EXIT[result.status];
  }
  const cert = result.certificate;
  console.log(`certificate ${parsed.success ? parsed.data.certificateId : file}: ${result.status.toUpperCase()}`);
  for (const c of result.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check.padEnd(13)} ${c.detail}`);
  if (cert) {
    console.log(`  ${cert.profile.id} for ${cert.model.name}@${cert.model.version} on ${cert.device.name}, issued to ${cert.vendor.name}`);
    for (const f of cert.keyFigures) console.log(`    ${f.label}: ${f.value}`);
  }
  console.log(`  keys: ${jwksSource}${opts.online ? ' (revocation checked online)' : ''}`);
  return EXIT[result.status];
}
