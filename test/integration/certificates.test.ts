// Certificates end to end inside one process: a real agent produces a signed report, a certifier
// issues a certificate under a profile, and the bundle verifies (or fails) for the right reasons:
// tampering, unknown keys, key rotation, revocation and expiry. The DSSE signature is also checked
// with the openssl command line, outside our code.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startReplica, startTestApi, type TestApi } from '../helpers/test-service.js';
import { runNpubench } from '../helpers/processes.js';
import { makeBundle } from '../helpers/certificate-corpus.js';
import { independentVerdicts } from '../helpers/independent-verifier.js';
import type { CaseInput } from '../helpers/verify-case.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import {
  CERTIFICATE_PREDICATE_TYPE,
  LEGACY_CERTIFICATE_PREDICATE_TYPE,
  statementDigestOf,
  type CertificateBundle,
} from '../../src/lib/certificates/certificate-bundle.js';
import { logKeyFromVkey, trustedKeysFromJwks, verifyCertificateBundle } from '../../src/lib/certificates/certificate-verifier.js';
import { buildJwks, generateSigningKeyPem, publicKeyFromJwk, signingKeyFromPem, type Jwks } from '../../src/lib/crypto/signing-keys.js';
import { buildStatement, preAuthEncoding, signStatement } from '../../src/lib/crypto/dsse.js';
import { activeSigner, registerSigningKey } from '../../src/services/signing/service-key.js';
import { appendLogEntry } from '../../src/services/transparency/transparency-log.js';
import { autoIssueCertificates } from '../../src/services/certificates/certificates.js';

let t: TestApi;
let certifier: { orgId: string; key: string; keyId: string };
let vendor: { orgId: string; key: string; keyId: string };
let admin: { orgId: string; key: string; keyId: string };
let reportId: string;
/** A report of the certifier's own (lab) organization. */
let labReportId: string;
const LAB_NAME = 'Example Certification Lab GmbH';

const jwks = async () => (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as Jwks;
/** The log's key as a verifier pins it: parsed from the vkey the API publishes. */
const logKey = async () => logKeyFromVkey(((await t.app.inject({ method: 'GET', url: '/v1/transparency/log-key' })).json() as { vkey: string }).vkey);
const issue = (profileId: string, key = certifier.key) => t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(key), payload: { reportId, profileId } });

beforeAll(async () => {
  t = await startTestApi({ listen: true, env: { NPUBENCH_LAB_NAME: LAB_NAME } });
  admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-cert', name: 'Acme NPU 1', manufacturer: 'Acme', soc: 'Acme S1' } });
  await startTestAgent(t, ['npu-cert']);
  const benchmarkAs = async (key: string) => {
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
    const modelId = (up.json() as { id: string }).id;
    const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(key), payload: { modelId, device: 'npu-cert', suite: { preset: 'smoke', minQueryCount: 64 } } })).json() as { id: string };
    expect((await waitForJob(t, job.id)).status).toBe('SUCCEEDED');
    return (await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } })).id;
  };
  reportId = await benchmarkAs(vendor.key);
  labReportId = await benchmarkAs(certifier.key);
});

describe('certificates', () => {
  let bundle: CertificateBundle;

  it('refuses a report that fails the profile, listing every rule, and refuses vendors', async () => {
    const failed = expectProblem(await issue('vision-latency@1'), 422, 'certificate.profile_failed');
    const rules = failed.evaluation as { rule: string; passed: boolean; actual: string }[];
    expect(rules.find((r) => r.rule === 'minDurationMs')).toMatchObject({ passed: false });
    expect(rules.find((r) => r.rule === 'power')).toBeUndefined(); // vision-latency@1 has no power rule
    expectProblem(await issue('smoke-latency@1', vendor.key), 403, 'auth.forbidden_role');
  });

  it('issues a signed certificate that verifies with the public JWKS alone', async () => {
    const res = await issue('smoke-latency@1');
    expect(res.statusCode, res.body).toBe(201);
    bundle = res.json() as CertificateBundle;
    const result = await verifyCertificateBundle(bundle, await trustedKeysFromJwks(await jwks()), await logKey());
    expect(result.status).toBe('valid');
    expect(result.checks.every((c) => c.ok)).toBe(true);
    expect(result.certificate).toMatchObject({ profile: { id: 'smoke-latency@1' }, device: { name: 'Acme NPU 1' }, report: { id: reportId } });
    expectProblem(await issue('smoke-latency@1'), 409, 'certificate.exists');
    const online = (await t.app.inject({ method: 'GET', url: `/v1/certificates/${bundle.certificateId}/verify` })).json() as { status: string; key: { status: string } };
    expect(online).toMatchObject({ status: 'valid', key: { status: 'active' } });
  });

  it('fails when any byte of the payload or the signature changes, or the key is unknown', async () => {
    const resolver = await trustedKeysFromJwks(await jwks());
    const payload = Buffer.from(bundle.envelope.payload, 'base64');
    const sig = Buffer.from(bundle.envelope.signatures[0]!.sig, 'base64');
    for (const i of [0, Math.floor(payload.length / 2), payload.length - 1]) {
      const tampered = Buffer.from(payload);
      tampered[i] = tampered[i]! ^ 0x01;
      const result = await verifyCertificateBundle({ ...bundle, envelope: { ...bundle.envelope, payload: tampered.toString('base64') } }, resolver, await logKey());
      expect(result.status).toBe('invalid');
    }
    for (const i of [0, 31, 63]) {
      const tampered = Buffer.from(sig);
      tampered[i] = tampered[i]! ^ 0x80;
      const envelope = { ...bundle.envelope, signatures: [{ ...bundle.envelope.signatures[0]!, sig: tampered.toString('base64') }] };
      expect((await verifyCertificateBundle({ ...bundle, envelope }, resolver, await logKey())).status).toBe('invalid');
    }
    const stranger = signingKeyFromPem(generateSigningKeyPem());
    expect((await verifyCertificateBundle(bundle, await trustedKeysFromJwks(buildJwks([{ key: stranger.publicKey }])), await logKey())).checks[1]).toMatchObject({ check: 'signature', ok: false });
  });

  it('verifies with openssl, outside our code', async () => {
    const dir = await createTempDir('npubench-openssl');
    const envelope = bundle.envelope;
    const entry = (await jwks()).keys.find((k) => k.kid === envelope.signatures[0]!.keyid)!;
    writeFileSync(join(dir, 'pub.pem'), publicKeyFromJwk(entry).export({ format: 'pem', type: 'spki' }));
    writeFileSync(join(dir, 'pae.bin'), preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload, 'base64')));
    writeFileSync(join(dir, 'sig.bin'), Buffer.from(envelope.signatures[0]!.sig, 'base64'));
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-in', join(dir, 'pae.bin'), '-sigfile', join(dir, 'sig.bin')]).toString();
    expect(out).toContain('Signature Verified Successfully');
  });

  it('keeps verifying after the signing key is rotated', async () => {
    const next = signingKeyFromPem(generateSigningKeyPem());
    await registerSigningKey(t.deps.db, next);
    t.deps.signer = next;
    const keys = await jwks();
    expect(keys.keys.map((k) => k.status)).toEqual(expect.arrayContaining(['active', 'retired']));
    const fresh = (await t.app.inject({ method: 'GET', url: `/v1/certificates/${bundle.certificateId}` })).json() as CertificateBundle;
    expect((await verifyCertificateBundle(fresh, await trustedKeysFromJwks(keys), await logKey())).status).toBe('valid');
    // The certificate was signed by the key that is now retired; the JWKS still has it. The checkpoint is
    // the log key's, which a report key rotation does not touch.
    expect(fresh.envelope.signatures[0]!.keyid).not.toBe(next.keyId);
    expect(keys.keys.find((k) => k.kid === fresh.envelope.signatures[0]!.keyid)?.status).toBe('retired');
  });

  it('says expired after the expiry date', async () => {
    const keys = await jwks();
    const expiresAt = new Date((await verifyCertificateBundle(bundle, await trustedKeysFromJwks({ keys: [] }), await logKey())).certificate?.expiresAt ?? Date.now());
    const later = new Date(Date.now() + 8 * 24 * 3600 * 1000);
    const result = await verifyCertificateBundle(bundle, await trustedKeysFromJwks(keys), await logKey(), later);
    expect(result.status).toBe('expired');
    expect(later.getTime()).toBeGreaterThan(expiresAt.getTime());
  });

  it('serves the PDF', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/certificates/${bundle.certificateId}/pdf` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('verifies as revoked, with the reason, everywhere once revoked', async () => {
    expectProblem(await t.app.inject({ method: 'POST', url: `/v1/certificates/${bundle.certificateId}/revoke`, headers: bearer(vendor.key), payload: { reason: 'nope' } }), 403, 'auth.forbidden_role');
    const res = await t.app.inject({ method: 'POST', url: `/v1/certificates/${bundle.certificateId}/revoke`, headers: bearer(certifier.key), payload: { reason: 'firmware recalled' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'revoked' });
    const fresh = (await t.app.inject({ method: 'GET', url: `/v1/certificates/${bundle.certificateId}` })).json() as CertificateBundle;
    const result = await verifyCertificateBundle(fresh, await trustedKeysFromJwks(await jwks()), await logKey());
    expect(result.status).toBe('revoked');
    expect(result.checks.find((c) => c.check === 'revocation')?.detail).toContain('firmware recalled');
    expectProblem(await t.app.inject({ method: 'POST', url: `/v1/certificates/${bundle.certificateId}/revoke`, headers: bearer(certifier.key), payload: { reason: 'again' } }), 409, 'certificate.already_revoked');
    const log = (await t.app.inject({ method: 'GET', url: '/v1/transparency/entries?start=0&limit=10' })).json() as { entries: { kind: string }[] };
    expect(log.entries.map((e) => e.kind)).toEqual(['certificate.issued', 'certificate.revoked']);
  });
});

/** The signed statement's predicate, decoded here from the DSSE payload bytes (not by the verifier under test). */
const signedPredicate = (b: CertificateBundle) => (JSON.parse(Buffer.from(b.envelope.payload, 'base64').toString('utf8')) as { predicate: Record<string, unknown> }).predicate;

// #15 item 3. The attacks of the issue: an admin gives a vendor organization a certifier key, the vendor
// publishes its own lenient profile and certifies its own report; a lab certifier certifies its own
// organization's report. And the signed statement names who issued and who certified it.
describe('issuer identity and separation of duties', () => {
  it('refuses a certifier or admin key in a vendor organization, through the API and in the database', async () => {
    for (const role of ['CERTIFIER', 'ADMIN']) {
      const res = await t.app.inject({ method: 'POST', url: `/v1/orgs/${vendor.orgId}/keys`, headers: bearer(admin.key), payload: { name: 'vendor certifier', role } });
      expectProblem(res, 422, 'api_key.role_requires_lab_org');
    }
    expect(await t.deps.db.apiKey.count({ where: { orgId: vendor.orgId, role: { not: 'VENDOR' } } })).toBe(0);
    // A write that bypasses the service (a script, a future route) is refused by the database itself.
    await expect(t.deps.db.apiKey.create({ data: { orgId: vendor.orgId, role: 'CERTIFIER', name: 'raw', prefix: 'npb_rawvendorcert', secretHash: 'x' } })).rejects.toThrow(/lab organization/);
    await expect(t.deps.db.organization.update({ where: { id: certifier.orgId }, data: { kind: 'VENDOR' } })).rejects.toThrow(/lab organization/);
    // Vendor keys in vendor organizations and certifier keys in lab organizations are still fine.
    expect((await t.app.inject({ method: 'POST', url: `/v1/orgs/${vendor.orgId}/keys`, headers: bearer(admin.key), payload: { name: 'ci', role: 'VENDOR' } })).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'POST', url: `/v1/orgs/${certifier.orgId}/keys`, headers: bearer(admin.key), payload: { name: 'second certifier', role: 'CERTIFIER' } })).statusCode).toBe(201);
  });

  it('lets no vendor publish a profile such as "NPU Gold" or certify its own report', async () => {
    const gold = { name: 'npu-gold', version: 1, title: 'NPU Gold', description: '', rules: { minQueryCount: 1 }, validityDays: 1825 };
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(vendor.key), payload: gold }), 403, 'auth.forbidden_role');
    expect(await t.deps.db.certificationProfile.findUnique({ where: { id: 'npu-gold@1' } })).toBeNull();
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(vendor.key), payload: { reportId, profileId: 'smoke-latency@1' } }), 403, 'auth.forbidden_role');
  });

  it('refuses a certifier certifying a report of its own organization, and automatic issuance of a lab report', async () => {
    const logBefore = await t.deps.db.transparencyLogEntry.count();
    const res = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId: labReportId, profileId: 'smoke-latency@1' } });
    expectProblem(res, 403, 'certificate.self_certification');
    const auto = await t.app.inject({
      method: 'POST',
      url: '/v1/profiles',
      headers: bearer(admin.key),
      payload: { name: 'auto-smoke', version: 1, title: 'Auto smoke', description: '', rules: { minQueryCount: 32 }, validityDays: 7, autoIssue: true },
    });
    expect(auto.statusCode, auto.body).toBe(201);
    await autoIssueCertificates(t.deps, labReportId);
    expect(await t.deps.db.certificate.count({ where: { reportId: labReportId } })).toBe(0);
    expect(await t.deps.db.transparencyLogEntry.count()).toBe(logBefore);
  });

  it('signs the issuing lab (name, URL, key id) and the certifier into the statement, and the verifier checks the issuer', async () => {
    const second = await t.createOrgWithKey('CERTIFIER', 'second-lab');
    const res = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(second.key), payload: { reportId: labReportId, profileId: 'smoke-latency@1' } });
    expect(res.statusCode, res.body).toBe(201);
    const issued = res.json() as CertificateBundle;
    const keys = await jwks();
    const active = keys.keys.find((k) => k.status === 'active')!;
    expect(signedPredicate(issued)).toMatchObject({
      issuer: { name: LAB_NAME, url: t.deps.config.publicUrl, keyId: active.kid },
      certifier: { kind: 'api_key', keyId: second.keyId, name: 'test', organization: { id: second.orgId, name: 'second-lab' } },
    });
    expect(issued.envelope.signatures.map((s) => s.keyid)).toEqual([active.kid]);

    const resolver = await trustedKeysFromJwks(keys);
    const trusted = await verifyCertificateBundle(issued, resolver, await logKey(), new Date(), t.deps.config.publicUrl);
    expect(trusted.status).toBe('valid');
    expect(trusted.checks.find((c) => c.check === 'issuer')).toMatchObject({ ok: true });
    const elsewhere = await verifyCertificateBundle(issued, resolver, await logKey(), new Date(), 'https://other-lab.example');
    expect(elsewhere.status).toBe('invalid');
    expect(elsewhere.checks.find((c) => c.check === 'issuer')).toMatchObject({ ok: false, detail: expect.stringContaining('https://other-lab.example') });
    const online = (await t.app.inject({ method: 'GET', url: `/v1/certificates/${issued.certificateId}/verify` })).json() as { status: string };
    expect(online.status).toBe('valid');
  });
});

// #15 item 2 and 5 on a running service, and the v1 regression: keys rotate and are compromised through
// the CLI against the service's database while it runs (a second replica too), the JWKS publishes
// the lifetimes, and every download carries a fresh signed status.
describe('key lifetimes, rotation and the signed status', () => {
  const profile = (name: string) => ({ name, version: 1, title: name, description: '', rules: { minQueryCount: 32 }, validityDays: 30 });
  const publish = async (name: string) => expect((await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(admin.key), payload: profile(name) })).statusCode).toBe(201);
  const cli = (args: string[]) => runNpubench(['keys', ...args], { DATABASE_URL: t.databaseUrl, NPUBENCH_SIGNING_KEY_DIR: t.deps.config.signingKeyDir });
  const download = async (id: string, app = t.app) => (await app.inject({ method: 'GET', url: `/v1/certificates/${id}` })).json() as CertificateBundle;

  it('reads a certificate signed before issuers were named (v1): cert.json, PDF and verify, as legacy', async () => {
    const [{ key }, issued] = [await activeSigner(t.deps), await t.deps.db.certificate.findFirstOrThrow({ where: { reportId: labReportId } })];
    const v2 = signedPredicate({ envelope: issued.envelope } as unknown as CertificateBundle);
    const { issuer: _issuer, certifier: _certifier, statusMaxAgeDays: _age, ruleSet: _rules, facts: _facts, workload: _workload, ...old } = v2;
    const id = randomUUID();
    const predicate = { ...old, certificateId: id, report: { ...(v2.report as object), id: reportId } } as Record<string, unknown>;
    await publish('legacy-smoke');
    const envelope = signStatement(buildStatement([{ name: `report:${reportId}`, digest: { sha256: 'c'.repeat(64) } }], LEGACY_CERTIFICATE_PREDICATE_TYPE, predicate), key);
    const entry = { statementDigest: statementDigestOf(envelope), profileId: 'legacy-smoke@1', reportId, issuedAt: String(predicate.issuedAt), expiresAt: String(predicate.expiresAt) };
    await t.deps.db.$transaction(async (tx) => {
      const { index } = await appendLogEntry(tx, { kind: 'certificate.issued', certificateId: id, entry });
      const report = await tx.report.findUniqueOrThrow({ where: { id: reportId }, include: { job: true } });
      await tx.certificate.create({
        data: { id, reportId, profileId: 'legacy-smoke@1', orgId: report.orgId, deviceId: report.job.deviceId, evaluation: [], keyFigures: [], issuedAt: new Date(entry.issuedAt), expiresAt: new Date(entry.expiresAt), envelope: { ...envelope, signatures: envelope.signatures.map((s) => ({ ...s })) }, logIndex: index },
      });
    });
    const bundle = await download(id);
    const result = await verifyCertificateBundle(bundle, await trustedKeysFromJwks(await jwks()), await logKey(), new Date(), t.deps.config.publicUrl);
    expect(result.status, JSON.stringify(result.checks)).toBe('valid');
    expect(result.checks.find((c) => c.check === 'issuer')?.detail).toMatch(/^legacy certificate \(v1 statement\) naming no issuer/);
    expect(((await t.app.inject({ method: 'GET', url: `/v1/certificates/${id}/verify` })).json() as { status: string }).status).toBe('valid');
    const pdf = await t.app.inject({ method: 'GET', url: `/v1/certificates/${id}/pdf` });
    expect(pdf.statusCode, pdf.body).toBe(200);
    // A legacy certificate cannot be issued again: the service signs only v2 statements.
    expect(JSON.parse(Buffer.from(issued.envelope ? (issued.envelope as { payload: string }).payload : '', 'base64').toString('utf8')).predicateType).toBe(CERTIFICATE_PREDICATE_TYPE);
  });

  it('rotates on a running deployment: both replicas sign with the new key at once; the retired key signs nothing valid after its retirement', async () => {
    const replica = await startReplica(t);
    const before = (await jwks()).keys.find((k) => k.status === 'active')!;
    const rotated = await cli(['rotate']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const newKid = /new key (\S+)/.exec(rotated.stdout)![1]!;
    await publish('rotation-a');
    await publish('rotation-b');
    const viaPrimary = (await issue('rotation-a@1')).json() as CertificateBundle;
    const viaReplica = (await replica.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId, profileId: 'rotation-b@1' } })).json() as CertificateBundle;
    for (const b of [viaPrimary, viaReplica]) {
      expect(b.envelope.signatures.map((s) => s.keyid)).toEqual([newKid]);
      expect(b.status!.signatures.map((s) => s.keyid)).toEqual([newKid]);
    }
    const keys = await jwks();
    const old = keys.keys.find((k) => k.kid === before.kid)!;
    const fresh = keys.keys.find((k) => k.kid === newKid)!;
    expect(old).toMatchObject({ status: 'retired', notAfter: fresh.notBefore });
    expect(fresh.notAfter).toBeUndefined();
    expect((await verifyCertificateBundle(viaReplica, await trustedKeysFromJwks(keys), await logKey(), new Date(), t.deps.config.publicUrl)).status).toBe('valid');
    // The attack: the retired key (its private half is still on disk somewhere) signs a new certificate.
    // Even granting the attacker the log key too (its own log would fail log_inclusion), the key's window refuses it.
    const retiredKey = t.deps.signer.keyId === before.kid ? t.deps.signer : signingKeyFromPem(readFileSync(join(t.deps.config.signingKeyDir, `${before.kid}.pem`)));
    // Dated just after its retirement (the default, a minute ago, could fall inside a short window on a slow run).
    const forged = makeBundle({ issuerUrl: t.deps.config.publicUrl, key: retiredKey, log: t.deps.logSigner, issuedAt: new Date(Date.parse(old.notAfter!) + 1) });
    const result = await verifyCertificateBundle(forged, await trustedKeysFromJwks(keys), await logKey(), new Date(), t.deps.config.publicUrl);
    expect(result.status).toBe('invalid');
    expect(result.checks.find((c) => c.check === 'key')?.detail).toMatch(/\(key_not_valid_at_signing_time\)$/);
    // A restart with the old key file does not bring it back.
    await registerSigningKey(t.deps.db, retiredKey);
    expect((await jwks()).keys.find((k) => k.kid === before.kid)?.status).toBe('retired');
    await replica.app.close();
  });

  it('marks a key compromised since a time: what it signed before verifies, what it signed after fails with key_compromised', async () => {
    const keys0 = await jwks();
    const active = keys0.keys.find((k) => k.status === 'active')!;
    const mine = await t.deps.db.certificate.findFirstOrThrow({ where: { profileId: 'rotation-a@1' } });
    expect(((await download(mine.id)).envelope.signatures[0]!.keyid)).toBe(active.kid);
    const leakedKey = signingKeyFromPem(readFileSync(join(t.deps.config.signingKeyDir, `${active.kid}.pem`)));
    // Compromising the active key leaves the service with none: downloads answer 503 until a rotation.
    const since = new Date(mine.issuedAt.getTime() + 1000).toISOString();
    // A compromise time must be in the past: on a fast run this line comes within the second.
    const untilSince = Date.parse(since) - Date.now() + 10;
    if (untilSince > 0) await new Promise((resolve) => setTimeout(resolve, untilSince));
    const marked = await cli(['compromise', active.kid, '--since', since]);
    expect(marked.code, marked.stderr).toBe(0);
    expect(marked.stdout).toMatch(/nothing can be signed until `npubench keys rotate`/);
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/certificates/${mine.id}` }), 503, 'signing.no_active_key');
    expect((await cli(['rotate'])).code).toBe(0);
    const keys = await jwks();
    expect(keys.keys.find((k) => k.kid === active.kid)).toMatchObject({ status: 'compromised', compromisedAt: since });
    const resolver = await trustedKeysFromJwks(keys);
    // Signed a second before the compromise time: still valid (its status now signed by the successor).
    expect((await verifyCertificateBundle(await download(mine.id), resolver, await logKey(), new Date(), t.deps.config.publicUrl)).status).toBe('valid');
    // The thief signs a certificate dated after the compromise.
    // (Granted the log key as well, so only the key's compromise time refuses it.)
    const stolen = makeBundle({ issuerUrl: t.deps.config.publicUrl, key: leakedKey, log: t.deps.logSigner, issuedAt: new Date(Date.parse(since) + 1) });
    const result = await verifyCertificateBundle(stolen, resolver, await logKey(), new Date(), t.deps.config.publicUrl);
    expect(result.status).toBe('invalid');
    expect(result.checks.find((c) => c.check === 'key')?.detail).toMatch(/compromised since .*\(key_compromised\)$/);
    // Bad input is refused with a reason, nothing changes.
    const future = await cli(['compromise', active.kid, '--since', new Date(Date.now() + 86_400_000).toISOString()]);
    expect(future.code).toBe(2);
    expect(future.stderr).toMatch(/cannot be in the future/);
    expect((await jwks()).keys.find((k) => k.kid === active.kid)?.compromisedAt).toBe(since);
  });

  it('signs a fresh status into every download: deleting the revocation member of a revoked cert.json does not make it valid', async () => {
    // A certificate of its own, signed by the key active now: rotation-b's key is compromised since a
    // second after rotation-a was issued, which on a slow run can come before rotation-b was.
    await publish('status-c');
    const issued = await issue('status-c@1');
    expect(issued.statusCode, issued.body).toBe(201);
    const cert = await t.deps.db.certificate.findFirstOrThrow({ where: { profileId: 'status-c@1' } });
    const first = await download(cert.id);
    const second = await download(cert.id);
    const statusAt = (b: CertificateBundle) => (JSON.parse(Buffer.from(b.status!.payload, 'base64').toString('utf8')) as { predicate: { statusAt: string; status: string } }).predicate;
    expect(Date.parse(statusAt(second).statusAt)).toBeGreaterThanOrEqual(Date.parse(statusAt(first).statusAt));
    expect(statusAt(first).status).toBe('valid');
    expect((await t.app.inject({ method: 'POST', url: `/v1/certificates/${cert.id}/revoke`, headers: bearer(certifier.key), payload: { reason: 'power meter miscalibrated' } })).statusCode).toBe(200);
    const { revocation: _gone, ...stripped } = await download(cert.id);
    const resolver = await trustedKeysFromJwks(await jwks());
    const result = await verifyCertificateBundle(stripped, resolver, await logKey(), new Date(), t.deps.config.publicUrl);
    expect(result.status).toBe('revoked');
    expect(result.checks.find((c) => c.check === 'revocation')?.detail).toMatch(/power meter miscalibrated \(as the signed status says\)/);
    const { status: _status, ...bare } = stripped;
    expect((await verifyCertificateBundle(bare, resolver, await logKey(), new Date(), t.deps.config.publicUrl)).checks.find((c) => c.check === 'status')?.detail).toMatch(/\(status_missing\)/);
    // Past the certificate's stated 30 days, the status of the first download no longer counts.
    expect((await verifyCertificateBundle(first, resolver, await logKey(), new Date(Date.now() + 31 * 86_400_000), t.deps.config.publicUrl)).checks.find((c) => c.check === 'status')?.detail).toMatch(/\(status_stale\)/);
  });

  it("an independent verifier (Python, securesystemslib) gives our verdict on every certificate the service issued, across the rotations and the compromise", async () => {
    const keys = await jwks();
    const vkey = ((await t.app.inject({ method: 'GET', url: '/v1/transparency/log-key' })).json() as { vkey: string }).vkey;
    const now = new Date().toISOString();
    const cases: (CaseInput & { name: string; bundle: CertificateBundle })[] = [];
    for (const { id } of await t.deps.db.certificate.findMany({ orderBy: { issuedAt: 'asc' } })) {
      const bundle = await download(id);
      const payload = Buffer.from(bundle.envelope.payload, 'base64');
      payload[payload.length >> 1] = payload[payload.length >> 1]! ^ 1;
      const { revocation: _revocation, ...cut } = bundle;
      for (const [variant, b] of [['as downloaded', bundle], ['a flipped byte', { ...bundle, envelope: { ...bundle.envelope, payload: payload.toString('base64') } }], ['no revocation member', cut]] as const) {
        cases.push({ name: `${id} ${variant}`, bundle: b, jwks: keys, vkey, issuer: t.deps.config.publicUrl, now });
      }
    }
    const ours = await Promise.all(cases.map(async (c) => (await verifyCertificateBundle(c.bundle, await trustedKeysFromJwks(keys), await logKey(), new Date(now), c.issuer)).status));
    const theirs = await independentVerdicts(cases);
    expect(theirs.map((o) => `${o.name}: ${o.status}`)).toEqual(cases.map((c, i) => `${c.name}: ${ours[i]}`));
    // The service's certificates are signed by three keys by now (boot, rotated, compromised-then-rotated), one revoked.
    expect(new Set(cases.map((c) => c.bundle.envelope.signatures[0]!.keyid)).size).toBeGreaterThanOrEqual(3);
    expect(ours.filter((s) => s === 'valid').length).toBeGreaterThan(0);
    expect(ours.filter((s) => s === 'revoked').length).toBeGreaterThan(0);
    expect(ours.filter((_s, i) => cases[i]!.name.endsWith('a flipped byte'))).toEqual(cases.filter((c) => c.name.endsWith('a flipped byte')).map(() => 'invalid'));
  });
});
