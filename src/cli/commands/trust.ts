// `npubench trust add|list|remove`: the issuers whose certificates `npubench verify` accepts. `add`
// fetches the issuer's key set once from <URL>/.well-known/jwks.json and its log key from
// <URL>/v1/transparency/log-key, prints each key's id and fingerprint (and the log's vkey) so they can be
// compared with what the lab publishes elsewhere, and stores them.
import {
  assertUsableJwks,
  fetchLogKey,
  jwksUrlOf,
  keyFingerprint,
  listTrustedIssuers,
  refreshTrustedIssuer,
  removeTrustedIssuer,
  saveTrustedIssuer,
  trustStoreDir,
} from '../../lib/certificates/trust-store.js';
import { normaliseIssuerUrl } from '../../lib/certificates/certificate-issuer.js';
import type { Jwks } from '../../lib/crypto/signing-keys.js';
import { readJsonSource } from './verify.js';

const lifetimeText = (k: { notBefore?: string | undefined; notAfter?: string | undefined; compromisedAt?: string | undefined }) =>
  `${k.notBefore || k.notAfter ? `valid from ${k.notBefore ?? 'the start'}${k.notAfter ? ` until ${k.notAfter}` : ' on'}` : 'no lifetime published'}${k.compromisedAt ? `; COMPROMISED since ${k.compromisedAt}` : ''}`;

function printKeys(jwks: Jwks): void {
  for (const k of jwks.keys) {
    console.log(`  key ${k.kid}${k.status ? ` (${k.status})` : ''}: ${lifetimeText(k)}`);
    console.log(`    sha256 fingerprint of the raw Ed25519 public key: ${keyFingerprint(k)}`);
  }
}

export async function trustAddCommand(url: string): Promise<number> {
  const issuer = normaliseIssuerUrl(url);
  const source = jwksUrlOf(issuer);
  const jwks = assertUsableJwks(await readJsonSource(source, (reason) => `Cannot fetch the key set of ${issuer} from ${source} (${reason}).`), source);
  const logKey = await fetchLogKey(issuer, readJsonSource);
  const entry = await saveTrustedIssuer(issuer, jwks, logKey.vkey);
  if (new URL(issuer).protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(new URL(issuer).hostname)) {
    console.error(`warning: ${issuer} is plain http: anyone on the network path could have swapped these keys; compare the fingerprints below with the lab's.`);
  }
  console.log(`trusted issuer ${entry.issuer}: ${jwks.keys.length} key${jwks.keys.length === 1 ? '' : 's'} from ${source}`);
  printKeys(jwks);
  console.log(`  transparency log ${logKey.name}: key ${logKey.vkey}`);
  console.log(`stored in ${trustStoreDir()}; compare the fingerprints with the ones the lab publishes elsewhere before relying on them.`);
  return 0;
}

/** Fetches each trusted issuer's key set again so retirements and compromises reach this verifier. */
export async function trustRefreshCommand(url?: string): Promise<number> {
  const wanted = url === undefined ? undefined : normaliseIssuerUrl(url);
  const entries = (await listTrustedIssuers()).filter((e) => wanted === undefined || e.issuer === wanted);
  if (entries.length === 0) throw new Error(wanted ? `${wanted} is not in the trust store (${trustStoreDir()}); add it with npubench trust add ${wanted}` : `the trust store (${trustStoreDir()}) is empty`);
  for (const entry of entries) {
    const source = jwksUrlOf(entry.issuer);
    const fetched = assertUsableJwks(await readJsonSource(source, (reason) => `Cannot fetch the key set of ${entry.issuer} from ${source} (${reason}).`), source);
    const { changes } = await refreshTrustedIssuer(entry, fetched);
    console.log(`${entry.issuer}: ${changes.length === 0 ? 'no change' : `${changes.length} change${changes.length === 1 ? '' : 's'}`}`);
    for (const c of changes) {
      const key = fetched.keys.find((k) => k.kid === c.kid);
      console.log(`  ${c.change === 'added' ? 'NEW key' : 'key'} ${c.kid}: ${lifetimeText(c.lifetime)}`);
      if (c.change === 'added' && key) console.log(`    sha256 fingerprint: ${keyFingerprint(key)} (compare it with the one the lab publishes)`);
    }
  }
  return 0;
}

export async function trustListCommand(opts: { json?: boolean }): Promise<number> {
  const entries = await listTrustedIssuers();
  if (opts.json) {
    console.log(JSON.stringify(entries.map((e) => ({ issuer: e.issuer, addedAt: e.addedAt, keys: e.jwks.keys.map((k) => ({ kid: k.kid, sha256: keyFingerprint(k) })), logKey: e.logKey ?? null }))));
    return 0;
  }
  if (entries.length === 0) {
    console.log(`no trusted issuers in ${trustStoreDir()}; add one with: npubench trust add <issuer URL>`);
    return 0;
  }
  for (const e of entries) {
    console.log(`${e.issuer} (added ${e.addedAt})`);
    printKeys(e.jwks);
    console.log(e.logKey ? `  transparency log key ${e.logKey}` : '  no transparency log key: re-add the issuer (npubench trust add) to check log proofs');
  }
  return 0;
}

export async function trustRemoveCommand(url: string): Promise<number> {
  if (!(await removeTrustedIssuer(url))) throw new Error(`${normaliseIssuerUrl(url)} is not in the trust store (${trustStoreDir()}); see npubench trust list.`);
  console.log(`removed ${normaliseIssuerUrl(url)} from the trust store`);
  return 0;
}
