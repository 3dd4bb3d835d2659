// C2SP signed notes and tlog checkpoints. The byte layout is pinned by an outside known answer: the
// example of golang.org/x/mod/sumdb/note (its doc comment and note_test.go), whose Ed25519 seed, verifier
// key and signed note are published there; Ed25519 is deterministic, so our signer must reproduce the
// note byte for byte and our verifier must accept it.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { noteSignerFrom, openNote, parseVerifierKey, signNote } from '../../src/lib/crypto/signed-note.js';
import { checkpointText, signCheckpoint, verifyCheckpoint } from '../../src/lib/crypto/checkpoint.js';
import { signingKeyFromPem } from '../../src/lib/crypto/signing-keys.js';

const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

/** The Go signer key's seed (after the 0x01 type byte) as a PKCS#8 PEM: RFC 8410's fixed 16-byte prefix. */
function goSigningKey() {
  const seed = Buffer.from(GO_SKEY.split('+').slice(4).join('+'), 'base64').subarray(1);
  expect(seed).toHaveLength(32);
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return signingKeyFromPem(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }));
}

describe('signed notes (c2sp.org/signed-note)', () => {
  it("reproduces Go's sumdb/note example byte for byte: the verifier key and the signed note", () => {
    const signer = noteSignerFrom('PeterNeumann', goSigningKey());
    expect(signer.vkey).toBe(GO_VKEY);
    expect(signNote(GO_TEXT, signer)).toBe(GO_NOTE);
  });

  it("opens Go's note with its verifier key, and refuses one changed byte", () => {
    const key = parseVerifierKey(GO_VKEY);
    expect(openNote(GO_NOTE, key)).toEqual({ ok: true, text: GO_TEXT });
    expect(openNote(GO_NOTE.replace('cryptography', 'cryptographY'), key)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('computes the key id as SHA-256(name || 0x0A || 0x01 || key)[:4], written independently here', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const name = 'lab.example/npubench/log';
    const id = createHash('sha256').update(Buffer.concat([Buffer.from(name), Buffer.from([0x0a, 0x01]), raw])).digest().subarray(0, 4);
    const signer = noteSignerFrom(name, { publicKey, privateKey });
    expect(signer.vkey).toBe(`${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([1]), raw]).toString('base64')}`);
    // The signature line: em dash, space, name, space, base64(id || Ed25519 signature over the text).
    const text = 'hello\n';
    expect(signNote(text, signer)).toBe(`${text}\n\u2014 ${name} ${Buffer.concat([id, sign(null, Buffer.from(text), privateKey)]).toString('base64')}\n`);
  });

  it('ignores signatures by unknown keys (witness cosignatures), but any failing signature of the trusted key rejects the note', () => {
    const key = parseVerifierKey(GO_VKEY);
    const cosigned = `${GO_NOTE}\u2014 witness.example ${Buffer.alloc(72, 1).toString('base64')}\n`;
    expect(openNote(cosigned, key)).toEqual({ ok: true, text: GO_TEXT });
    const sameNameOtherId = `${GO_TEXT}\n\u2014 PeterNeumann ${Buffer.alloc(68, 2).toString('base64')}\n`;
    expect(openNote(sameNameOtherId, key)).toEqual({ ok: false, reason: 'unknown_key' });
    const badSecond = `${GO_NOTE}\u2014 PeterNeumann ${Buffer.concat([Buffer.from('c74f20a3', 'hex'), Buffer.alloc(64)]).toString('base64')}\n`;
    expect(openNote(badSecond, key)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses what is not a signed note', () => {
    const key = parseVerifierKey(GO_VKEY);
    for (const bad of [GO_TEXT, GO_NOTE.slice(0, -1), GO_NOTE.replace('\n\n', '\n'), GO_NOTE.replace('\u2014 ', '-- '), GO_NOTE.replace('If', 'I\u0007f'), 42, null, `${GO_TEXT}\n`]) {
      expect(openNote(bad, key), JSON.stringify(bad)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('refuses malformed verifier keys', () => {
    const raw = createPublicKey(goSigningKey().privateKey);
    expect(raw.asymmetricKeyType).toBe('ed25519');
    for (const bad of ['PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'PeterNeumann+c74f20a3+Anpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'PeterNeumann+c74f20a3+ARpc2QcU', 'PeterNeumann+c74f20a3']) {
      expect(() => parseVerifierKey(bad), bad).toThrow();
    }
  });
});

describe('checkpoints (c2sp.org/tlog-checkpoint)', () => {
  const origin = 'lab.example/npubench/log';
  const signer = noteSignerFrom(origin, generateKeyPairSync('ed25519'));
  const key = parseVerifierKey(signer.vkey);
  const root = createHash('sha256').update('root').digest('base64');

  it('is origin, decimal size and base64 root, one per line, signed by the key named as the origin', () => {
    const note = signCheckpoint({ treeSize: 20852163, rootHash: root }, signer);
    expect(note.startsWith(`${origin}\n20852163\n${root}\n\n\u2014 ${origin} `)).toBe(true);
    expect(checkpointText({ origin, treeSize: 0, rootHash: root })).toBe(`${origin}\n0\n${root}\n`);
    expect(verifyCheckpoint(note, key)).toEqual({ ok: true, checkpoint: { origin, treeSize: 20852163, rootHash: root } });
  });

  it("refuses another log's checkpoint signed by this key, and bodies that are not checkpoints", () => {
    expect(verifyCheckpoint(signNote(`other.example/log\n1\n${root}\n`, signer), key)).toEqual({ ok: false, reason: 'wrong_origin' });
    for (const text of [`${origin}\n01\n${root}\n`, `${origin}\n-1\n${root}\n`, `${origin}\n1\nAAAA\n`, `${origin}\n1\n${root}\nextension\n`, `${origin}\n1\n`]) {
      expect(verifyCheckpoint(signNote(text, signer), key), text).toEqual({ ok: false, reason: 'malformed_checkpoint' });
    }
  });
});
