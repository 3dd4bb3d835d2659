// The verifier's trust store: the issuers a user chose to trust, one JSON file per issuer holding its
// URL, the key set and the transparency log's key (a note vkey) fetched when it was added, and when. `npubench trust add|list|remove` edits it;
// `npubench verify` reads it. Lives under $NPUBENCH_TRUST_DIR, else $XDG_CONFIG_HOME/npubench/trust,
// else ~/.config/npubench/trust.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { keyResolverFromJwks, type Jwks, type JwksEntry } from '../crypto/signing-keys.js';
import { KEY_LIFETIME_MEMBERS, lifetimeOfJwk, narrowLifetime, type KeyLifetime } from '../crypto/key-lifetime.js';
import { normaliseIssuerUrl } from './certificate-issuer.js';
import { parseVerifierKey, type NoteVerifierKey } from '../crypto/signed-note.js';

export interface TrustedIssuer {
  /** The issuer's base URL, normalised by {@link normaliseIssuerUrl}. */
  issuer: string;
  /** The key set with each key's lifetime (notBefore, notAfter, compromisedAt) as last fetched. */
  jwks: Jwks;
  /** The log's note verifier key (`<origin>+<id>+<key>`); absent in entries added before logs had one. */
  logKey?: string;
  addedAt: string;
  /** The last `npubench trust refresh`. */
  refreshedAt?: string;
}

export function trustStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NPUBENCH_TRUST_DIR) return env.NPUBENCH_TRUST_DIR;
  const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'npubench', 'trust');
}

export const jwksUrlOf = (issuer: string) => `${issuer}/.well-known/jwks.json`;
export const logKeyUrlOf = (issuer: string) => `${issuer}/v1/transparency/log-key`;

/** SHA-256 (hex) of the raw 32-byte Ed25519 public key of a JWK (its decoded `x`). */
export function keyFingerprint(jwk: { x: string }): string {
  return createHash('sha256').update(Buffer.from(jwk.x, 'base64url')).digest('hex');
}

/** Throws unless `jwks` is a key set of well-formed Ed25519 keys whose kids are their thumbprints. */
export function assertUsableJwks(jwks: unknown, source: string): Jwks {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as Jwks).keys)) throw new Error(`${source} is not a JWKS document (no "keys" array)`);
  try {
    keyResolverFromJwks(jwks as Jwks);
  } catch (err) {
    throw new Error(`${source} is not a valid JWKS: ${(err as Error).message}`);
  }
  if ((jwks as Jwks).keys.length === 0) throw new Error(`${source} holds no keys`);
  return jwks as Jwks;
}

const fileNameOf = (issuer: string) => `${issuer.replace(/^https?:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 80)}-${createHash('sha256').update(issuer).digest('hex').slice(0, 12)}.json`;

export async function listTrustedIssuers(dir = trustStoreDir()): Promise<TrustedIssuer[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: TrustedIssuer[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const path = join(dir, name);
    let entry: TrustedIssuer;
    try {
      entry = JSON.parse(await readFile(path, 'utf8')) as TrustedIssuer;
    } catch (err) {
      throw new Error(`trust store entry ${path} is not JSON: ${(err as Error).message}`);
    }
    if (typeof entry.issuer !== 'string' || typeof entry.addedAt !== 'string') throw new Error(`trust store entry ${path} has no issuer or addedAt`);
    assertUsableJwks(entry.jwks, `trust store entry ${path}`);
    if (entry.logKey !== undefined) {
      try {
        parseVerifierKey(entry.logKey);
      } catch (err) {
        throw new Error(`trust store entry ${path} has a bad log key: ${(err as Error).message}`);
      }
    }
    out.push(entry);
  }
  return out;
}

export async function findTrustedIssuer(issuer: string, dir = trustStoreDir()): Promise<TrustedIssuer | undefined> {
  const wanted = normaliseIssuerUrl(issuer);
  return (await listTrustedIssuers(dir)).find((e) => e.issuer === wanted);
}

export async function saveTrustedIssuer(issuer: string, jwks: Jwks, logKey: string, dir = trustStoreDir(), now = new Date()): Promise<TrustedIssuer> {
  parseVerifierKey(logKey);
  return writeEntry({ issuer: normaliseIssuerUrl(issuer), jwks: assertUsableJwks(jwks, `the key set of ${issuer}`), logKey, addedAt: now.toISOString() }, dir);
}

async function writeEntry(entry: TrustedIssuer, dir: string): Promise<TrustedIssuer> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, fileNameOf(entry.issuer));
  await writeFile(`${path}.tmp`, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return entry;
}

/** Removes an issuer; false when it was not in the store. */
export async function removeTrustedIssuer(issuer: string, dir = trustStoreDir()): Promise<boolean> {
  const wanted = normaliseIssuerUrl(issuer);
  if (!(await findTrustedIssuer(wanted, dir))) return false;
  await rm(join(dir, fileNameOf(wanted)));
  return true;
}

export interface KeySetChange {
  kid: string;
  change: 'added' | 'narrowed';
  lifetime: KeyLifetime;
}

const withLifetime = (entry: JwksEntry, lifetime: KeyLifetime): JwksEntry => {
  const rest = Object.fromEntries(Object.entries(entry).filter(([k]) => !(KEY_LIFETIME_MEMBERS as readonly string[]).includes(k))) as unknown as JwksEntry;
  const status = lifetime.compromisedAt ? 'compromised' : lifetime.notAfter ? 'retired' : (entry.status ?? 'active');
  return { ...rest, status, ...lifetime };
};

/**
 * The stored key set updated by a freshly fetched one: new keys are added, and a known key's lifetime
 * only ever narrows (a retirement or compromise is taken over; a fetched set that drops one, or drops a
 * key, changes nothing), so a refresh through a hostile network cannot bring a retired key back.
 */
export function mergeKeySets(stored: Jwks, fetched: Jwks): { jwks: Jwks; changes: KeySetChange[] } {
  const changes: KeySetChange[] = [];
  const fetchedByKid = new Map(fetched.keys.map((k) => [k.kid, k]));
  const keys = stored.keys.map((old) => {
    const now = fetchedByKid.get(old.kid);
    if (!now) return old;
    const before = lifetimeOfJwk(old as unknown as Record<string, unknown>);
    const after = narrowLifetime(before, lifetimeOfJwk(now as unknown as Record<string, unknown>));
    if (JSON.stringify(before) === JSON.stringify(after)) return old;
    changes.push({ kid: old.kid, change: 'narrowed', lifetime: after });
    return withLifetime(old, after);
  });
  const known = new Set(stored.keys.map((k) => k.kid));
  for (const k of fetched.keys.filter((f) => !known.has(f.kid))) {
    keys.push(k);
    changes.push({ kid: k.kid, change: 'added', lifetime: lifetimeOfJwk(k as unknown as Record<string, unknown>) });
  }
  return { jwks: { keys }, changes };
}

/** Stores `fetched` merged into `entry` (see mergeKeySets). */
export async function refreshTrustedIssuer(entry: TrustedIssuer, fetched: Jwks, dir = trustStoreDir(), now = new Date()): Promise<{ entry: TrustedIssuer; changes: KeySetChange[] }> {
  const { jwks, changes } = mergeKeySets(entry.jwks, assertUsableJwks(fetched, `the key set of ${entry.issuer}`));
  return { entry: await writeEntry({ ...entry, jwks, refreshedAt: now.toISOString() }, dir), changes };
}

/** The issuer's log key from its log-key endpoint; `readJson` is the CLI's fetcher. Throws with the reason. */
export async function fetchLogKey(issuer: string, readJson: (url: string, unreachable: (reason: string) => string) => Promise<unknown>): Promise<NoteVerifierKey> {
  const url = logKeyUrlOf(issuer);
  const answer = await readJson(url, (reason) => `Cannot fetch the transparency log key of ${issuer} from ${url} (${reason}).`);
  const vkey = typeof answer === 'object' && answer !== null ? (answer as { vkey?: unknown }).vkey : undefined;
  if (typeof vkey !== 'string') throw new Error(`${url} answered no "vkey"`);
  try {
    return parseVerifierKey(vkey);
  } catch (err) {
    throw new Error(`${url} answered a bad log key: ${(err as Error).message}`);
  }
}
