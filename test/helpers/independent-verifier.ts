// Runs test/helpers/independent_certificate_check.py, the certificate verifier written in Python from
// the docs and specs (Debian's python3-securesystemslib for Ed25519 over DSSE, an RFC 6962 and C2SP
// checkpoint check of its own), over many cases in one process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CaseInput } from './verify-case.js';

/** Debian's python3, which has python3-securesystemslib (a pyenv python3 on PATH may not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
export const INDEPENDENT_VERIFIER = fileURLToPath(new URL('./independent_certificate_check.py', import.meta.url));

export interface IndependentOutcome {
  name: string | null;
  status: 'valid' | 'revoked' | 'expired' | 'invalid';
  /** The check that decided it, in the script's words. */
  why: string;
}

export function runIndependentVerifier(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(DEBIAN_PYTHON, [INDEPENDENT_VERIFIER, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** One verdict per case, in order. */
export async function independentVerdicts(cases: (CaseInput & { name: string })[]): Promise<IndependentOutcome[]> {
  const inputs = cases.map(({ name, bundle, jwks, vkey, issuer, now, maxStatusAgeMs }) => ({ name, bundle, jwks, vkey, issuer, now, ...(maxStatusAgeMs !== undefined && { maxStatusAgeMs }) }));
  return JSON.parse(await runIndependentVerifier(['--batch'], JSON.stringify(inputs))) as IndependentOutcome[];
}
