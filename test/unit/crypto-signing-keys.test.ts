import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SigningKeyError,
  buildJwks,
  generateSigningKeyPem,
  jwkThumbprint,
  keyResolverFromJwks,
  loadSigningKeyFile,
  publicJwk,
  publicKeyFromJwk,
  signingKeyFromPem,
  writePrivateKeyFile,
} from '../../src/lib/crypto/signing-keys.js';

// RFC 8037 Appendix A.1 (the RFC 8032 §7.1 TEST 1 key), wrapped as PKCS#8: the fixed Ed25519 prefix + seed.
const RFC8037_SEED_HEX = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC8037_X = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'; // RFC 8037 Appendix A.3
const RFC8032_TEST1_EMPTY_MESSAGE_SIG =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

function pemFromSeed(seedHex: string): string {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]);
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'npubench-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RFC 8037 / RFC 7638 vectors', () => {
  const key = signingKeyFromPem(pemFromSeed(RFC8037_SEED_HEX));

  it('derives the RFC 8037 A.1 public JWK from the private key', () => {
    expect(key.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X });
  });

  it('uses the RFC 8037 A.3 JWK thumbprint as key id', () => {
    expect(jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X })).toBe(RFC8037_THUMBPRINT);
    expect(key.keyId).toBe(RFC8037_THUMBPRINT);
  });

  it('signs exactly as RFC 8032 §7.1 TEST 1 says (pure Ed25519, no prehash)', () => {
    expect(sign(null, Buffer.alloc(0), key.privateKey).toString('hex')).toBe(RFC8032_TEST1_EMPTY_MESSAGE_SIG);
  });
});

describe('generating and loading keys', () => {
  it('generates a PKCS#8 PEM whose key id is the thumbprint of its public key', () => {
    const pem = generateSigningKeyPem();
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = signingKeyFromPem(pem);
    expect(key.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(key.keyId).toBe(jwkThumbprint(publicJwk(key.publicKey)));
    expect(key.keyId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signingKeyFromPem(generateSigningKeyPem()).keyId).not.toBe(key.keyId);
  });

  it('writes the private key with mode 0600, loads it back and refuses to overwrite it', async () => {
    const file = path.join(dir, 'signing.pem');
    const written = await writePrivateKeyFile(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await loadSigningKeyFile(file)).keyId).toBe(written.keyId);

    const before = await readFile(file, 'utf8');
    await expect(writePrivateKeyFile(file)).rejects.toThrow(/refusing to overwrite/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('reports a missing file, a non-PEM and a non-Ed25519 key clearly', async () => {
    await expect(loadSigningKeyFile(path.join(dir, 'absent.pem'))).rejects.toThrow(/cannot read signing key file/);
    const garbage = path.join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a key');
    await expect(loadSigningKeyFile(garbage)).rejects.toBeInstanceOf(SigningKeyError);
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' });
    expect(() => signingKeyFromPem(rsaPem)).toThrow(/must be Ed25519, got rsa/);
    const publicPem = signingKeyFromPem(generateSigningKeyPem()).publicKey.export({ format: 'pem', type: 'spki' });
    expect(() => signingKeyFromPem(publicPem)).toThrow(SigningKeyError);
  });
});

describe('JWK and JWKS', () => {
  const active = signingKeyFromPem(generateSigningKeyPem());
  const retired = signingKeyFromPem(generateSigningKeyPem());

  it('round-trips a public key through its JWK', () => {
    const restored = publicKeyFromJwk(active.publicJwk);
    const sig = sign(null, Buffer.from('m'), active.privateKey);
    expect(verify(null, Buffer.from('m'), restored, sig)).toBe(true);
    expect(publicJwk(active.privateKey)).toEqual(active.publicJwk);
  });

  it('ignores a private d member and refuses malformed JWKs', () => {
    const privateJwk = active.privateKey.export({ format: 'jwk' });
    expect(publicKeyFromJwk(privateJwk).type).toBe('public');
    for (const bad of [
      null,
      'jwk',
      { kty: 'RSA', crv: 'Ed25519', x: RFC8037_X },
      { kty: 'OKP', crv: 'X25519', x: RFC8037_X },
      { kty: 'OKP', crv: 'Ed25519' },
      { kty: 'OKP', crv: 'Ed25519', x: RFC8037_X.slice(0, -1) },
      { kty: 'OKP', crv: 'Ed25519', x: `${RFC8037_X}=` },
      // Same bytes in another spelling (unused trailing bits set): would hash to a different key id.
      { kty: 'OKP', crv: 'Ed25519', x: `${RFC8037_X.slice(0, -1)}p` },
    ]) {
      expect(() => publicKeyFromJwk(bad), JSON.stringify(bad)).toThrow(SigningKeyError);
    }
  });

  it('builds a JWKS with active and retired keys, each with kid, alg and use', () => {
    const jwks = buildJwks([
      { key: active.publicKey, status: 'active' },
      { key: retired.publicJwk, status: 'retired' },
      { key: { kty: 'OKP', crv: 'Ed25519', x: RFC8037_X } },
    ]);
    expect(jwks.keys).toEqual([
      { ...active.publicJwk, kid: active.keyId, alg: 'EdDSA', use: 'sig', status: 'active' },
      { ...retired.publicJwk, kid: retired.keyId, alg: 'EdDSA', use: 'sig', status: 'retired' },
      { kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, kid: RFC8037_THUMBPRINT, alg: 'EdDSA', use: 'sig' },
    ]);
    expect(JSON.parse(JSON.stringify(jwks))).toEqual(jwks);
  });

  it('resolves every published key, retired ones included, and nothing else', () => {
    const resolve = keyResolverFromJwks(buildJwks([{ key: active.publicKey, status: 'active' }, { key: retired.publicKey, status: 'retired' }]));
    expect(resolve(active.keyId)?.equals(active.publicKey)).toBe(true);
    expect(resolve(retired.keyId)?.equals(retired.publicKey)).toBe(true);
    expect(resolve(RFC8037_THUMBPRINT)).toBeUndefined();
  });

  it('refuses a JWKS entry whose kid is not the thumbprint of its key', () => {
    const jwks = buildJwks([{ key: active.publicKey }]);
    jwks.keys[0]!.kid = retired.keyId;
    expect(() => keyResolverFromJwks(jwks)).toThrow(/is not the thumbprint of its key/);
  });
});
