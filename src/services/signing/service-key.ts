// The API's signing keys and the transparency log's key. The boot key comes from NPUBENCH_SIGNING_KEY(_FILE),
// the log key from NPUBENCH_LOG_KEY(_FILE); on embedded defaults each is generated under the data dir on
// first start (with a warning: a lab must keep its keys elsewhere).
// `npubench keys rotate` makes a new key in NPUBENCH_SIGNING_KEY_DIR and marks it active in the database;
// every replica reads the active key id from the database each time it signs, so a rotation takes
// effect at once everywhere. Only public halves and lifetimes reach the database; retired and
// compromised keys stay there (and in the JWKS) so what they signed in their window still verifies.
// The log key does not rotate with them: checkpoints stay verifiable by the one log key a verifier pinned.
import { access, mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { join } from 'node:path';
import type { Db } from '../../lib/database.js';
import type { Logger } from '../../lib/logger.js';
import type { Config } from '../../config/index.js';
import type { ServiceDeps } from '../deps.js';
import { badRequest, notFound, serviceUnavailable } from '../../lib/errors.js';
import type { KeyLifetime } from '../../lib/crypto/key-lifetime.js';
import {
  buildJwks,
  generateSigningKeyPem,
  loadSigningKeyFile,
  publicKeyFromJwk,
  signingKeyFromPem,
  SigningKeyError,
  writePrivateKeyFile,
  type Jwks,
  type SigningKey,
} from '../../lib/crypto/signing-keys.js';
import { noteSignerFrom, type NoteSigner } from '../../lib/crypto/signed-note.js';
import { KEY_STATUSES } from '../../contracts/signing.js';

/** signing_keys.status is a text column: parsed at read like every other column with a closed vocabulary. */
const keyStatusColumn = z.enum(KEY_STATUSES);

export async function loadServiceSigningKey(config: Config, log: Logger): Promise<SigningKey> {
  return loadKey(config, log, { inline: config.env.NPUBENCH_SIGNING_KEY, file: config.env.NPUBENCH_SIGNING_KEY_FILE, fileName: 'signing-key.pem', variable: 'NPUBENCH_SIGNING_KEY_FILE' });
}

/**
 * The transparency log's checkpoint key, from NPUBENCH_LOG_KEY(_FILE) or generated beside the signing
 * key, named by the log origin. Refuses any report key: a leaked report key must not also be able to
 * sign the log that would expose what it signed.
 */
export async function loadServiceLogKey(config: Config, log: Logger, db: Db): Promise<NoteSigner> {
  const key = await loadKey(config, log, { inline: config.env.NPUBENCH_LOG_KEY, file: config.env.NPUBENCH_LOG_KEY_FILE, fileName: 'log-key.pem', variable: 'NPUBENCH_LOG_KEY_FILE' });
  // Any report key, current or rotated out, is refused (they are all registered before this runs).
  if (await db.signingKey.findUnique({ where: { kid: key.keyId }, select: { kid: true } })) throw new SigningKeyError('the log key (NPUBENCH_LOG_KEY_FILE) is the signing key: give the transparency log a key of its own (npubench keys generate)');
  return noteSignerFrom(config.logOrigin, key);
}

async function loadKey(config: Config, log: Logger, source: { inline: string | undefined; file: string | undefined; fileName: string; variable: string }): Promise<SigningKey> {
  if (source.inline) return signingKeyFromPem(source.inline);
  if (source.file) return loadSigningKeyFile(source.file);
  const path = join(config.dataDir, source.fileName);
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (exists) return loadSigningKeyFile(path);
  await mkdir(config.dataDir, { recursive: true });
  const key = await writePrivateKeyFile(path);
  log.warn({ path, kid: key.keyId }, `No ${source.variable} set: generated a key under the data dir. A lab should keep its keys outside the data dir (npubench keys generate).`);
  return key;
}

type KeyRow = { kid: string; status: string; notBefore: Date; retiredAt: Date | null; compromisedAt: Date | null };

const lifetimeOf = (row: KeyRow): KeyLifetime => ({
  notBefore: row.notBefore.toISOString(),
  ...(row.retiredAt && { notAfter: row.retiredAt.toISOString() }),
  ...(row.compromisedAt && { compromisedAt: row.compromisedAt.toISOString() }),
});

/**
 * At boot: a configured key the database has never seen becomes the active key (the old way to rotate:
 * restart with a new key file) and the previous one retires now. A key that was retired or compromised
 * is never made active again, so a replica restarted with a stale key file cannot bring it back: it
 * signs with the active key from the key dir instead (see activeSigner).
 */
export async function registerSigningKey(db: Db, key: SigningKey, log?: Logger): Promise<void> {
  const known = await db.signingKey.findUnique({ where: { kid: key.keyId } });
  if (known) {
    if (known.status !== 'active') log?.warn({ kid: key.keyId, status: known.status }, 'The configured signing key is no longer active; signing with the active key from NPUBENCH_SIGNING_KEY_DIR.');
    return;
  }
  const now = new Date();
  await db.$transaction([
    db.signingKey.updateMany({ where: { status: 'active' }, data: { status: 'retired', retiredAt: now } }),
    db.signingKey.create({ data: { kid: key.keyId, publicJwk: { ...key.publicJwk }, status: 'active', notBefore: now } }),
  ]);
}

const loadedKeys = new Map<string, SigningKey>();

/** The private half of key `kid` from the key dir, cached per process. */
async function keyFromDir(dir: string, kid: string): Promise<SigningKey | undefined> {
  const cached = loadedKeys.get(kid);
  if (cached) return cached;
  let key: SigningKey;
  try {
    key = await loadSigningKeyFile(join(dir, `${kid}.pem`));
  } catch (err) {
    if (err instanceof SigningKeyError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw err;
  }
  if (key.keyId !== kid) throw new SigningKeyError(`${join(dir, `${kid}.pem`)} holds key ${key.keyId}, not ${kid}`);
  loadedKeys.set(kid, key);
  return key;
}

export interface ActiveSigner {
  key: SigningKey;
  /** Start of its window: nothing it signs may be dated earlier. */
  notBefore: Date;
}

/**
 * The key to sign with now: the database's active key (read on every call: signing is rare, and a
 * rotation by another process must take effect at once), with its private half from this process's
 * boot key or the key dir. 503 when none is active (after a compromise, until `npubench keys rotate`)
 * or its private half is not here.
 */
export async function activeSigner(deps: Pick<ServiceDeps, 'db' | 'signer' | 'config'>): Promise<ActiveSigner> {
  const row = await deps.db.signingKey.findFirst({ where: { status: 'active' } });
  if (!row) throw serviceUnavailable('signing.no_active_key', 'No signing key is active (was the last one marked compromised?): run `npubench keys rotate`.');
  const key = row.kid === deps.signer.keyId ? deps.signer : await keyFromDir(deps.config.signingKeyDir, row.kid);
  if (!key) throw serviceUnavailable('signing.key_unavailable', `The active signing key ${row.kid} is not in this replica's NPUBENCH_SIGNING_KEY_DIR.`);
  return { key, notBefore: row.notBefore };
}

/** The time to date a statement signed by `signer`: now, but never before its window opens (a replica
 *  whose clock runs behind the one that rotated must not sign outside the new key's window). */
export const signingTimeFor = (signer: ActiveSigner, now = new Date()) => new Date(Math.max(now.getTime(), signer.notBefore.getTime()));

/** `npubench keys rotate`: a new key in `keyDir` becomes active now; the active one retires now. */
export async function rotateSigningKey(db: Db, keyDir: string, now = new Date()): Promise<{ key: SigningKey; retired: string[] }> {
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const pem = generateSigningKeyPem();
  const draft = signingKeyFromPem(pem);
  const key = await writePrivateKeyFile(join(keyDir, `${draft.keyId}.pem`), pem);
  const retired = await db.$transaction(async (tx) => {
    const active = await tx.signingKey.findMany({ where: { status: 'active' }, select: { kid: true } });
    await tx.signingKey.updateMany({ where: { status: 'active' }, data: { status: 'retired', retiredAt: now } });
    await tx.signingKey.create({ data: { kid: key.keyId, publicJwk: { ...key.publicJwk }, status: 'active', notBefore: now } });
    return active.map((a) => a.kid);
  });
  return { key, retired };
}

/**
 * `npubench keys compromise KID --since T`: whatever the key signed dated at or after `since` is void.
 * The key is retired too (now, or earlier if it already was); the earliest compromise time stands. An
 * active key leaves the service without one until `npubench keys rotate`.
 */
export async function compromiseSigningKey(db: Db, kid: string, since: Date, now = new Date()): Promise<{ wasActive: boolean; compromisedAt: Date; retiredAt: Date }> {
  if (Number.isNaN(since.getTime())) throw badRequest('signing.bad_time', '--since must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z.');
  if (since.getTime() > now.getTime()) throw badRequest('signing.compromise_in_future', 'A compromise time cannot be in the future.');
  return db.$transaction(async (tx) => {
    const row = await tx.signingKey.findUnique({ where: { kid } });
    if (!row) throw notFound('signing.key_not_found', `No signing key ${kid}; see the kids in /.well-known/jwks.json.`);
    const compromisedAt = row.compromisedAt && row.compromisedAt < since ? row.compromisedAt : since;
    const retiredAt = row.retiredAt && row.retiredAt < now ? row.retiredAt : now;
    await tx.signingKey.update({ where: { kid }, data: { status: 'compromised', compromisedAt, retiredAt } });
    return { wasActive: row.status === 'active', compromisedAt, retiredAt };
  });
}

export async function currentJwks(db: Db): Promise<Jwks> {
  const rows = await db.signingKey.findMany({ orderBy: { createdAt: 'asc' } });
  return buildJwks(rows.map((row) => ({ key: publicKeyFromJwk(row.publicJwk), status: keyStatusColumn.parse(row.status), lifetime: lifetimeOf(row) })));
}
