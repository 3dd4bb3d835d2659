// The API's signing key. It comes from NPUBENCH_SIGNING_KEY(_FILE); on embedded defaults a key is
// generated under the data dir on first start (with a warning: a lab must keep its key elsewhere).
// Only the public half reaches the database, where retired keys stay so old signatures verify.
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../../lib/database.js';
import type { Logger } from '../../lib/logger.js';
import type { Config } from '../../config/index.js';
import { buildJwks, loadSigningKeyFile, publicKeyFromJwk, signingKeyFromPem, writePrivateKeyFile, type Jwks, type KeyResolver, type KeyStatus, type SigningKey } from '../../lib/crypto/signing-keys.js';

export async function loadServiceSigningKey(config: Config, log: Logger): Promise<SigningKey> {
  if (config.env.NPUBENCH_SIGNING_KEY) return signingKeyFromPem(config.env.NPUBENCH_SIGNING_KEY);
  if (config.env.NPUBENCH_SIGNING_KEY_FILE) return loadSigningKeyFile(config.env.NPUBENCH_SIGNING_KEY_FILE);
  const path = join(config.dataDir, 'signing-key.pem');
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (exists) return loadSigningKeyFile(path);
  await mkdir(config.dataDir, { recursive: true });
  const key = await writePrivateKeyFile(path);
  log.warn({ path, kid: key.keyId }, 'No NPUBENCH_SIGNING_KEY_FILE set: generated a signing key under the data dir. A lab should keep its key outside the data dir (npubench keys generate).');
  return key;
}

/** Records the key's public half as the active key; any other active key becomes retired. */
export async function registerSigningKey(db: Db, key: SigningKey): Promise<void> {
  await db.$transaction([
    db.signingKey.updateMany({ where: { status: 'active', NOT: { kid: key.keyId } }, data: { status: 'retired', retiredAt: new Date() } }),
    db.signingKey.upsert({
      where: { kid: key.keyId },
      create: { kid: key.keyId, publicJwk: { ...key.publicJwk }, status: 'active' },
      update: { status: 'active', retiredAt: null },
    }),
  ]);
}

export async function currentJwks(db: Db): Promise<Jwks> {
  const rows = await db.signingKey.findMany({ orderBy: { createdAt: 'asc' } });
  return buildJwks(rows.map((row) => ({ key: publicKeyFromJwk(row.publicJwk), status: row.status as KeyStatus })));
}

/** Resolves key ids against every key this service ever signed with. */
export async function serviceKeyResolver(db: Db): Promise<KeyResolver> {
  const rows = await db.signingKey.findMany();
  const keys = new Map(rows.map((row) => [row.kid, publicKeyFromJwk(row.publicJwk)]));
  return (kid) => keys.get(kid);
}
