// An independent verifier agrees with ours on every case of the corpus: test/helpers/
// independent_certificate_check.py, written from docs/certification.md and the specs with Debian's
// python3-securesystemslib for Ed25519 over DSSE and an RFC 6962 / C2SP checkpoint check of its own
// (independent_checkpoint_check.py), accepts every genuine certificate (including one signed before a key
// rotation, checked against the key set that lists the retired key with its notAfter) and rejects every
// tampered one, with the same verdict as src/lib/certificates/certificate-verifier.ts.
// test/integration/certificates.test.ts runs it on the service's own certificates too.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../helpers/isolated-resources.js';
import { certificateCases, verifyCase } from '../helpers/certificate-cases.js';
import { independentVerdicts, runIndependentVerifier, type IndependentOutcome } from '../helpers/independent-verifier.js';

describe('an independent verifier (Python, securesystemslib)', () => {
  const cases = certificateCases();

  it('gives the verdict of our verifier on every genuine and tampered certificate', async () => {
    const outcomes = await independentVerdicts(cases);
    const ours = await Promise.all(cases.map((c) => verifyCase(c)));
    const table = cases.map((c, i) => ({ name: c.name, expected: c.expected, ours: ours[i]!.status, independent: outcomes[i]!.status, why: outcomes[i]!.why }));
    // Both agree with the verdict the corpus states, case by case (the table shows any disagreement whole),
    // the lab's PASS over failing facts included: the Python verifier re-evaluates the rules too.
    expect(table.filter((row) => row.ours !== row.expected || row.independent !== row.expected)).toEqual([]);
    // Each refusal is one of its checks, not a crash on a shape it did not expect.
    expect(table.filter((row) => row.why.startsWith('malformed'))).toEqual([]);
    // Not a verifier that refuses everything: the genuine ones, the rotated key's among them, pass it.
    expect(table.filter((row) => row.independent === 'valid').map((row) => row.name)).toEqual(expect.arrayContaining(['genuine', 'retired key, certificate signed inside its window', 'legacy v1 certificate']));
  });

  it('takes cert.json, the pinned JWKS and the pinned log key as files, as a user would', async () => {
    const dir = await createTempDir('npubench-independent');
    const check = async (name: string) => {
      const c = cases.find((x) => x.name === name)!;
      writeFileSync(join(dir, 'cert.json'), JSON.stringify(c.bundle));
      writeFileSync(join(dir, 'jwks.json'), JSON.stringify(c.jwks));
      return JSON.parse(await runIndependentVerifier([join(dir, 'cert.json'), join(dir, 'jwks.json'), c.vkey!, c.issuer, c.now])) as IndependentOutcome;
    };
    expect(await check('genuine')).toMatchObject({ status: 'valid' });
    expect(await check('retired key signs a new certificate after its retirement')).toMatchObject({ status: 'invalid', why: "signed outside its key's window" });
    expect(await check('forged: re-signed by another key')).toMatchObject({ status: 'invalid', why: 'no signature by a trusted key' });
  });
});
