// `npubench verify cert.json`: checks a certificate without our database, starting from a trust root
// the user chose: --jwks FILE, an issuer in the trust store (`npubench trust add URL`), or --issuer URL.
// Nothing unsigned in the document is followed: its jwksUrl and verificationUrl are ignored. The checks:
// the signature against the trusted keys, the expiry, the inclusion proof under a checkpoint signed by the
// trusted log key (the trust store's, --issuer's or --log-key; with none the log check fails), and any
// revocation in the bundle; the issuer the statement names must be the trust root's (the trust-store
// entry is picked by that signed issuer URL). --online also fetches the certificate's current bundle from
// the trusted issuer (a URL built from the trust root, or from the signed statement's issuer when only
// --jwks is given), which carries a revocation made after the download.
import { readFile } from 'node:fs/promises';
import { networkFailure } from '../../lib/http-client.js';
import type { Jwks } from '../../lib/crypto/signing-keys.js';
import { certificateBundleSchema } from '../../lib/certificates/certificate-schema.js';
import { attributeToIssuer, logKeyFromVkey, trustedKeysFromJwks, verifyCertificateBundle, type CertificateVerification } from '../../lib/certificates/certificate-verifier.js';
import { assertUsableJwks, fetchLogKey, findTrustedIssuer, jwksUrlOf, listTrustedIssuers, trustStoreDir, type TrustedIssuer } from '../../lib/certificates/trust-store.js';
import { certifierLabel, issuerLabel, normaliseIssuerUrl } from '../../lib/certificates/certificate-issuer.js';
import { parseVerifierKey, type NoteVerifierKey } from '../../lib/crypto/signed-note.js';

export interface VerifyOptions {
  jwks?: string;
  logKey?: string;
  issuer?: string;
  online?: boolean;
  json?: boolean;
  /** e.g. "30d", "12h", "90m": how old a signed "valid" status may be offline. */
  maxStatusAge?: string;
  /** Print every rule re-evaluated offline, expected vs measured. */
  explain?: boolean;
  /** The certificate's signed report (GET /v1/reports/:id, or its envelope), to check the facts against. */
  report?: string;
}

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/** "30d" → milliseconds; throws (exit 1 through the CLI's error path) on anything else. */
export function parseMaxStatusAge(text: string): number {
  const match = /^(\d+)([dhms])$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) throw new Error(`--max-status-age must be a positive whole number of days, hours, minutes or seconds, e.g. 30d, 12h, 90m (got ${JSON.stringify(text)})`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A JSON document from a file or URL; `unreachable` words the advice for when the URL does not answer. */
export async function readJsonSource(source: string, unreachable?: (reason: string) => string): Promise<unknown> {
  if (/^https?:\/\//.test(source)) {
    let res: Response;
    try {
      res = await fetch(source, { signal: AbortSignal.timeout(15_000), redirect: 'error' });
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

/** Exit 2 (through the CLI's error path): no trust root was chosen. */
export class NoTrustRootError extends Error {}

const HOW_TO_TRUST = [
  'Choose whom to trust, one of:',
  "  npubench trust add <issuer URL>          fetch the issuer's keys once, check their fingerprints, store them; later verifies use them",
  "  npubench verify cert.json --jwks FILE --log-key VKEY   the issuer's key set saved from <issuer URL>/.well-known/jwks.json and its log key from <issuer URL>/v1/transparency/log-key (fully offline)",
  "  npubench verify cert.json --issuer URL   a one-off: fetch that issuer's keys now, store nothing",
  'The URLs inside cert.json are not signed and are never used to find keys.',
].join('\n');

interface TrustRoot {
  jwks: Jwks;
  /** The transparency log's key; without one the log proof cannot be checked and verification fails. */
  logKey?: NoteVerifierKey;
  /** Base URL of the trusted issuer, when the trust root names one (store, --issuer). */
  issuer?: string;
  /** How the trust root was chosen, for the output. */
  label: string;
}

/** The issuer URL the signed statement names, read before verification only to pick a trust-store
 *  entry: a forgery can name any issuer there, but it is then checked against that issuer's keys. */
function signedIssuerUrl(bundle: unknown): string | undefined {
  const parsed = certificateBundleSchema.safeParse(bundle);
  if (!parsed.success) return undefined;
  try {
    const statement = JSON.parse(Buffer.from(parsed.data.envelope.payload, 'base64').toString('utf8')) as { predicate?: { issuer?: { url?: unknown } } };
    const url = statement.predicate?.issuer?.url;
    return typeof url === 'string' ? normaliseIssuerUrl(url) : undefined;
  } catch {
    return undefined;
  }
}

async function fetchIssuerJwks(issuer: string): Promise<Jwks> {
  const url = jwksUrlOf(issuer);
  const jwks = await readJsonSource(url, (reason) => `Cannot fetch the key set of ${issuer} from ${url} (${reason}). Pass --jwks FILE with the key set saved from that URL to check offline.`);
  return assertUsableJwks(jwks, url);
}

/** --log-key: a vkey, or a file holding one. */
export async function readLogKey(source: string): Promise<NoteVerifierKey> {
  const text = /\+[0-9a-f]{8}\+/.test(source) ? source : await readFile(source, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`--log-key ${source}: neither a note verifier key nor a readable file (${err.code ?? err.message})`);
  });
  try {
    return parseVerifierKey(text);
  } catch (err) {
    throw new Error(`--log-key ${source}: ${(err as Error).message}`);
  }
}

async function chooseTrustRoot(bundle: unknown, opts: VerifyOptions): Promise<TrustRoot> {
  const root = await chooseIssuerKeys(bundle, opts);
  if (opts.logKey !== undefined) return { ...root, logKey: await readLogKey(opts.logKey), label: `${root.label}; log key from --log-key` };
  return root;
}

async function chooseIssuerKeys(bundle: unknown, opts: VerifyOptions): Promise<TrustRoot> {
  const issuer = opts.issuer === undefined ? undefined : normaliseIssuerUrl(opts.issuer);
  if (opts.jwks !== undefined) {
    const jwks = assertUsableJwks(await readJsonSource(opts.jwks, (reason) => `Cannot fetch the key set from ${opts.jwks} (${reason}). Pass --jwks a file holding the key set to check offline.`), opts.jwks);
    return { jwks, issuer, label: `keys: ${opts.jwks} (--jwks)${issuer ? `; issuer ${issuer} (--issuer)` : ''}` };
  }
  if (issuer !== undefined) {
    const stored = await findTrustedIssuer(issuer);
    if (stored) return { jwks: stored.jwks, logKey: storedLogKey(stored), issuer, label: `trusted issuer: ${issuer} (from trust store, added ${stored.addedAt})` };
    const jwks = await fetchIssuerJwks(issuer);
    const logKey = opts.logKey === undefined ? await fetchLogKey(issuer, readJsonSource) : undefined;
    return { jwks, logKey, issuer, label: `trusted issuer: ${issuer} (--issuer, keys fetched once from ${jwksUrlOf(issuer)}, not stored)` };
  }
  const entries = await listTrustedIssuers();
  if (entries.length === 0) throw new NoTrustRootError(`No trust root: the trust store (${trustStoreDir()}) is empty and neither --jwks nor --issuer was given.\n${HOW_TO_TRUST}`);
  const named = signedIssuerUrl(bundle);
  const entry = entries.find((e) => e.issuer === named) ?? (entries.length === 1 ? entries[0] : undefined);
  if (!entry) {
    throw new NoTrustRootError(
      `The trust store holds ${entries.length} issuers (${entries.map((e) => e.issuer).join(', ')}) and this certificate names none of them: choose one with --issuer URL.\n${HOW_TO_TRUST}`,
    );
  }
  return { jwks: entry.jwks, logKey: storedLogKey(entry), issuer: entry.issuer, label: `trusted issuer: ${entry.issuer} (from trust store)` };
}

/** listTrustedIssuers checked the vkey already. */
const storedLogKey = (entry: TrustedIssuer) => (entry.logKey === undefined ? undefined : parseVerifierKey(entry.logKey));

/** Why a signature failed, in words that say whose keys were tried. */
const explainSignature = (result: CertificateVerification, bundle: unknown, root: TrustRoot) => attributeToIssuer(result, bundle, `the trusted issuer (${root.issuer ?? root.label})`, 'not issued by it');

/** --explain: each rule as re-evaluated here over the certificate's facts, and its signed outcome where it differs. */
function printRules(result: CertificateVerification): void {
  if (result.rules === undefined) return console.log('  rules: not re-evaluated (the verification stopped before the rules check)');
  if (result.rules === null) return console.log('  rules: this certificate carries no rules to re-evaluate (statement before v3)');
  console.log('  rules, re-evaluated offline:');
  for (const rule of result.rules) {
    const signed = rule.signedPassed === undefined ? ' (no signed line)' : rule.signedPassed === rule.passed ? '' : ` (signed as ${rule.signedPassed ? 'PASS' : 'FAIL'})`;
    console.log(`    ${rule.passed ? 'PASS' : 'FAIL'}  ${rule.rule.padEnd(18)} expected: ${rule.expected}`);
    console.log(`          ${''.padEnd(18)} measured: ${rule.actual}${rule.passed ? '' : ` — ${rule.reason}`}${signed}`);
  }
}

export async function verifyCommand(file: string, opts: VerifyOptions): Promise<number> {
  const bundle = await readJsonSource(file);
  const parsed = certificateBundleSchema.safeParse(bundle);
  const root = await chooseTrustRoot(bundle, opts);
  const keys = await trustedKeysFromJwks(root.jwks);
  const logKey = root.logKey && (await logKeyFromVkey(root.logKey.vkey));
  const report = opts.report === undefined ? undefined : await readJsonSource(opts.report);
  const policy = {
    maxStatusAgeMs: opts.maxStatusAge === undefined ? undefined : parseMaxStatusAge(opts.maxStatusAge),
    // A report answer carries its statement as `envelope`; an envelope file is taken as it is.
    ...(report !== undefined && { reportEnvelope: typeof report === 'object' && report !== null && 'envelope' in report ? report.envelope : report }),
  };
  let result = explainSignature(await verifyCertificateBundle(bundle, keys, logKey, new Date(), root.issuer, policy), bundle, root);

  let onlineNote = '';
  if (opts.online && result.certificate && result.checks.find((c) => c.check === 'signature')?.ok && parsed.success) {
    // Where to ask: the trust root's issuer, else the issuer named by the statement just verified.
    const named = result.certificate.issuer?.url;
    if (root.issuer === undefined && named === undefined) throw new Error('--online: this legacy certificate names no issuer and the trust root (--jwks) names none either: add --issuer URL.');
    const base = root.issuer ?? normaliseIssuerUrl(named!);
    const current = `${base}/v1/certificates/${result.certificate.certificateId}`;
    const fresh = await readJsonSource(
      current,
      (reason) =>
        `--online: cannot fetch the certificate's current bundle from ${current} (${reason}), so a revocation made since the download cannot be checked. ` +
        `Without --online the check needs no API: npubench verify ${file} --jwks <jwks.json> --log-key <vkey>.`,
    );
    const freshParsed = certificateBundleSchema.safeParse(fresh);
    if (!freshParsed.success || freshParsed.data.certificateId !== parsed.data.certificateId || freshParsed.data.envelope.payload !== parsed.data.envelope.payload) {
      result = { status: 'invalid', checks: [...result.checks, { check: 'revocation', ok: false, detail: `the issuer's current bundle at ${current} is not this certificate` }] };
    } else {
      result = explainSignature(await verifyCertificateBundle(fresh, keys, logKey, new Date(), root.issuer, policy), fresh, root);
    }
    onlineNote = `  status: checked online at ${current}`;
  }

  if (opts.json) {
    console.log(JSON.stringify({ ...result, trustRoot: { issuer: root.issuer ?? null, source: root.label } }));
    return EXIT[result.status];
  }
  const cert = result.certificate;
  console.log(`certificate ${parsed.success ? parsed.data.certificateId : file}: ${result.status.toUpperCase()}`);
  for (const c of result.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check.padEnd(13)} ${c.detail}`);
  if (cert) {
    console.log(`  ${cert.profile.id} for ${cert.model.name}@${cert.model.version} on ${cert.device.name}, issued to ${cert.vendor.name}`);
    console.log(`  issued by ${issuerLabel(cert.issuer)} with key ${result.keyId ?? '?'}; certified by ${certifierLabel(cert.certifier)}`);
    for (const f of cert.keyFigures) console.log(`    ${f.label}: ${f.value}`);
  }
  if (opts.explain) printRules(result);
  console.log(`  ${root.label}`);
  if (onlineNote) console.log(`${onlineNote} (a fresh signed status)`);
  return EXIT[result.status];
}
