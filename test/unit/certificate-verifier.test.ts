// The certificate verifier (src/lib/certificates/certificate-verifier.ts, the one `npubench verify`, the
// API and the dashboard run) over the corpus of genuine and tampered bundles, here on Node 20's
// crypto.subtle; test/browser/certificate-verifier.test.ts runs the same corpus in Chromium and
// test/unit/independent-verifier.test.ts through a verifier of its own in Python. Each case is
// verified against the lab's keys only (never the bundle's own jwksUrl) and the lab's pinned log key.
import { describe, expect, it } from 'vitest';
import { attributeToIssuer, logKeyFromVkey, trustedKeysFromJwks, verifyCertificateBundle } from '../../src/lib/certificates/certificate-verifier.js';
import { parseVerifierKey } from '../../src/lib/crypto/signed-note.js';
import { attacker, certificateCases, ISSUER, labJwks, labLog, verifyCase } from '../helpers/certificate-cases.js';

describe('certificate verifier', () => {
  const cases = certificateCases();
  it.each(cases)('$name → $expected', async (c) => {
    const result = await verifyCase(c);
    expect(result.status).toBe(c.expected);
    if (c.log) expect(result.checks.find((l) => l.check === 'log_inclusion')?.detail).toMatch(c.log);
    if (c.detail) expect(result.checks.map((l) => l.detail).join('\n')).toMatch(c.detail);
  });

  it('checks the signed issuer URL only against a trust root that names one; the key id always', async () => {
    const elsewhere = cases.find((c) => c.name.startsWith('signed by the lab, naming another lab'))!.bundle;
    const keys = await trustedKeysFromJwks(labJwks);
    const logKey = await logKeyFromVkey(labLog.vkey);
    const result = await verifyCertificateBundle(elsewhere, keys, logKey, new Date(), ISSUER);
    expect(result.checks.find((c) => c.check === 'issuer')).toEqual({ ok: false, check: 'issuer', detail: `issued by Acme Lab (https://other-lab.example), not by the trusted issuer ${ISSUER}` });
    // A bare key set (--jwks) proves the keys, not a URL: the statement's URL is shown as stated.
    const bare = await verifyCertificateBundle(elsewhere, keys, logKey);
    expect(bare.status).toBe('valid');
    expect(bare.checks.find((c) => c.check === 'issuer')?.detail).toMatch(/as the signed statement names it/);
    const wrongKey = cases.find((c) => c.name.startsWith('naming another key'))!.bundle;
    expect((await verifyCertificateBundle(wrongKey, keys, logKey)).status).toBe('invalid');
  });

  it('refuses the malformed log keys the trust store refuses', async () => {
    const [name, id, key] = [labLog.name, labLog.keyId.toString('hex'), labLog.vkey.split('+').slice(2).join('+')];
    const bad = [`${name}+${id}`, `${name}+00000000+${key}`, `other.example/log+${id}+${key}`, `${name}+${id}+${Buffer.alloc(33).toString('base64')}`, `${name}+${id.toUpperCase()}+${key}`, ''];
    for (const vkey of bad) {
      expect(() => parseVerifierKey(vkey), vkey).toThrow();
      await expect(logKeyFromVkey(vkey), vkey).rejects.toThrow();
    }
  });

  it('refuses a key set whose kid is not the thumbprint of its key', async () => {
    const [entry] = labJwks.keys;
    await expect(trustedKeysFromJwks({ keys: [{ ...entry, kid: attacker.keyId }] })).rejects.toThrow(/is not the thumbprint of its key/);
    await expect(trustedKeysFromJwks({ keys: [{ ...entry, notAfter: 'tomorrow' }] })).rejects.toThrow(/notAfter must be a UTC timestamp/);
  });

  it('calls a bundle signed by another key "not from this issuer", naming that key', async () => {
    const forged = cases.find((c) => c.name.startsWith('forged'))!.bundle;
    const result = attributeToIssuer(await verifyCertificateBundle(forged, await trustedKeysFromJwks(labJwks), await logKeyFromVkey(labLog.vkey)), forged, `this issuer (${ISSUER})`);
    expect(result.status).toBe('invalid');
    expect(result.checks.find((c) => c.check === 'signature')?.detail).toMatch(new RegExp(`signed by key ${attacker.keyId}, which is not a key of this issuer \\(${ISSUER}\\): .*not from this issuer`));
  });
});
