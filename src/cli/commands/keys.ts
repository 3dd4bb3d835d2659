// `npubench keys generate`: a new Ed25519 signing key for the API (PKCS#8 PEM, mode 600). Point
// NPUBENCH_SIGNING_KEY_FILE at it; on the next start the previous key is kept as "retired" in the JWKS.
import { writePrivateKeyFile } from '../../lib/crypto/signing-keys.js';

export async function keysGenerateCommand(opts: { out: string }): Promise<void> {
  const key = await writePrivateKeyFile(opts.out);
  console.log(`Wrote ${opts.out} (Ed25519, key id ${key.keyId}).\nStart the API with NPUBENCH_SIGNING_KEY_FILE=${opts.out}; keep the file out of the data dir and backups you share.`);
}
