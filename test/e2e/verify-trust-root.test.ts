// `npubench verify` starts from a trust root the user chose (--jwks FILE, the trust store filled by
// `npubench trust add URL`, or --issuer URL), never from the unsigned URLs of the document (#15 item 1).
// The attacks: a bundle re-signed with an attacker's key whose unsigned jwksUrl points at the attacker's
// key set, and a revoked certificate whose unsigned verificationUrl points at a server serving the old
// bundle. Issuer and attacker are tiny HTTP servers on 127.0.0.1 that record every request.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwksOf, logKeyAnswer, makeBundle, newIssuerKey, newLogKey, startJsonServer, type JsonServer } from '../helpers/certificate-corpus.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { runNpubench } from '../helpers/processes.js';

const lab = newIssuerKey();
const labLog = newLogKey('lab.example/npubench/log');
const attackerKey = newIssuerKey();
const attackerLog = newLogKey('lab.example/npubench/log');
let issuer: JsonServer;
let attacker: JsonServer;
let dir: string;

beforeAll(async () => {
  issuer = await startJsonServer({ '/.well-known/jwks.json': jwksOf(lab), '/v1/transparency/log-key': logKeyAnswer(labLog) });
  attacker = await startJsonServer({ '/.well-known/jwks.json': jwksOf(attackerKey), '/v1/transparency/log-key': logKeyAnswer(attackerLog) });
  dir = await createTempDir('npubench-verify-trust');
});
afterAll(async () => {
  await issuer.close();
  await attacker.close();
});

async function file(name: string, doc: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(doc, null, 2));
  return path;
}

async function emptyTrustStore(): Promise<Record<string, string>> {
  return { NPUBENCH_TRUST_DIR: await createTempDir('npubench-trust-store') };
}

/** The forged certificate of the attack: re-signed with the attacker's key, its jwksUrl at the attacker. */
const forged = () =>
  makeBundle({ issuerUrl: issuer.url, key: attackerKey, log: attackerLog, vendor: 'Forged Vendor Inc', p90: '0.001 ms', jwksUrl: `${attacker.url}/.well-known/jwks.json` });

// Up to six CLI processes per test: on a loaded 2-core machine each can take tens of seconds to start.
describe('npubench verify needs a trust root', { timeout: 300_000 }, () => {
  it('exits 2 without one and says the three ways to get one, fetching nothing the document names', async () => {
    attacker.requests.length = 0;
    const cert = await file('forged-no-root.json', forged());
    const res = await runNpubench(['verify', cert], await emptyTrustStore());
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stdout).not.toMatch(/VALID/);
    expect(res.stderr).toContain('--jwks');
    expect(res.stderr).toContain('npubench trust add');
    expect(res.stderr).toContain('--issuer');
    expect(attacker.requests).toEqual([]);
  });

  it('trust add shows each key id and its SHA-256 fingerprint, stores the issuer, and list/remove work', async () => {
    const env = await emptyTrustStore();
    const added = await runNpubench(['trust', 'add', `${issuer.url}/`], env);
    expect(added.code, added.stdout + added.stderr).toBe(0);
    const raw = Buffer.from(lab.publicJwk.x, 'base64url');
    expect(added.stdout).toContain(lab.keyId);
    expect(added.stdout).toContain(createHash('sha256').update(raw).digest('hex'));
    expect(added.stdout).toMatch(/raw Ed25519 public key/);
    expect(added.stdout).toContain(`transparency log lab.example/npubench/log: key ${labLog.vkey}`);
    expect(await readdir(env.NPUBENCH_TRUST_DIR!)).toHaveLength(1);

    const listed = await runNpubench(['trust', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(issuer.url);
    expect(listed.stdout).toContain(lab.keyId);

    const removed = await runNpubench(['trust', 'remove', issuer.url], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await readdir(env.NPUBENCH_TRUST_DIR!)).toHaveLength(0);
    const again = await runNpubench(['trust', 'remove', issuer.url], env);
    expect(again.code).toBe(2);
  });

  it('with the real issuer in the trust store: the genuine certificate is VALID, the forgery INVALID, and the attacker is never asked', async () => {
    const env = await emptyTrustStore();
    expect((await runNpubench(['trust', 'add', issuer.url], env)).code).toBe(0);
    attacker.requests.length = 0;

    const genuine = await runNpubench(['verify', await file('genuine.json', makeBundle({ issuerUrl: issuer.url, key: lab, log: labLog }))], env);
    expect(genuine.code, genuine.stdout + genuine.stderr).toBe(0);
    expect(genuine.stdout).toMatch(/: VALID/);
    expect(genuine.stdout).toContain(`trusted issuer: ${issuer.url} (from trust store)`);

    const res = await runNpubench(['verify', await file('forged.json', forged())], env);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/: INVALID/);
    expect(res.stdout).not.toMatch(/: VALID/);
    expect(res.stdout).toMatch(/not a key of the trusted issuer/);
    expect(res.stdout).toContain(attackerKey.keyId);
    expect(attacker.requests).toEqual([]);
  });

  it('with several issuers stored, the one the signed statement names is used; a certificate naming none of them needs --issuer', async () => {
    const otherKey = newIssuerKey();
    const otherLog = newLogKey('other-lab.example/npubench/log');
    const other = await startJsonServer({ '/.well-known/jwks.json': jwksOf(otherKey), '/v1/transparency/log-key': logKeyAnswer(otherLog) });
    try {
      const env = await emptyTrustStore();
      expect((await runNpubench(['trust', 'add', issuer.url], env)).code).toBe(0);
      expect((await runNpubench(['trust', 'add', other.url], env)).code).toBe(0);
      const fromOther = await runNpubench(['verify', await file('other.json', makeBundle({ issuerUrl: other.url, key: otherKey, log: otherLog }))], env);
      expect(fromOther.code, fromOther.stdout + fromOther.stderr).toBe(0);
      expect(fromOther.stdout).toContain(`trusted issuer: ${other.url} (from trust store)`);

      const stranger = await runNpubench(['verify', await file('stranger.json', makeBundle({ issuerUrl: 'https://unknown-lab.example', key: attackerKey, log: attackerLog }))], env);
      expect(stranger.code, stranger.stdout + stranger.stderr).toBe(2);
      expect(stranger.stderr).toContain('--issuer');
      expect(stranger.stdout).not.toMatch(/VALID/);
    } finally {
      await other.close();
    }
  });

  it('refuses a certificate signed with the trusted keys that names another issuer, and shows issuer and certifier', async () => {
    const env = await emptyTrustStore();
    expect((await runNpubench(['trust', 'add', issuer.url], env)).code).toBe(0);
    const genuine = await runNpubench(['verify', await file('named.json', makeBundle({ issuerUrl: issuer.url, key: lab, log: labLog }))], env);
    expect(genuine.code, genuine.stdout + genuine.stderr).toBe(0);
    expect(genuine.stdout).toContain(`issued by Acme Lab (${issuer.url}) with key ${lab.keyId}; certified by Jane Certifier of Acme Lab staff`);
    // The lab's own key, but the statement claims another lab: the only stored issuer is tried, and refuses it.
    const claimed = makeBundle({ issuerUrl: issuer.url, key: lab, log: labLog, issuer: { name: 'Other Lab', url: 'https://other-lab.example' } });
    const res = await runNpubench(['verify', await file('claims-other.json', claimed)], env);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/: INVALID/);
    expect(res.stdout).toContain(`issued by Other Lab (https://other-lab.example), not by the trusted issuer ${issuer.url}`);
  });

  it('--issuer URL is a one-off trust root: fetched, used, not stored', async () => {
    const env = await emptyTrustStore();
    const ok = await runNpubench(['verify', await file('genuine-issuer.json', makeBundle({ issuerUrl: issuer.url, key: lab, log: labLog })), '--issuer', issuer.url], env);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`trusted issuer: ${issuer.url} (--issuer, keys fetched once`);
    expect(await readdir(env.NPUBENCH_TRUST_DIR!)).toHaveLength(0);

    attacker.requests.length = 0;
    const bad = await runNpubench(['verify', await file('forged-issuer.json', forged()), '--issuer', issuer.url], env);
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/: INVALID/);
    expect(attacker.requests).toEqual([]);
  });
});

describe('npubench verify --online asks the trusted issuer, not the verificationUrl of the document', { timeout: 300_000 }, () => {
  it('a revoked certificate whose verificationUrl points at a server serving the old bundle is REVOKED, and that server gets no request', async () => {
    const certificateId = randomUUID();
    const before = makeBundle({ issuerUrl: issuer.url, key: lab, log: labLog, certificateId, verificationUrl: `${attacker.url}/v1/certificates/${certificateId}/verify` });
    // The issuer revokes it afterwards: its current bundle is the same signed statement with a revocation.
    issuer.routes.set(`/v1/certificates/${certificateId}`, makeBundle({ issuerUrl: issuer.url, key: lab, log: labLog, revoked: true, envelope: before.envelope }));
    attacker.routes.set(`/v1/certificates/${certificateId}`, { ...before, verificationUrl: `${issuer.url}/v1/certificates/${certificateId}/verify` });
    attacker.routes.set(`/v1/certificates/${certificateId}/verify`, { status: 'valid' });
    attacker.requests.length = 0;

    const cert = await file('redirected.json', before);
    const jwks = await file('jwks.json', jwksOf(lab));
    const pinned = await runNpubench(['verify', cert, '--jwks', jwks, '--log-key', labLog.vkey, '--online'], await emptyTrustStore());
    expect(pinned.code, pinned.stdout + pinned.stderr).toBe(1);
    expect(pinned.stdout).toMatch(/: REVOKED/);

    const env = await emptyTrustStore();
    expect((await runNpubench(['trust', 'add', issuer.url], env)).code).toBe(0);
    const stored = await runNpubench(['verify', cert, '--online'], env);
    expect(stored.code, stored.stdout + stored.stderr).toBe(1);
    expect(stored.stdout).toMatch(/: REVOKED/);
    expect(stored.stdout).toContain(`${issuer.url}/v1/certificates/${certificateId}`);
    expect(attacker.requests).toEqual([]);
  });
});

describe('npubench verify needs the log key from its trust root (#15 item 7)', { timeout: 300_000 }, () => {
  it("a certificate signed with the lab's own (leaked) report key but logged in the attacker's one-leaf log is INVALID", async () => {
    const env = await emptyTrustStore();
    expect((await runNpubench(['trust', 'add', issuer.url], env)).code).toBe(0);
    const selfLogged = makeBundle({ issuerUrl: issuer.url, key: lab, log: attackerLog, vendor: 'Forged Vendor Inc', p90: '0.001 ms' });
    const res = await runNpubench(['verify', await file('self-logged.json', selfLogged)], env);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/: INVALID/);
    expect(res.stdout).toMatch(/ok {3}signature/);
    expect(res.stdout).toMatch(/FAIL log_inclusion +not proven in the log: unknown_key/);
  });

  it('--jwks alone cannot check the log, so it is INVALID; with --log-key (the vkey or a file holding it) the genuine one is VALID', async () => {
    const env = await emptyTrustStore();
    const cert = await file('genuine-jwks.json', makeBundle({ issuerUrl: issuer.url, key: lab, log: labLog }));
    const jwks = await file('jwks-only.json', jwksOf(lab));
    const alone = await runNpubench(['verify', cert, '--jwks', jwks], env);
    expect(alone.code, alone.stdout + alone.stderr).toBe(1);
    expect(alone.stdout).toMatch(/: INVALID/);
    expect(alone.stdout).toMatch(/FAIL log_inclusion +no trusted log key/);

    const withKey = await runNpubench(['verify', cert, '--jwks', jwks, '--log-key', labLog.vkey], env);
    expect(withKey.code, withKey.stdout + withKey.stderr).toBe(0);
    expect(withKey.stdout).toMatch(/: VALID/);
    const keyFile = await file('log.vkey', labLog.vkey);
    await writeFile(keyFile, `${labLog.vkey}\n`);
    const fromFile = await runNpubench(['verify', cert, '--jwks', jwks, '--log-key', keyFile], env);
    expect(fromFile.code, fromFile.stdout + fromFile.stderr).toBe(0);

    const wrong = await runNpubench(['verify', cert, '--jwks', jwks, '--log-key', attackerLog.vkey], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/unknown_key/);
  });
});
