// Certificate bundles built without a database: a genuine one signed by an issuer key, with its own
// one-entry or two-entry transparency log under a checkpoint signed by a log key (as the service builds
// them), and the attacker's variants of it. Tests of `npubench verify`, the trust store and the browser verifier run over the same corpus.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalBytes, canonicalize } from '../../src/lib/crypto/canonical-json.js';
import { buildStatement, signStatement } from '../../src/lib/crypto/dsse.js';
import { inclusionProof, merkleRoot } from '../../src/lib/crypto/merkle.js';
import { signCheckpoint } from '../../src/lib/crypto/checkpoint.js';
import { noteSignerFrom, type NoteSigner } from '../../src/lib/crypto/signed-note.js';
import { buildJwks, generateSigningKeyPem, signingKeyFromPem, type Jwks, type SigningKey } from '../../src/lib/crypto/signing-keys.js';
import {
  CERTIFICATE_BUNDLE_FORMAT,
  CERTIFICATE_STATUS_PREDICATE_TYPE,
  LEGACY_CERTIFICATE_PREDICATE_TYPE,
  statementDigestOf,
  type CertificateStatusPredicate,
  type CertificateBundle,
} from '../../src/lib/certificates/certificate-bundle.js';
// The corpus signs v2 statements (no embedded rules): the rule re-check has its own tests over real certificates.
import { evaluateRules } from '../../src/lib/certificates/profile-rules.js';
import { RULE_FACTS_FORMAT, type RuleFacts } from '../../src/lib/certificates/rule-facts.js';
import type { ProfileRules, RuleOutcome } from '../../src/contracts/profiles.js';
import { CERTIFICATE_PREDICATE_TYPE as V3_CERTIFICATE_PREDICATE_TYPE, V2_CERTIFICATE_PREDICATE_TYPE as CERTIFICATE_PREDICATE_TYPE, type V2CertificatePredicate as CertificatePredicate } from '../../src/lib/certificates/certificate-schema.js';

export const newIssuerKey = (): SigningKey => signingKeyFromPem(generateSigningKeyPem());
export const jwksOf = (...keys: SigningKey[]): Jwks => buildJwks(keys.map((k) => ({ key: k.publicKey })));
/** A key set whose keys carry lifetimes (JWK members notBefore, notAfter, compromisedAt). */
export const jwksWithLifetimes = (...keys: { key: SigningKey; notBefore?: Date; notAfter?: Date; compromisedAt?: Date }[]): Jwks =>
  buildJwks(
    keys.map(({ key, notBefore, notAfter, compromisedAt }) => ({
      key: key.publicKey,
      status: compromisedAt ? 'compromised' : notAfter ? 'retired' : 'active',
      lifetime: { ...(notBefore && { notBefore: notBefore.toISOString() }), ...(notAfter && { notAfter: notAfter.toISOString() }), ...(compromisedAt && { compromisedAt: compromisedAt.toISOString() }) },
    })),
  );
/** A transparency log key of its own (never the report key), named by the log's origin. */
export const newLogKey = (origin = 'lab.example/npubench/log'): NoteSigner => noteSignerFrom(origin, newIssuerKey());
/** What GET /v1/transparency/log-key answers. */
export const logKeyAnswer = (log: NoteSigner) => ({ origin: log.name, vkey: log.vkey });

export interface BundleOptions {
  /** The issuer's base URL: the signed report URL and the unsigned URLs are built from it. */
  issuerUrl: string;
  key: SigningKey;
  /** The log key that signs the bundle's checkpoint. */
  log: NoteSigner;
  certificateId?: string;
  vendor?: string;
  p90?: string;
  revoked?: boolean;
  /** Overrides of the unsigned members. */
  verificationUrl?: string;
  jwksUrl?: string;
  /** Overrides of the signed issuer (by default: "Acme Lab" at issuerUrl, with key's id). */
  issuer?: Partial<CertificatePredicate['issuer']>;
  /** Re-use this signed statement (e.g. the same certificate's bundle after its revocation). */
  envelope?: CertificateBundle['envelope'];
  /** A v1 statement as signed before #15 item 3: no issuer, certifier or status policy, and no status. */
  legacy?: boolean;
  /** The statement's own time (default a minute ago). */
  issuedAt?: Date;
  /** The signed status: its time (default now) and signing key (default `key`); false: none. */
  status?: false | { at?: Date; key?: SigningKey };
  /** A v3 statement: these rules and facts, their digest, and the signed lines (default: the engine's). */
  ruleSet?: { rules: ProfileRules; facts: RuleFacts; evaluation?: RuleOutcome[]; digestOf?: ProfileRules };
}

/** Facts of a plausible SingleStream run, written out: 1024 queries in 61.44 s, p90 7.5 ms, no meter. */
export const SAMPLE_FACTS: RuleFacts = {
  format: RULE_FACTS_FORMAT,
  latency: {
    scenario: 'single-stream',
    result: 'VALID',
    invalidCauses: [],
    queryCount: 1024,
    durationNs: 61_440_000_000,
    qps: 16.67,
    percentiles: { p50Ns: 6_000_000, p90Ns: 7_500_000, p95Ns: 8_000_000, p97Ns: 8_500_000, p99Ns: 9_000_000, p999Ns: 12_000_000 },
    targetPercentile: 90,
    targetLatencyNs: 7_500_000,
    earlyStopping: { satisfied: true, minQueries: 64, estimateNs: 7_600_000 },
    driftThresholdPct: 10,
    thermalDriftDetected: false,
    runs: [{ queryCount: 1024, durationNs: 61_440_000_000, firstTenthP50Ns: 6_000_000, lastTenthP50Ns: 6_100_000, slowdownPct: 1.67 }],
  },
  peakRssBytes: 104_857_600,
  accuracy: null,
  fidelity: null,
  power: { measured: false, reason: 'not measured: no power meter is configured for this device' },
  llm: null,
  operators: null,
};

function predicateFor(id: string, opts: BundleOptions): CertificatePredicate | Omit<CertificatePredicate, 'issuer' | 'certifier' | 'statusMaxAgeDays'> {
  const issuedAt = opts.issuedAt ?? new Date(Date.now() - 60_000);
  const reportId = randomUUID();
  const named = opts.legacy
    ? {}
    : {
        issuer: { name: 'Acme Lab', url: opts.issuerUrl, keyId: opts.key.keyId, ...opts.issuer },
        certifier: { kind: 'api_key' as const, keyId: randomUUID(), name: 'Jane Certifier', organization: { id: randomUUID(), name: 'Acme Lab staff' } },
        statusMaxAgeDays: 30,
      };
  return {
    certificateId: id,
    ...named,
    verdict: 'PASS',
    profile: { id: 'npu-basic', title: 'NPU Basic' },
    evaluation: [{ rule: 'latency.p90', passed: true, expected: '<= 50 ms', actual: opts.p90 ?? '12.5 ms', reason: 'within the limit' }],
    keyFigures: [{ label: 'p90 latency', value: opts.p90 ?? '12.5 ms' }],
    device: { slug: 'acme-npu1', name: 'Acme NPU 1', manufacturer: 'Acme', soc: null, npu: null },
    vendor: { orgId: randomUUID(), name: opts.vendor ?? 'Acme Vendor' },
    model: { name: 'tiny-cnn', version: '1', sha256: 'a'.repeat(64) },
    runtime: 'onnxruntime 1.20, EP cpu',
    report: { id: reportId, statementDigest: 'b'.repeat(64), url: `${opts.issuerUrl}/v1/reports/${reportId}` },
    issuedAt: issuedAt.toISOString(),
    expiresAt: new Date(issuedAt.getTime() + 365 * 86_400_000).toISOString(),
  };
}

/** A bundle as the service issues it: the statement signed by `opts.key`, the checkpoint by `opts.log`. */
export function makeBundle(opts: BundleOptions): CertificateBundle {
  let id = opts.certificateId ?? randomUUID();
  let predicate = predicateFor(id, opts);
  let envelope: CertificateBundle['envelope'];
  if (opts.envelope) {
    envelope = opts.envelope;
    predicate = (JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { predicate: CertificatePredicate }).predicate;
    id = predicate.certificateId;
  } else {
    const type = opts.legacy ? LEGACY_CERTIFICATE_PREDICATE_TYPE : opts.ruleSet ? V3_CERTIFICATE_PREDICATE_TYPE : CERTIFICATE_PREDICATE_TYPE;
    let signed: object = predicate;
    if (opts.ruleSet) {
      const { rules, facts, evaluation, digestOf } = opts.ruleSet;
      const digest = createHash('sha256').update(canonicalize(digestOf ?? rules)).digest('hex');
      signed = { ...predicate, evaluation: evaluation ?? evaluateRules(rules, facts).rules, ruleSet: { rules, digest }, facts };
    }
    const statement = buildStatement([{ name: `report:${predicate.report.id}`, digest: { sha256: predicate.report.statementDigest } }], type, signed);
    envelope = signStatement(statement, opts.key);
  }
  const issued = canonicalBytes({
    kind: 'certificate.issued',
    certificateId: id,
    entry: { statementDigest: statementDigestOf(envelope), profileId: predicate.profile.id, reportId: predicate.report.id, issuedAt: predicate.issuedAt, expiresAt: predicate.expiresAt },
  });
  const leaves: Uint8Array[] = [issued];
  const revokedAt = new Date().toISOString();
  if (opts.revoked) leaves.push(canonicalBytes({ kind: 'certificate.revoked', certificateId: id, entry: { reason: 'figures could not be reproduced', revokedAt } }));
  const checkpoint = signCheckpoint({ treeSize: leaves.length, rootHash: merkleRoot(leaves).toString('base64') }, opts.log);
  const proofOf = (index: number) => ({
    inclusionProof: { leaf: Buffer.from(leaves[index]!).toString('base64'), index, treeSize: leaves.length, hashes: inclusionProof(leaves, index).map((h) => h.toString('base64')) },
    checkpoint,
  });
  return {
    format: CERTIFICATE_BUNDLE_FORMAT,
    certificateId: id,
    envelope,
    issuance: proofOf(0),
    ...(opts.revoked ? { revocation: proofOf(1) } : {}),
    ...(opts.status !== false && !(opts.legacy && opts.status === undefined) && { status: statusFor(id, envelope, opts.revoked ? revokedAt : undefined, opts.status?.at ?? new Date(), opts.status?.key ?? opts.key) }),
    verificationUrl: opts.verificationUrl ?? `${opts.issuerUrl}/v1/certificates/${id}/verify`,
    jwksUrl: opts.jwksUrl ?? `${opts.issuerUrl}/.well-known/jwks.json`,
  };
}

/** A signed status statement as the service attaches to each download. */
export function statusFor(certificateId: string, envelope: CertificateBundle['envelope'], revokedAt: string | undefined, at: Date, key: SigningKey): CertificateBundle['envelope'] {
  const digest = statementDigestOf(envelope);
  const predicate: CertificateStatusPredicate = {
    certificateId,
    certificateStatementDigest: digest,
    status: revokedAt ? 'revoked' : 'valid',
    ...(revokedAt && { revocation: { reason: 'figures could not be reproduced', revokedAt } }),
    statusAt: at.toISOString(),
  };
  return signStatement(buildStatement([{ name: `certificate:${certificateId}`, digest: { sha256: digest } }], CERTIFICATE_STATUS_PREDICATE_TYPE, predicate), key);
}

/** A tiny HTTP server on 127.0.0.1 answering GETs from a path → JSON map; it records every request. */
export interface JsonServer {
  url: string;
  requests: string[];
  routes: Map<string, unknown>;
  close(): Promise<void>;
}

export async function startJsonServer(routes: Record<string, unknown> = {}): Promise<JsonServer> {
  const map = new Map(Object.entries(routes));
  const requests: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(path);
    const body = map.get(path);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    routes: map,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
