// `npubench keys generate`: a new Ed25519 signing key for the API (PKCS#8 PEM, mode 600) to point
// NPUBENCH_SIGNING_KEY_FILE at. `keys rotate|compromise|list` act on a running deployment through its
// database (DATABASE_URL) and key dir (NPUBENCH_SIGNING_KEY_DIR): every replica reads the active key
// from the database whenever it signs, so a rotation or compromise takes effect at once.
import { loadConfig } from '../../config/index.js';
import { createDb, type Db } from '../../lib/database.js';
import { writePrivateKeyFile } from '../../lib/crypto/signing-keys.js';
import { compromiseSigningKey, currentJwks, rotateSigningKey } from '../../services/signing/service-key.js';
import { keyFingerprint } from '../../lib/certificates/trust-store.js';

export async function keysGenerateCommand(opts: { out: string }): Promise<void> {
  const key = await writePrivateKeyFile(opts.out);
  console.log(`Wrote ${opts.out} (Ed25519, key id ${key.keyId}).\nStart the API with NPUBENCH_SIGNING_KEY_FILE=${opts.out}; keep the file out of the data dir and backups you share.`);
}

async function withDeployment<T>(command: string, run: (db: Db, keyDir: string) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (!config.env.DATABASE_URL) throw new Error(`npubench keys ${command} needs DATABASE_URL, the Postgres of the running deployment (it does not open the embedded Postgres of \`npm start\`).`);
  const db = createDb(config.env.DATABASE_URL, 2);
  try {
    return await run(db, config.signingKeyDir);
  } finally {
    await db.$disconnect();
  }
}

const AFTER_CHANGE = 'Verifiers see this once they fetch the key set again: `npubench trust refresh` (or `trust add`), or a new --jwks file.';

export async function keysListCommand(opts: { json?: boolean }): Promise<number> {
  const jwks = await withDeployment('list', (db) => currentJwks(db));
  if (opts.json) {
    console.log(JSON.stringify(jwks, null, 2));
    return 0;
  }
  for (const k of jwks.keys) {
    console.log(`${k.kid} ${k.status ?? ''}`);
    console.log(`  valid from ${k.notBefore ?? '?'}${k.notAfter ? ` until ${k.notAfter}` : ''}${k.compromisedAt ? `; compromised since ${k.compromisedAt}` : ''}`);
    console.log(`  sha256 fingerprint: ${keyFingerprint(k)}`);
  }
  return 0;
}

export async function keysRotateCommand(): Promise<number> {
  const { key, retired, keyDir } = await withDeployment('rotate', async (db, keyDir) => ({ ...(await rotateSigningKey(db, keyDir)), keyDir }));
  console.log(`Signing with new key ${key.keyId} from now on (private key ${keyDir}/${key.keyId}.pem, sha256 fingerprint ${keyFingerprint(key.publicJwk)}).`);
  if (retired.length > 0) console.log(`Retired now: ${retired.join(', ')} (still published, so what they signed before now verifies).`);
  console.log(`Every API replica needs this file in its NPUBENCH_SIGNING_KEY_DIR. ${AFTER_CHANGE}`);
  return 0;
}

export async function keysCompromiseCommand(kid: string, opts: { since: string }): Promise<number> {
  const since = new Date(opts.since);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(opts.since) || Number.isNaN(since.getTime())) throw new Error(`--since must be an ISO 8601 time such as 2026-12-01T00:00:00Z (got ${JSON.stringify(opts.since)})`);
  const result = await withDeployment('compromise', (db) => compromiseSigningKey(db, kid, since));
  console.log(`Key ${kid} is compromised since ${result.compromisedAt.toISOString()}: whatever it signed dated from then on fails verification (key_compromised). Retired ${result.retiredAt.toISOString()}.`);
  if (result.wasActive) console.log('It was the active key: nothing can be signed until `npubench keys rotate`.');
  console.log(AFTER_CHANGE);
  return 0;
}
