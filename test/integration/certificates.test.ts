// Certificates end to end inside one process: a real agent produces a signed report, a certifier
// issues a certificate under a profile, and the bundle verifies (or fails) for the right reasons:
// tampering, unknown keys, key rotation, revocation and expiry. The DSSE signature is also checked
// with the openssl command line, outside our code.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { verifyCertificateBundle, type CertificateBundle } from '../../src/lib/certificates/certificate-bundle.js';
import { generateSigningKeyPem, keyResolverFromJwks, publicKeyFromJwk, signingKeyFromPem, type Jwks } from '../../src/lib/crypto/signing-keys.js';
import { preAuthEncoding } from '../../src/lib/crypto/dsse.js';
import { registerSigningKey } from '../../src/services/signing/service-key.js';
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
    const result = verifyCertificateBundle(bundle, keyResolverFromJwks(await jwks()));
    expect(result.status).toBe('valid');
    expect(result.checks.every((c) => c.ok)).toBe(true);
    expect(result.certificate).toMatchObject({ profile: { id: 'smoke-latency@1' }, device: { name: 'Acme NPU 1' }, report: { id: reportId } });
    expectProblem(await issue('smoke-latency@1'), 409, 'certificate.exists');
    const online = (await t.app.inject({ method: 'GET', url: `/v1/certificates/${bundle.certificateId}/verify` })).json() as { status: string; key: { status: string } };
    expect(online).toMatchObject({ status: 'valid', key: { status: 'active' } });
  });

  it('fails when any byte of the payload or the signature changes, or the key is unknown', async () => {
    const resolver = keyResolverFromJwks(await jwks());
    const payload = Buffer.from(bundle.envelope.payload, 'base64');
    const sig = Buffer.from(bundle.envelope.signatures[0]!.sig, 'base64');
    for (const i of [0, Math.floor(payload.length / 2), payload.length - 1]) {
      const tampered = Buffer.from(payload);
      tampered[i] = tampered[i]! ^ 0x01;
      const result = verifyCertificateBundle({ ...bundle, envelope: { ...bundle.envelope, payload: tampered.toString('base64') } }, resolver);
      expect(result.status).toBe('invalid');
    }
    for (const i of [0, 31, 63]) {
      const tampered = Buffer.from(sig);
      tampered[i] = tampered[i]! ^ 0x80;
      const envelope = { ...bundle.envelope, signatures: [{ ...bundle.envelope.signatures[0]!, sig: tampered.toString('base64') }] };
      expect(verifyCertificateBundle({ ...bundle, envelope }, resolver).status).toBe('invalid');
    }
    const stranger = signingKeyFromPem(generateSigningKeyPem());
    expect(verifyCertificateBundle(bundle, (kid) => (kid === stranger.keyId ? stranger.publicKey : undefined)).checks[1]).toMatchObject({ check: 'signature', ok: false });
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
    expect(verifyCertificateBundle(fresh, keyResolverFromJwks(keys)).status).toBe('valid');
    // Certificate and tree head were signed by the key that is now retired; the JWKS still has it.
    expect(fresh.envelope.signatures[0]!.keyid).not.toBe(next.keyId);
    expect(keys.keys.find((k) => k.kid === fresh.envelope.signatures[0]!.keyid)?.status).toBe('retired');
  });

  it('says expired after the expiry date', () => {
    const expiresAt = new Date(verifyCertificateBundle(bundle, () => undefined).certificate?.expiresAt ?? Date.now());
    return jwks().then((keys) => {
      const later = new Date(Date.now() + 8 * 24 * 3600 * 1000);
      const result = verifyCertificateBundle(bundle, keyResolverFromJwks(keys), later);
      expect(result.status).toBe('expired');
      expect(later.getTime()).toBeGreaterThan(expiresAt.getTime());
    });
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
    const result = verifyCertificateBundle(fresh, keyResolverFromJwks(await jwks()));
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

    const resolver = keyResolverFromJwks(keys);
    const trusted = verifyCertificateBundle(issued, resolver, new Date(), t.deps.config.publicUrl);
    expect(trusted.status).toBe('valid');
    expect(trusted.checks.find((c) => c.check === 'issuer')).toMatchObject({ ok: true });
    const elsewhere = verifyCertificateBundle(issued, resolver, new Date(), 'https://other-lab.example');
    expect(elsewhere.status).toBe('invalid');
    expect(elsewhere.checks.find((c) => c.check === 'issuer')).toMatchObject({ ok: false, detail: expect.stringContaining('https://other-lab.example') });
    const online = (await t.app.inject({ method: 'GET', url: `/v1/certificates/${issued.certificateId}/verify` })).json() as { status: string };
    expect(online.status).toBe('valid');
  });
});
