// The two verifiers of a certificate bundle, `npubench verify`'s (node:crypto,
// src/lib/certificates/certificate-bundle.ts) and the dashboard's (WebCrypto,
// src/dashboard/src/verify/certificate-verifier.ts, run here on Node 20's crypto.subtle), give the same
// verdict and the same checks over one corpus of genuine and tampered bundles, each verified against the
// issuer's keys only (never the bundle's own jwksUrl).
import { describe, expect, it } from 'vitest';
import { verifyCertificateBundle as verifyNode } from '../../src/lib/certificates/certificate-bundle.js';
import { keyResolverFromJwks as nodeResolver } from '../../src/lib/crypto/signing-keys.js';
import { attributeToIssuer, keyResolverFromJwks as webResolver, verifyCertificateBundle as verifyWeb } from '../../src/dashboard/src/verify/certificate-verifier.js';
import { jwksOf, makeBundle, newIssuerKey } from '../helpers/certificate-corpus.js';

const ISSUER = 'https://lab.example';
const lab = newIssuerKey();
const attacker = newIssuerKey();
const jwks = jwksOf(lab);

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

function corpus(): { name: string; bundle: unknown; expected: string; at?: Date }[] {
  const genuine = makeBundle({ issuerUrl: ISSUER, key: lab });
  const other = makeBundle({ issuerUrl: ISSUER, key: lab });
  const revoked = makeBundle({ issuerUrl: ISSUER, key: lab, revoked: true, envelope: genuine.envelope });
  const revokedOther = makeBundle({ issuerUrl: ISSUER, key: lab, revoked: true, envelope: other.envelope });
  const forged = makeBundle({ issuerUrl: ISSUER, key: attacker, vendor: 'Forged Vendor Inc', p90: '0.001 ms', jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json' });
  const attackerLog = makeBundle({ issuerUrl: ISSUER, key: attacker, envelope: genuine.envelope });
  const sig = genuine.envelope.signatures[0]!;
  const flipped = Buffer.from(sig.sig, 'base64');
  flipped[0] = flipped[0]! ^ 1;
  return [
    { name: 'genuine', bundle: genuine, expected: 'valid' },
    { name: 'genuine, unsigned URLs pointed elsewhere', bundle: { ...genuine, jwksUrl: 'https://evil.example/jwks.json', verificationUrl: 'https://evil.example/v' }, expected: 'valid' },
    { name: 'genuine, past its expiry', bundle: genuine, expected: 'expired', at: new Date(Date.now() + 400 * 86_400_000) },
    { name: 'revoked', bundle: revoked, expected: 'revoked' },
    { name: 'forged: re-signed by another key', bundle: forged, expected: 'invalid' },
    { name: 'genuine statement, log heads signed by another key', bundle: attackerLog, expected: 'invalid' },
    { name: 'a changed byte in the signed statement', bundle: { ...genuine, envelope: { ...genuine.envelope, payload: b64(unb64(genuine.envelope.payload).replace('"PASS"', '"PASs"')) } }, expected: 'invalid' },
    { name: 'a changed signature', bundle: { ...genuine, envelope: { ...genuine.envelope, signatures: [{ ...sig, sig: flipped.toString('base64') }] } }, expected: 'invalid' },
    { name: 'another certificate id than the signed one', bundle: { ...genuine, certificateId: other.certificateId }, expected: 'invalid' },
    { name: "another certificate's issuance proof", bundle: { ...genuine, issuance: other.issuance }, expected: 'invalid' },
    { name: "another certificate's revocation", bundle: { ...genuine, revocation: revokedOther.revocation }, expected: 'invalid' },
    { name: 'revocation proof under a head signed by another key', bundle: { ...genuine, revocation: { ...revoked.revocation!, signedTreeHead: attackerLog.issuance.signedTreeHead } }, expected: 'invalid' },
    // #15 item 3: the issuer the statement names is the trust root's, and its key is the one that signed.
    { name: 'signed by the lab, naming another lab as its issuer', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, issuer: { url: 'https://other-lab.example' } }), expected: 'invalid' },
    { name: 'issuer URL spelled with a trailing slash and upper-case host', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, issuer: { url: 'https://LAB.example/' } }), expected: 'valid' },
    { name: 'naming another key than the one that signed it', bundle: makeBundle({ issuerUrl: ISSUER, key: lab, issuer: { keyId: attacker.keyId } }), expected: 'invalid' },
    { name: 'an unknown member', bundle: { ...genuine, trustMe: true }, expected: 'invalid' },
    { name: 'not a bundle', bundle: { hello: 'world' }, expected: 'invalid' },
  ];
}

describe('certificate verifiers: Node (CLI, API) and WebCrypto (dashboard) agree', () => {
  const cases = corpus();
  it.each(cases)('$name → $expected in both', async ({ bundle, expected, at }) => {
    const now = at ?? new Date();
    const node = verifyNode(bundle, nodeResolver(jwks), now, ISSUER);
    const web = await verifyWeb(bundle, await webResolver(jwks), now, ISSUER);
    expect(node.status).toBe(expected);
    expect(web).toEqual(node);
  });

  it('checks the signed issuer URL only against a trust root that names one; the key id always', async () => {
    const elsewhere = cases.find((c) => c.name.startsWith('signed by the lab, naming another lab'))!.bundle;
    for (const result of [verifyNode(elsewhere, nodeResolver(jwks), new Date(), ISSUER), await verifyWeb(elsewhere, await webResolver(jwks), new Date(), ISSUER)]) {
      expect(result.checks.find((c) => c.check === 'issuer')).toEqual({ ok: false, check: 'issuer', detail: `issued by Acme Lab (https://other-lab.example), not by the trusted issuer ${ISSUER}` });
    }
    // A bare key set (--jwks) proves the keys, not a URL: the statement's URL is shown as stated.
    const bare = verifyNode(elsewhere, nodeResolver(jwks));
    expect(bare.status).toBe('valid');
    expect(bare.checks.find((c) => c.check === 'issuer')?.detail).toMatch(/as the signed statement names it/);
    const wrongKey = cases.find((c) => c.name.startsWith('naming another key'))!.bundle;
    expect(verifyNode(wrongKey, nodeResolver(jwks)).status).toBe('invalid');
  });

  it('calls a bundle signed by another key "not from this issuer", naming that key', async () => {
    const forged = cases.find((c) => c.name.startsWith('forged'))!.bundle;
    const result = attributeToIssuer(await verifyWeb(forged, await webResolver(jwks)), forged, `this issuer (${ISSUER})`);
    expect(result.status).toBe('invalid');
    expect(result.checks.find((c) => c.check === 'signature')?.detail).toMatch(new RegExp(`signed by key ${attacker.keyId}, which is not a key of this issuer \\(${ISSUER}\\): .*not from this issuer`));
  });
});
