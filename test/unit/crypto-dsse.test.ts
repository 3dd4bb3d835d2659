import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../src/lib/crypto/canonical-json.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  buildStatement,
  preAuthEncoding,
  signEnvelope,
  signStatement,
  verifyEnvelope,
  verifyStatement,
  type DsseEnvelope,
} from '../../src/lib/crypto/dsse.js';
import {
  buildJwks,
  generateSigningKeyPem,
  keyResolverFromJwks,
  publicKeyFromJwk,
  signingKeyFromPem,
  type KeyResolver,
} from '../../src/lib/crypto/signing-keys.js';

const run = promisify(execFile);

const PAYLOAD_TYPE = 'application/vnd.npubench.report+json';
const key = signingKeyFromPem(generateSigningKeyPem());
const otherKey = signingKeyFromPem(generateSigningKeyPem());
const resolve: KeyResolver = (kid) => (kid === key.keyId ? key.publicKey : undefined);
const body = canonicalBytes({ device: 'npu-x1', p99Ms: 12.5, model: 'resnet50' });

function withPayload(envelope: DsseEnvelope, payload: Buffer): DsseEnvelope {
  return { ...envelope, payload: payload.toString('base64') };
}
function withSig(envelope: DsseEnvelope, sig: string): DsseEnvelope {
  return { ...envelope, signatures: [{ keyid: envelope.signatures[0]!.keyid, sig }] };
}
function flipped(bytes: Buffer, index: number, mask: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index]! ^= mask;
  return copy;
}

describe('preAuthEncoding', () => {
  it('matches the DSSE protocol.md test vector', () => {
    // From secure-systems-lab/dsse protocol.md: PAE("http://example.com/HelloWorld", "hello world").
    expect(preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not UTF-16 characters', () => {
    expect(preAuthEncoding('t/€', Buffer.from('é')).toString()).toBe('DSSEv1 5 t/€ 2 é');
    expect(preAuthEncoding('', Buffer.alloc(0)).toString()).toBe('DSSEv1 0  0 ');
  });
});

describe('signEnvelope / verifyEnvelope', () => {
  const envelope = signEnvelope(PAYLOAD_TYPE, body, key);

  it('round-trips, also through JSON', () => {
    expect(envelope.payloadType).toBe(PAYLOAD_TYPE);
    expect(envelope.signatures).toHaveLength(1);
    expect(envelope.signatures[0]!.keyid).toBe(key.keyId);
    const result = verifyEnvelope(JSON.parse(JSON.stringify(envelope)), resolve, PAYLOAD_TYPE);
    expect(result).toEqual({ ok: true, payload: body, payloadType: PAYLOAD_TYPE, keyid: key.keyId });
  });

  it('fails when any bit of the payload changes', () => {
    const payload = Buffer.from(envelope.payload, 'base64');
    for (let i = 0; i < payload.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        expect(verifyEnvelope(withPayload(envelope, flipped(payload, i, 1 << bit)), resolve), `byte ${i} bit ${bit}`).toEqual({
          ok: false,
          reason: 'bad_signature',
        });
      }
    }
  });

  it('fails when any bit of the signature changes', () => {
    const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64');
    expect(sig).toHaveLength(64);
    for (let i = 0; i < sig.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const result = verifyEnvelope(withSig(envelope, flipped(sig, i, 1 << bit).toString('base64')), resolve);
        expect(result.ok, `byte ${i} bit ${bit}`).toBe(false);
      }
    }
  });

  it('fails when any character of the base64 payload or signature is replaced', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const replace = (text: string, i: number) => {
      const other = alphabet[(alphabet.indexOf(text[i]!) + 1) % 64] ?? 'A';
      return text.slice(0, i) + other + text.slice(i + 1);
    };
    const { sig } = envelope.signatures[0]!;
    // Includes the last characters, whose low bits are unused: lenient base64 decoding would accept those.
    for (let i = 0; i < envelope.payload.replace(/=+$/, '').length; i++) {
      expect(verifyEnvelope({ ...envelope, payload: replace(envelope.payload, i) }, resolve).ok, `payload char ${i}`).toBe(false);
    }
    for (let i = 0; i < sig.replace(/=+$/, '').length; i++) {
      expect(verifyEnvelope(withSig(envelope, replace(sig, i)), resolve).ok, `sig char ${i}`).toBe(false);
    }
  });

  it('fails when any byte of the payloadType changes, whether or not a type is expected', () => {
    for (let i = 0; i < PAYLOAD_TYPE.length; i++) {
      const type = PAYLOAD_TYPE.slice(0, i) + String.fromCharCode(PAYLOAD_TYPE.charCodeAt(i) ^ 1) + PAYLOAD_TYPE.slice(i + 1);
      expect(verifyEnvelope({ ...envelope, payloadType: type }, resolve)).toEqual({ ok: false, reason: 'bad_signature' });
      expect(verifyEnvelope({ ...envelope, payloadType: type }, resolve, PAYLOAD_TYPE)).toEqual({ ok: false, reason: 'wrong_payload_type' });
    }
  });

  it('refuses a validly signed envelope of another type when a type is expected', () => {
    const other = signEnvelope('application/vnd.npubench.tree-head+json', body, key);
    expect(verifyEnvelope(other, resolve, PAYLOAD_TYPE)).toEqual({ ok: false, reason: 'wrong_payload_type' });
  });

  it('reports an unknown key id, and a known id with another key’s signature as bad', () => {
    expect(verifyEnvelope(signEnvelope(PAYLOAD_TYPE, body, otherKey), resolve)).toEqual({ ok: false, reason: 'unknown_key' });
    const forged = signEnvelope(PAYLOAD_TYPE, body, { keyId: key.keyId, privateKey: otherKey.privateKey });
    expect(verifyEnvelope(forged, resolve)).toEqual({ ok: false, reason: 'bad_signature' });
    const { sig } = envelope.signatures[0]!;
    expect(verifyEnvelope({ ...envelope, signatures: [{ sig }] }, resolve)).toEqual({ ok: false, reason: 'unknown_key' });
  });

  it('accepts when any one of several signatures verifies', () => {
    const second = signEnvelope(PAYLOAD_TYPE, body, otherKey).signatures[0]!;
    const multi = { ...envelope, signatures: [second, ...envelope.signatures] };
    expect(verifyEnvelope(multi, resolve)).toMatchObject({ ok: true, keyid: key.keyId });
  });

  it('accepts URL-safe base64, which DSSE allows', () => {
    const urlSafe = {
      ...envelope,
      payload: Buffer.from(envelope.payload, 'base64').toString('base64url'),
      signatures: [{ keyid: key.keyId, sig: Buffer.from(envelope.signatures[0]!.sig, 'base64').toString('base64url') }],
    };
    expect(verifyEnvelope(urlSafe, resolve)).toMatchObject({ ok: true, payload: body });
  });

  it('answers malformed, never throws, on hostile input', () => {
    const { sig } = envelope.signatures[0]!;
    const hostile: unknown[] = [
      undefined,
      null,
      42,
      'envelope',
      [],
      {},
      { ...envelope, payload: 5 },
      { ...envelope, payload: 'not base64!' },
      { ...envelope, payload: `${envelope.payload}A` },
      { ...envelope, payload: `${envelope.payload.replace(/=+$/, '')}=` },
      { ...envelope, payloadType: undefined },
      { ...envelope, payloadType: 'a\ud800' },
      { ...envelope, signatures: [] },
      { ...envelope, signatures: 'sig' },
      { ...envelope, signatures: [null] },
      { ...envelope, signatures: [{ keyid: key.keyId }] },
      { ...envelope, signatures: [{ keyid: 7, sig }] },
      { ...envelope, signatures: [{ keyid: key.keyId, sig: '%%%' }] },
      { ...envelope, signatures: Array.from({ length: 17 }, () => envelope.signatures[0]) },
    ];
    for (const input of hostile) {
      expect(verifyEnvelope(input, resolve), JSON.stringify(input)?.slice(0, 80)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('survives a resolver that throws or returns a key of the wrong type', () => {
    const throwing: KeyResolver = () => {
      throw new Error('database down');
    };
    expect(verifyEnvelope(envelope, throwing)).toEqual({ ok: false, reason: 'unknown_key' });
    const x25519 = generateKeyPairSync('x25519').publicKey;
    expect(verifyEnvelope(envelope, () => x25519)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('keeps verifying old envelopes after the key rotates (retired key stays in the JWKS)', () => {
    const oldEnvelope = signEnvelope(PAYLOAD_TYPE, body, key);
    const rotated = keyResolverFromJwks(
      buildJwks([
        { key: otherKey.publicKey, status: 'active' },
        { key: key.publicJwk, status: 'retired' },
      ]),
    );
    expect(verifyEnvelope(oldEnvelope, rotated, PAYLOAD_TYPE)).toMatchObject({ ok: true, keyid: key.keyId });
    expect(verifyEnvelope(signEnvelope(PAYLOAD_TYPE, body, otherKey), rotated, PAYLOAD_TYPE)).toMatchObject({ ok: true, keyid: otherKey.keyId });
    const withoutOld = keyResolverFromJwks(buildJwks([{ key: otherKey.publicKey, status: 'active' }]));
    expect(verifyEnvelope(oldEnvelope, withoutOld)).toEqual({ ok: false, reason: 'unknown_key' });
  });
});


describe('interoperability: OpenSSL verifies our signatures', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'npubench-dsse-openssl-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `openssl pkeyutl -verify` and returns its combined output; a failed verification exits non-zero. */
  async function opensslVerify(pae: Buffer, sig: Buffer): Promise<string> {
    await writeFile(path.join(dir, 'pae.bin'), pae);
    await writeFile(path.join(dir, 'sig.bin'), sig);
    try {
      const { stdout, stderr } = await run(
        'openssl',
        ['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-rawin', '-in', 'pae.bin', '-sigfile', 'sig.bin'],
        { cwd: dir },
      );
      return stdout + stderr;
    } catch (err) {
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
      return stdout + stderr;
    }
  }

  it('accepts the PAE and signature of our envelope, using only the published JWK', async () => {
    const { stdout: version } = await run('openssl', ['version']);
    // -rawin (pure EdDSA over the whole message) needs OpenSSL 3.
    expect(Number(/^OpenSSL (\d+)\./.exec(version)?.[1])).toBeGreaterThanOrEqual(3);

    const [published] = buildJwks([{ key: key.publicKey, status: 'active' }]).keys;
    const spki = publicKeyFromJwk(published).export({ format: 'pem', type: 'spki' });
    await writeFile(path.join(dir, 'pub.pem'), spki);

    const envelope = signEnvelope(PAYLOAD_TYPE, body, key);
    const pae = preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload, 'base64'));
    const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64');
    expect(await opensslVerify(pae, sig)).toContain('Signature Verified Successfully');

    const tampered = flipped(pae, pae.length - 3, 0x01);
    const output = await opensslVerify(tampered, sig);
    expect(output).not.toContain('Signature Verified Successfully');
    expect(output).toMatch(/Signature Verification Failure/);
  });
});

describe('in-toto Statement v1', () => {
  const subject = [{ name: 'resnet50.onnx', digest: { sha256: 'a'.repeat(64) } }];
  const predicateType = 'https://npubench.dev/report/v1';
  const statement = buildStatement(subject, predicateType, { p99Ms: 12.5, device: 'npu-x1' });

  it('signs the canonical JSON of the statement with the in-toto payload type', () => {
    const envelope = signStatement(statement, key);
    expect(envelope.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    expect(Buffer.from(envelope.payload, 'base64').toString()).toBe(
      `{"_type":"${IN_TOTO_STATEMENT_TYPE}","predicate":{"device":"npu-x1","p99Ms":12.5},"predicateType":"${predicateType}","subject":[{"digest":{"sha256":"${'a'.repeat(64)}"},"name":"resnet50.onnx"}]}`,
    );
    expect(verifyStatement(envelope, resolve, predicateType)).toEqual({ ok: true, statement, keyid: key.keyId });
  });

  it('refuses another predicate type, another payload type and a non-statement payload', () => {
    const envelope = signStatement(statement, key);
    expect(verifyStatement(envelope, resolve, 'https://example.com/other')).toEqual({ ok: false, reason: 'wrong_predicate_type' });
    expect(verifyStatement(signEnvelope(PAYLOAD_TYPE, canonicalBytes(statement), key), resolve)).toEqual({ ok: false, reason: 'wrong_payload_type' });
    const notAStatement = signEnvelope(IN_TOTO_PAYLOAD_TYPE, canonicalBytes({ _type: 'https://in-toto.io/Statement/v0.1' }), key);
    expect(verifyStatement(notAStatement, resolve)).toEqual({ ok: false, reason: 'malformed' });
    // Signed, but not canonical JSON: a second parser could read it differently, so it is refused.
    const spaced = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement, null, 1)), key);
    expect(verifyStatement(spaced, resolve)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('passes envelope failures through', () => {
    expect(verifyStatement(signStatement(statement, otherKey), resolve)).toEqual({ ok: false, reason: 'unknown_key' });
  });

  it('refuses to build a statement without subjects or with a malformed digest', () => {
    expect(() => buildStatement([], predicateType, {})).toThrow(TypeError);
    expect(() => buildStatement([{ name: 'm', digest: { sha256: 'A'.repeat(64) } }], predicateType, {})).toThrow(TypeError);
    expect(() => buildStatement(subject, '', {})).toThrow(TypeError);
  });
});
