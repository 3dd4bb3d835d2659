// One corpus of genuine and tampered certificate bundles, each with the trust root it is verified
// against (the lab's key set, pinned log key and issuer URL; never the bundle's own URLs), the time of the
// check and the verdict it must get. The verifier's Node test, its Chromium test and the independent
// Python verifier all run these same cases. Every case is plain JSON data, so it can go into a browser
// page or a child process as it is.
import type { ProfileRules } from '../../src/contracts/profiles.js';
import { canonicalBytes } from '../../src/lib/crypto/canonical-json.js';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from '../../src/lib/crypto/dsse.js';
import { noteSignerFrom, signNote } from '../../src/lib/crypto/signed-note.js';
import type { Jwks } from '../../src/lib/crypto/signing-keys.js';
import type { CaseInput } from './verify-case.js';
import { jwksOf, jwksWithLifetimes, makeBundle, newIssuerKey, newLogKey, SAMPLE_FACTS, statusFor } from './certificate-corpus.js';

export const ISSUER = 'https://lab.example';
export const ORIGIN = 'lab.example/npubench/log';
export const lab = newIssuerKey();
export const attacker = newIssuerKey();
export const labJwks = jwksOf(lab);
export const labLog = newLogKey(ORIGIN);
/** The attacker's own log key under the lab's log name: same name, other key id. */
const attackerLog = newLogKey(ORIGIN);

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);
// #15 item 2: `lab` retired 10 days ago when `successor` took over; `leaked` was compromised 5 days ago
// (and retired a day ago). Written as a key set with lifetimes, the way the service publishes it.
const successor = newIssuerKey();
const leaked = newIssuerKey();
const retiredAt = daysAgo(10);
const compromisedAt = daysAgo(5);
export const rotatedJwks = jwksWithLifetimes(
  { key: lab, notBefore: daysAgo(400), notAfter: retiredAt },
  { key: successor, notBefore: retiredAt },
  { key: leaked, notBefore: daysAgo(100), notAfter: daysAgo(1), compromisedAt },
);

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** A bundle without one of its members, as an attacker would send it. */
function without<T extends object>(bundle: T, ...members: (keyof T)[]): Partial<T> {
  const copy: Partial<T> = { ...bundle };
  for (const m of members) delete copy[m];
  return copy;
}

export type Verdict = 'valid' | 'revoked' | 'expired' | 'invalid';

export { verifyCase, type CaseInput } from './verify-case.js';

export interface VerifierCase extends CaseInput {
  name: string;
  jwks: Jwks;
  expected: Verdict;
  /** What the log_inclusion check must say. */
  log?: RegExp;
  /** What some check's detail must say. */
  detail?: RegExp;
}

type CaseSpec = Omit<VerifierCase, 'jwks' | 'vkey' | 'issuer' | 'now'> & { keys?: Jwks; noLogKey?: boolean; at?: Date };

/** A checkpoint note over `text`, signed by the lab's genuine log key. */
const signedByLab = (text: string) => signNote(text, labLog);

const V3_RULES: ProfileRules = { minQueryCount: 1024, latency: { percentile: 90, maxMs: 10 }, maxPeakRssMb: 512 };
/** What a lab that lies would sign: every line passing, whatever the facts say. */
const PASSING_LINES = [
  { rule: 'minQueryCount', passed: true, expected: 'queries ≥ 1024', actual: 'queries = 1024', reason: 'met' },
  { rule: 'latency', passed: true, expected: 'p90 ≤ 5 ms', actual: 'p90 = 4.000 ms', reason: 'met' },
  { rule: 'maxPeakRssMb', passed: true, expected: 'peak RSS ≤ 512 MiB', actual: 'peak RSS = 100.0 MiB', reason: 'met' },
];

export function certificateCases(): VerifierCase[] {
  const genuine = makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog });
  const other = makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog });
  const revoked = makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, revoked: true, envelope: genuine.envelope });
  const revokedOther = makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, revoked: true, envelope: other.envelope });
  const forged = makeBundle({ issuerUrl: ISSUER, key: attacker, log: labLog, vendor: 'Forged Vendor Inc', p90: '0.001 ms', jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' });
  // The attack of #15: a statement signed by the lab's (leaked, retired) report key, with its own one-leaf
  // log. Without the log key the attacker can only sign that log with a key of their own.
  const selfLogged = makeBundle({ issuerUrl: ISSUER, key: lab, log: attackerLog, vendor: 'Forged Vendor Inc', p90: '0.001 ms' });
  const reportKeyLogged = makeBundle({ issuerUrl: ISSUER, key: lab, log: noteSignerFrom(ORIGIN, lab), vendor: 'Forged Vendor Inc' });
  const attackerLogged = makeBundle({ issuerUrl: ISSUER, key: lab, log: attackerLog, envelope: genuine.envelope });
  const checkpointText = genuine.issuance.checkpoint.slice(0, genuine.issuance.checkpoint.indexOf('\n\n') + 1);
  const otherOrigin = signedByLab(checkpointText.replace(`${ORIGIN}\n`, 'lab.example/staging/log\n'));
  const witnessLine = `\u2014 witness.example/w1 ${Buffer.alloc(68, 7).toString('base64')}\n`;
  const sig = genuine.envelope.signatures[0]!;
  const flipped = Buffer.from(sig.sig, 'base64');
  flipped[0] = flipped[0]! ^ 1;
  const withCheckpoint = (checkpoint: string) => ({ ...genuine, issuance: { ...genuine.issuance, checkpoint } });
  // Signed and logged by the lab, but its subject carries no sha256: not an in-toto statement.
  const statement: Record<string, unknown> = JSON.parse(unb64(genuine.envelope.payload));
  const noDigest = makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, envelope: signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalBytes({ ...statement, subject: [{ name: 'report', digest: { sha1: 'ab' } }] }), lab) });
  const specs: CaseSpec[] = [
    { name: 'genuine', bundle: genuine, expected: 'valid', log: new RegExp(`entry 0 of 1 under a checkpoint of ${ORIGIN}`) },
    { name: 'genuine, unsigned URLs pointed elsewhere', bundle: { ...genuine, jwksUrl: 'https://evil.example/jwks.json', verificationUrl: 'https://evil.example/v' }, expected: 'valid' },
    { name: 'genuine, past its expiry', bundle: genuine, expected: 'expired', at: new Date(Date.now() + 400 * DAY) },
    { name: 'genuine, checked with no log key pinned', bundle: genuine, expected: 'invalid', noLogKey: true, log: /no trusted log key/ },
    { name: 'genuine, its checkpoint also cosigned by a witness we do not know', bundle: withCheckpoint(genuine.issuance.checkpoint + witnessLine), expected: 'valid' },
    { name: 'revoked', bundle: revoked, expected: 'revoked' },
    { name: 'forged: re-signed by another key', bundle: forged, expected: 'invalid' },
    { name: "the lab's report key with its own one-leaf log, checkpoint by an attacker's log key of the lab's name", bundle: selfLogged, expected: 'invalid', log: /unknown_key/ },
    { name: "the lab's report key with its own one-leaf log, checkpoint by the report key", bundle: reportKeyLogged, expected: 'invalid', log: /unknown_key/ },
    { name: 'genuine statement, checkpoint by another log key', bundle: attackerLogged, expected: 'invalid', log: /unknown_key/ },
    { name: "a checkpoint by the lab's log key for another origin", bundle: withCheckpoint(otherOrigin), expected: 'invalid', log: /wrong_origin/ },
    { name: 'a checkpoint whose tree size was changed after signing', bundle: withCheckpoint(genuine.issuance.checkpoint.replace(`${ORIGIN}\n1\n`, `${ORIGIN}\n2\n`)), expected: 'invalid', log: /bad_signature/ },
    { name: 'a checkpoint that is not a signed note', bundle: withCheckpoint(checkpointText), expected: 'invalid', log: /malformed/ },
    { name: "a note by the lab's log key that is not a checkpoint", bundle: withCheckpoint(signedByLab('hello\n')), expected: 'invalid', log: /malformed_checkpoint/ },
    { name: 'a changed byte in the signed statement', bundle: { ...genuine, envelope: { ...genuine.envelope, payload: b64(unb64(genuine.envelope.payload).replace('"PASS"', '"PASs"')) } }, expected: 'invalid' },
    { name: 'a changed signature', bundle: { ...genuine, envelope: { ...genuine.envelope, signatures: [{ ...sig, sig: flipped.toString('base64') }] } }, expected: 'invalid' },
    { name: 'another certificate id than the signed one', bundle: { ...genuine, certificateId: other.certificateId }, expected: 'invalid' },
    { name: "another certificate's issuance proof", bundle: { ...genuine, issuance: other.issuance }, expected: 'invalid' },
    { name: "another certificate's revocation", bundle: { ...genuine, revocation: revokedOther.revocation }, expected: 'invalid' },
    { name: 'revocation proof under a checkpoint by another log key', bundle: { ...genuine, revocation: { ...revoked.revocation!, checkpoint: attackerLogged.issuance.checkpoint } }, expected: 'invalid' },
    // #15 item 3: the issuer the statement names is the trust root's, and its key is the one that signed.
    { name: 'signed by the lab, naming another lab as its issuer', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, issuer: { url: 'https://other-lab.example' } }), expected: 'invalid' },
    { name: 'issuer URL spelled with a trailing slash and upper-case host', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, issuer: { url: 'https://LAB.example/' } }), expected: 'valid' },
    { name: 'naming another key than the one that signed it', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, issuer: { keyId: attacker.keyId } }), expected: 'invalid' },
    { name: 'an unknown member', bundle: { ...genuine, trustMe: true }, expected: 'invalid' },
    { name: 'a signed statement whose subject has no sha256', bundle: noDigest, expected: 'invalid', detail: /signature check failed: malformed/ },
    // The regression of #15 item 3: a v1 statement (no issuer, certifier or status) still verifies by its old rules.
    // v3: the verdict re-evaluated from the embedded rules and facts (#15 item 4).
    { name: 'v3: embedded rules re-evaluate to the signed PASS', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, ruleSet: { rules: V3_RULES, facts: SAMPLE_FACTS } }), expected: 'valid', detail: /^3 rules re-evaluated over the embedded facts: PASS, as signed/m },
    {
      name: 'v3: the lab signs a PASS over facts that fail its own rules',
      bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, ruleSet: { rules: { ...V3_RULES, latency: { percentile: 90, maxMs: 5 } }, facts: SAMPLE_FACTS, evaluation: PASSING_LINES } }),
      expected: 'invalid',
      detail: /^verdict_mismatch: the embedded rules and facts give FAIL \(latency failed\), the certificate says PASS$/m,
    },
    { name: 'v3: rules swapped under the digest of others', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, ruleSet: { rules: { minQueryCount: 1 }, facts: SAMPLE_FACTS, digestOf: V3_RULES } }), expected: 'invalid', detail: /^rules_digest_mismatch: /m },
    { name: 'legacy v1 certificate', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, legacy: true }), expected: 'valid', detail: /legacy certificate \(v1 statement\) naming no issuer/ },
    { name: 'legacy v1 certificate, revoked', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, legacy: true, revoked: true }), expected: 'revoked' },
    { name: 'legacy v1 certificate re-signed by another key', bundle: makeBundle({ issuerUrl: ISSUER, key: attacker, log: labLog, legacy: true }), expected: 'invalid' },
    // #15 item 2: keys with lifetimes.
    ...lifetimeCases(),
    // #15 item 5: the signed status.
    ...statusCases(genuine),
    { name: 'a v1 bundle (DSSE tree head by the report key)', bundle: { ...genuine, format: 'npubench.certificate-bundle/v1' }, expected: 'invalid' },
    { name: 'not a bundle', bundle: { hello: 'world' }, expected: 'invalid' },
  ];
  // Taken after every bundle was signed, so a status signed "now" is never in the future.
  const now = new Date();
  return specs.map(({ keys, noLogKey, at, ...spec }) => ({ ...spec, jwks: keys ?? labJwks, vkey: noLogKey ? null : labLog.vkey, issuer: ISSUER, now: (at ?? now).toISOString() }));
}

function lifetimeCases(): CaseSpec[] {
  const status = { key: successor };
  return [
    // Signed before the rotation, checked against the key set that lists the retired key with its notAfter.
    { name: 'retired key, certificate signed inside its window', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, issuedAt: daysAgo(20), status }), keys: rotatedJwks, expected: 'valid' },
    // The attack: the retired key signs a new certificate (with its own one-leaf log and status) after its retirement.
    { name: 'retired key signs a new certificate after its retirement', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, issuedAt: daysAgo(2) }), keys: rotatedJwks, expected: 'invalid', detail: /\(key_not_valid_at_signing_time\)/ },
    { name: 'the successor key, dated before it was activated', bundle: makeBundle({ issuerUrl: ISSUER, key: successor, log: labLog, issuedAt: daysAgo(11) }), keys: rotatedJwks, expected: 'invalid', detail: /\(key_not_valid_at_signing_time\)/ },
    { name: 'the successor key inside its window', bundle: makeBundle({ issuerUrl: ISSUER, key: successor, log: labLog, issuedAt: daysAgo(3) }), keys: rotatedJwks, expected: 'valid' },
    { name: 'compromised key, certificate dated after the compromise', bundle: makeBundle({ issuerUrl: ISSUER, key: leaked, log: labLog, issuedAt: daysAgo(4), status }), keys: rotatedJwks, expected: 'invalid', detail: /\(key_compromised\)/ },
    { name: 'compromised key, certificate dated exactly at the compromise', bundle: makeBundle({ issuerUrl: ISSUER, key: leaked, log: labLog, issuedAt: compromisedAt, status }), keys: rotatedJwks, expected: 'invalid', detail: /\(key_compromised\)/ },
    { name: 'compromised key, certificate signed before the compromise', bundle: makeBundle({ issuerUrl: ISSUER, key: leaked, log: labLog, issuedAt: daysAgo(6), status }), keys: rotatedJwks, expected: 'valid' },
    { name: 'genuine certificate, status signed by the compromised key after the compromise', bundle: makeBundle({ issuerUrl: ISSUER, key: successor, log: labLog, issuedAt: daysAgo(3), status: { key: leaked } }), keys: rotatedJwks, expected: 'invalid', detail: /status statement: .*\(key_compromised\)/ },
  ];
}

function statusCases(genuine: ReturnType<typeof makeBundle>): CaseSpec[] {
  const revoked = makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, revoked: true, envelope: genuine.envelope });
  const other = makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog });
  const MONTH = 30 * DAY;
  return [
    // The attack: delete the unsigned revocation member of a revoked cert.json; the signed status still says revoked.
    { name: 'revoked, revocation member deleted', bundle: without(revoked, 'revocation'), expected: 'revoked', detail: /as the signed status says/ },
    { name: 'revoked, revocation member and status deleted', bundle: without(revoked, 'revocation', 'status'), expected: 'invalid', detail: /\(status_missing\)/ },
    { name: 'revoked status long past the max age still revokes', bundle: { ...without(revoked, 'revocation'), status: statusFor(genuine.certificateId, genuine.envelope, new Date().toISOString(), daysAgo(90), lab) }, expected: 'revoked' },
    { name: 'status 31 days old', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, status: { at: daysAgo(31) } }), expected: 'invalid', detail: /\(status_stale\)/ },
    { name: 'status 29 days old', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, status: { at: daysAgo(29) } }), expected: 'valid' },
    { name: 'status 31 days old, --max-status-age 60d', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, status: { at: daysAgo(31) } }), maxStatusAgeMs: 2 * MONTH, expected: 'valid' },
    { name: 'status 2 days old, --max-status-age 1d', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, status: { at: daysAgo(2) } }), maxStatusAgeMs: DAY, expected: 'invalid', detail: /\(status_stale\)/ },
    { name: 'status dated in the future', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, status: { at: new Date(Date.now() + DAY) } }), expected: 'invalid', detail: /\(status_from_future\)/ },
    { name: "another certificate's status", bundle: { ...genuine, status: other.status }, expected: 'invalid', detail: /\(status_not_this_certificate\)/ },
    { name: 'status signed by another key', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, log: labLog, status: { key: attacker } }), expected: 'invalid', detail: /status_bad_signature/ },
    { name: 'the certificate envelope given as its status', bundle: { ...genuine, status: genuine.envelope }, expected: 'invalid', detail: /\(status_malformed\)/ },
    // What a signed status cannot do: a "valid" one from before the revocation, replayed within the max age, still passes offline (--online closes it).
    { name: 'revoked, replaying a pre-revocation status within the max age', bundle: { ...without(revoked, 'revocation'), status: genuine.status }, expected: 'valid' },
  ];
}
