// Certificates: issued for a signed report that passes a certification profile, signed as an in-toto
// statement, and recorded in the transparency log in the same transaction, so no certificate exists
// that the log does not show. Revocations are logged the same way.
import { createHash, randomUUID } from 'node:crypto';
import { canonicalRules } from '../../lib/certificates/profile-rules.js';
import { certifiedFiguresOf } from '../../lib/certificates/certified-figures.js';
import type { RuleFacts } from '../../lib/certificates/rule-facts.js';
import { z } from 'zod';
import type { Certificate } from '@prisma/client';
import type { ServiceDeps } from '../deps.js';
import type { UserPrincipal } from '../auth/principal.js';
import { AppError, conflict, forbidden, notFound, unprocessable } from '../../lib/errors.js';
import { buildStatement, signStatement, type DsseEnvelope } from '../../lib/crypto/dsse.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { appendLogEntry, inclusionProofFor, publishTreeHead } from '../transparency/transparency-log.js';
import { evaluateProfile, getProfile, rulesOf } from './profiles.js';
import { activeSigner, currentJwks, signingTimeFor } from '../signing/service-key.js';
import { latencySummaryReportSchema, serviceSampleSeedsSchema, type LatencySummaryReport } from '../../harness/schemas.js';
import { renderCertificatePdf } from './certificate-pdf.js';
import { certifierLabel } from '../../lib/certificates/certificate-issuer.js';
import type { issueCertificateInput as issueInput, revokeCertificateInput as revokeInput, CertificatePage, CertificateVerificationResult } from '../../contracts/certificates.js';
import { ruleOutcomeSchema } from '../../contracts/profiles.js';
import { dsseEnvelopeSchema } from '../../contracts/common.js';
import { formatNsAsMs as ms } from '../../contracts/durations.js';
import { cursorPage, cursorPageArgs } from '../cursor-page.js';
import { recordAuditEvent, SYSTEM_ACTOR, type AuditActor } from '../audit/audit-log.js';
import { addLeaderboardEntry, markLeaderboardEntryRevoked, workloadOfResult } from '../leaderboard/leaderboard.js';
import { resultWorkloadOf } from '../suites/suite-run-progress.js';
import { rankingWorkloadOf } from '../suites/suite-catalog.js';
import { DEFAULT_STATUS_MAX_AGE_DAYS } from '../../lib/certificates/certificate-schema.js';
import {
  CERTIFICATE_BUNDLE_FORMAT,
  CERTIFICATE_PREDICATE_TYPE,
  CERTIFICATE_STATUS_PREDICATE_TYPE,
  certificatePredicateSchema,
  parseCertificatePredicate,
  statementDigestOf,
  type CertificateStatusPredicate,
  type CertificateBundle,
  type CertificatePredicate,
  type IssuanceLogEntry,
  type RevocationLogEntry,
} from '../../lib/certificates/certificate-bundle.js';
import { logKeyFromVkey, trustedKeysFromJwks, verifyCertificateBundle } from '../../lib/certificates/certificate-verifier.js';


const DAY_MS = 24 * 3600 * 1000;

/** The figures a buyer reads first, as printed on the certificate. */
export function keyFiguresOf(summary: LatencySummaryReport, peakRssBytes: number | null, facts: RuleFacts): CertificatePredicate['keyFigures'] {
  // Latency and throughput in four rows, so quality, energy and the accelerator share fit beside them on one page.
  const scenario = { label: 'Scenario', value: `${summary.scenario} (${summary.result}), ${summary.queryCount} queries in ${(summary.durationNs / 1e9).toFixed(1)} s` };
  const latency = { label: `p${summary.targetPercentile} latency (p50 / p99)`, value: `${ms(summary.targetLatencyNs)} (${ms(summary.latency.p50Ns)} / ${ms(summary.latency.p99Ns)})` };
  const rate = `${summary.qps.toFixed(1)} /s`;
  const estimate = summary.earlyStoppingLatencyNs === null ? null : ms(summary.earlyStoppingLatencyNs);
  // An LM certificate adds its token figures and energy per token, so the scenario run (one decode step
  // per query) gets two rows: its rate joins the scenario's, and its early-stopping estimate stays in the
  // signed report. Every figure still fits one page.
  const figures = summary.llm ? [{ ...scenario, value: `${scenario.value}, ${rate}` }, latency] : [scenario, latency, { label: summary.scenario === 'offline' ? 'Throughput' : 'Queries per second', value: rate }];
  if (!summary.llm && estimate !== null) figures.push({ label: `Early-stopping p${summary.targetPercentile} estimate`, value: estimate });
  if (summary.llm) {
    const { ttft, tpot, outputTokensPerSecond, promptTokens, outputTokens } = summary.llm;
    figures.push({ label: `TTFT / TPOT p90 (${promptTokens} → ${outputTokens} tokens)`, value: `${ms(ttft.p90Ns)} / ${tpot ? ms(tpot.p90Ns) : 'n/a'}, ${outputTokensPerSecond.toFixed(1)} tokens/s` });
  }
  if (peakRssBytes !== null) figures.push({ label: 'Peak memory (harness RSS)', value: `${(peakRssBytes / 1024 ** 2).toFixed(1)} MiB` });
  return [...figures, ...certifiedFiguresOf(facts)];
}

const verificationUrlOf = (deps: ServiceDeps, id: string) => `${deps.config.publicUrl}/v1/certificates/${id}/verify`;

async function reportForCertification(deps: ServiceDeps, reportId: string) {
  const report = await deps.db.report.findUnique({ where: { id: reportId }, include: { org: true, job: { include: { device: true, model: true } } } });
  if (!report) throw notFound('report.not_found', 'No such report.');
  if (!report.envelope || !report.statementDigest) throw conflict('certificate.report_unsigned', 'The report has no signature and cannot be certified.');
  const summary = latencySummaryReportSchema.safeParse(report.summary);
  if (!summary.success) throw unprocessable('certificate.report_format', 'The report predates the current report format and cannot be certified.');
  checkServiceSeeds(summary.data, report.job.suite);
  return { report, summary: summary.data };
}

/**
 * A certificate needs a run whose inputs and their order the vendor could not choose: the report's seeds
 * must be marked service-chosen and be exactly the ones the service drew into its job's suite. The job
 * row is the service's own record; what the report says is only a claim.
 */
function checkServiceSeeds(summary: LatencySummaryReport, jobSuite: unknown): void {
  const drawn = serviceSampleSeedsSchema.safeParse((jobSuite as { sampleSeeds?: unknown } | null)?.sampleSeeds);
  const recorded = summary.sampleSet;
  if (!drawn.success) throw unprocessable('certificate.seeds_not_service_chosen', "The report's job has no service-chosen sample seeds (it predates them), so the vendor may have chosen its inputs.");
  if (recorded?.chosenBy !== 'service') throw unprocessable('certificate.seeds_not_service_chosen', `The report's sample seeds were chosen by ${recorded?.chosenBy ?? 'no one on record'}, not the service.`);
  const { qslSeed, sampleIndexSeed, scheduleSeed } = drawn.data;
  if (recorded.qslSeed !== qslSeed || recorded.sampleIndexSeed !== sampleIndexSeed || recorded.scheduleSeed !== scheduleSeed) {
    throw unprocessable('certificate.seeds_not_service_chosen', 'The report claims service-chosen sample seeds that are not the ones the service drew for its job.');
  }
}

/** The audit log's actor for a certificate change by `by` (null: the service itself, automatically). */
function certificateActor(by: UserPrincipal | null, requestId: string | undefined): AuditActor {
  return by ? { actorType: 'api_key', actorId: by.keyId, orgId: by.orgId, requestId: requestId ?? null } : { ...SYSTEM_ACTOR, requestId: requestId ?? null };
}

/**
 * Who certifies, as the statement will name them. No one certifies their own organization's report: a
 * lab key holder not a report of its own organization, and the service, issuing automatically for the
 * lab, not a report of any lab organization. (Certifier keys exist only in lab organizations, see
 * createApiKey; this re-reads the key so the name signed is the one stored.)
 */
async function certifierFor(deps: ServiceDeps, issuedBy: UserPrincipal | null, report: { orgId: string; org: { kind: string } }, profileId: string): Promise<CertificatePredicate['certifier']> {
  if (!issuedBy) {
    if (report.org.kind === 'LAB') throw forbidden('certificate.self_certification', "The lab does not certify its own organizations' reports automatically.");
    return { kind: 'automatic', profileId };
  }
  if (issuedBy.orgId === report.orgId) throw forbidden('certificate.self_certification', 'A certifier may not certify a report of its own organization.');
  const key = await deps.db.apiKey.findUniqueOrThrow({ where: { id: issuedBy.keyId }, include: { org: true } });
  return { kind: 'api_key', keyId: key.id, name: key.name, organization: { id: key.org.id, name: key.org.name } };
}

/**
 * Issues a certificate when the report passes the profile; a failing report gets 422 with every rule's
 * outcome. `issuedBy` is null for automatic issuance by a profile. The audit row is written in the
 * issuing transaction, whoever issues.
 */
export async function issueCertificate(deps: ServiceDeps, issuedBy: UserPrincipal | null, input: z.infer<typeof issueInput>, requestId?: string): Promise<Certificate> {
  const { report, summary } = await reportForCertification(deps, input.reportId);
  const profile = await getProfile(deps.db, input.profileId);
  const certifier = await certifierFor(deps, issuedBy, report, profile.id);
  const resourceUsage = report.resourceUsage as { peakRssBytes?: number } | null;
  const rules = rulesOf(profile);
  const evaluation = evaluateProfile(rules, { summary: report.summary, resourceUsage, operatorProfile: report.profile });
  if (evaluation.verdict !== 'PASS' || !evaluation.facts) {
    throw unprocessable('certificate.profile_failed', `The report does not pass ${profile.id}.`, { evaluation: evaluation.rules });
  }
  const existing = await deps.db.certificate.findUnique({ where: { reportId_profileId: { reportId: report.id, profileId: profile.id } } });
  if (existing) throw conflict('certificate.exists', `This report already has a ${profile.id} certificate.`, { certificateId: existing.id });

  const id = randomUUID();
  // The key first, then the time: a key read as active was not retired before this instant.
  const signer = await activeSigner(deps);
  const issuedAt = signingTimeFor(signer);
  const expiresAt = new Date(issuedAt.getTime() + profile.validityDays * DAY_MS);
  const { job } = report;
  const attribution = await resultWorkloadOf(deps.db, job);
  const workload = workloadOfResult({
    // Ranked under the workload's first publication: the same workload in a later or sector suite compares.
    suiteWorkload: attribution.suite && { id: rankingWorkloadOf(attribution.suite.id, attribution.suite.workloadId), title: attribution.suite.title, division: attribution.division },
    modelDigest: job.model.artifactDigest,
  });
  const environment = report.environment as { runtime?: { name: string; version: string; executionProvider: string } };
  const predicate: CertificatePredicate = certificatePredicateSchema.parse({
    certificateId: id,
    issuer: { name: deps.config.labName, url: deps.config.publicUrl, keyId: signer.key.keyId },
    certifier,
    verdict: 'PASS',
    profile: { id: profile.id, title: profile.title },
    evaluation: evaluation.rules,
    ruleSet: { rules, digest: createHash('sha256').update(canonicalRules(rules), 'utf8').digest('hex') },
    facts: evaluation.facts,
    workload: {
      id: workload.id,
      label: workload.label,
      suite: attribution.suite && { id: attribution.suite.id, digest: attribution.suite.digest, workload: attribution.suite.workloadId },
      division: attribution.division,
      note: attribution.note,
    },
    keyFigures: keyFiguresOf(summary, resourceUsage?.peakRssBytes ?? null, evaluation.facts),
    device: { slug: job.device.slug, name: job.device.name, manufacturer: job.device.manufacturer, soc: job.device.soc, npu: job.device.npu },
    vendor: { orgId: report.orgId, name: report.org.name },
    model: { name: job.model.name, version: job.model.version, sha256: job.model.artifactDigest },
    runtime: environment.runtime ? `${environment.runtime.name} ${environment.runtime.version}, EP ${environment.runtime.executionProvider}` : 'unknown',
    report: { id: report.id, statementDigest: report.statementDigest!, url: `${deps.config.publicUrl}/v1/reports/${report.id}` },
    issuedAt: issuedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    statusMaxAgeDays: DEFAULT_STATUS_MAX_AGE_DAYS,
  });
  const statement = buildStatement(
    [
      { name: `report:${report.id}`, digest: { sha256: report.statementDigest! } },
      { name: `${job.model.name}@${job.model.version}`, digest: { sha256: job.model.artifactDigest } },
    ],
    CERTIFICATE_PREDICATE_TYPE,
    predicate,
  );
  const envelope = signStatement(statement, signer.key);
  const logged: IssuanceLogEntry['entry'] = {
    statementDigest: statementDigestOf(envelope),
    profileId: profile.id,
    reportId: report.id,
    issuedAt: predicate.issuedAt,
    expiresAt: predicate.expiresAt,
  };
  let certificate: Certificate;
  try {
    certificate = await deps.db.$transaction(async (tx) => {
      const { index } = await appendLogEntry(tx, { kind: 'certificate.issued', certificateId: id, entry: { ...logged } });
      const created = await tx.certificate.create({
        data: {
          id,
          reportId: report.id,
          profileId: profile.id,
          orgId: report.orgId,
          deviceId: job.deviceId,
          evaluation: evaluation.rules.map((r) => ({ ...r })),
          keyFigures: predicate.keyFigures,
          issuedAt,
          expiresAt,
          envelope: { ...envelope, signatures: envelope.signatures.map((s) => ({ ...s })) },
          logIndex: index,
          issuedByKeyId: issuedBy?.keyId ?? null,
        },
      });
      await addLeaderboardEntry(tx, { certificateId: id, profileId: profile.id, issuedAt, expiresAt, summary, report, device: job.device, model: job.model, workload });
      await recordAuditEvent(tx, certificateActor(issuedBy, requestId), { action: 'certificate.issued', subjectType: 'certificate', subjectId: id, details: { reportId: report.id, profileId: profile.id } });
      return created;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('certificate.exists', `This report already has a ${profile.id} certificate.`);
    throw err;
  }
  await publishTreeHead(deps.db, deps.logSigner);
  return certificate;
}

/**
 * Issues certificates for every auto-issue profile the new report passes. A report that does not pass
 * (or is already certified) is an answer, not a failure; anything else (the database failing) is thrown
 * after the other profiles were tried, for the caller (a background task) to log and count.
 */
export async function autoIssueCertificates(deps: ServiceDeps, reportId: string): Promise<void> {
  const profiles = await deps.db.certificationProfile.findMany({ where: { autoIssue: true } });
  const failures: unknown[] = [];
  for (const profile of profiles) {
    try {
      await issueCertificate(deps, null, { reportId, profileId: profile.id });
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) failures.push(err);
      else deps.log.info({ reportId, profileId: profile.id, code: err.code }, 'no automatic certificate');
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `automatic certification of report ${reportId} failed for ${failures.length} profiles`);
}

export async function revokeCertificate(deps: ServiceDeps, id: string, input: z.infer<typeof revokeInput>, revokedBy: UserPrincipal | null, requestId?: string): Promise<Certificate> {
  const revokedAt = new Date();
  const revoked = await deps.db.$transaction(async (tx) => {
    const cert = await tx.certificate.findUnique({ where: { id } });
    if (!cert) throw notFound('certificate.not_found', 'No such certificate.');
    if (cert.revokedAt) throw conflict('certificate.already_revoked', `The certificate was revoked on ${cert.revokedAt.toISOString()}.`);
    const entry: RevocationLogEntry['entry'] = { reason: input.reason, revokedAt: revokedAt.toISOString() };
    await appendLogEntry(tx, { kind: 'certificate.revoked', certificateId: id, entry: { ...entry } });
    await markLeaderboardEntryRevoked(tx, id, revokedAt);
    await recordAuditEvent(tx, certificateActor(revokedBy, requestId), { action: 'certificate.revoked', subjectType: 'certificate', subjectId: id, details: { reason: input.reason } });
    return tx.certificate.update({ where: { id }, data: { revokedAt, revocationReason: input.reason } });
  });
  await publishTreeHead(deps.db, deps.logSigner);
  return revoked;
}

/** A fresh signed status statement for `cert`, dated now: each download carries one, so an offline
 *  verifier knows how old its knowledge of a revocation is. */
async function signedStatusOf(deps: ServiceDeps, cert: Certificate, envelope: DsseEnvelope): Promise<DsseEnvelope> {
  const signer = await activeSigner(deps);
  const certificateStatementDigest = statementDigestOf(envelope);
  const predicate: CertificateStatusPredicate = {
    certificateId: cert.id,
    certificateStatementDigest,
    status: cert.revokedAt ? 'revoked' : 'valid',
    ...(cert.revokedAt && { revocation: { reason: cert.revocationReason ?? '', revokedAt: cert.revokedAt.toISOString() } }),
    statusAt: signingTimeFor(signer).toISOString(),
  };
  return signStatement(buildStatement([{ name: `certificate:${cert.id}`, digest: { sha256: certificateStatementDigest } }], CERTIFICATE_STATUS_PREDICATE_TYPE, predicate), signer.key);
}

async function requireCertificate(deps: ServiceDeps, id: string) {
  const cert = await deps.db.certificate.findUnique({ where: { id } });
  if (!cert) throw notFound('certificate.not_found', 'No such certificate.');
  return cert;
}

/** The downloadable `cert.json`: envelope plus log proofs under the latest checkpoint. */
export async function certificateBundle(deps: ServiceDeps, id: string): Promise<CertificateBundle> {
  const cert = await requireCertificate(deps, id);
  const head = await publishTreeHead(deps.db, deps.logSigner);
  const proofOf = async (index: number) => {
    const proof = await inclusionProofFor(deps.db, deps.logSigner, index, head.treeHead.treeSize);
    return { inclusionProof: { leaf: proof.leaf, index: proof.index, treeSize: proof.treeSize, hashes: proof.hashes }, checkpoint: proof.checkpoint };
  };
  let revocation: CertificateBundle['revocation'];
  if (cert.revokedAt) {
    const entry = await deps.db.transparencyLogEntry.findFirst({ where: { certificateId: id, kind: 'certificate.revoked' } });
    if (entry) revocation = await proofOf(entry.index);
  }
  const envelope = dsseEnvelopeSchema.parse(cert.envelope);
  // A public report's signed statement travels with the certificate, so a verifier can check the facts
  // against its figures; a private one stays private (its vendor can give it to npubench verify --report).
  const report = await deps.db.report.findUnique({ where: { id: cert.reportId }, select: { visibility: true, envelope: true } });
  const reportEnvelope = report?.visibility === 'PUBLIC' ? dsseEnvelopeSchema.safeParse(report.envelope) : undefined;
  return {
    format: CERTIFICATE_BUNDLE_FORMAT,
    certificateId: cert.id,
    envelope,
    issuance: await proofOf(cert.logIndex),
    ...(revocation && { revocation }),
    status: await signedStatusOf(deps, cert, envelope),
    ...(reportEnvelope?.success && { report: { envelope: reportEnvelope.data } }),
    verificationUrl: verificationUrlOf(deps, cert.id),
    jwksUrl: `${deps.config.publicUrl}/.well-known/jwks.json`,
  };
}

/** Online verification: the same checks as `npubench verify`, against this service's keys and log. */
export async function verifyCertificate(deps: ServiceDeps, id: string): Promise<CertificateVerificationResult> {
  const bundle = await certificateBundle(deps, id);
  // The published key set and log key, through the verifier everyone else runs.
  const [keys, logKey] = await Promise.all([currentJwks(deps.db).then(trustedKeysFromJwks), logKeyFromVkey(deps.logSigner.vkey)]);
  const result = await verifyCertificateBundle(bundle, keys, logKey, new Date(), deps.config.publicUrl);
  const key = result.keyId ? await deps.db.signingKey.findUnique({ where: { kid: result.keyId } }) : null;
  return { certificateId: id, ...result, key: key ? { kid: key.kid, status: key.status } : null };
}

/** The members of a stored certificate statement read before its predicate is parsed by type. */
const statementHeadSchema = z.object({ predicateType: z.unknown(), predicate: z.unknown() });

// The JSON columns a listed certificate shows, parsed at read.
const ruleOutcomes = ruleOutcomeSchema.array();
const keyFigureList = certificatePredicateSchema.shape.keyFigures;

export async function listCertificates(deps: ServiceDeps, filter: { limit: number; cursor?: string | undefined; reportId?: string | undefined }): Promise<CertificatePage> {
  const rows = await deps.db.certificate.findMany({
    where: filter.reportId ? { reportId: filter.reportId } : {},
    orderBy: [{ issuedAt: 'desc' }, { id: 'desc' }],
    ...cursorPageArgs(filter),
    include: { device: { select: { slug: true, name: true } }, org: { select: { name: true } } },
  });
  return cursorPage(rows, filter, ({ envelope: _envelope, ...cert }) => ({
    ...cert,
    evaluation: ruleOutcomes.parse(cert.evaluation),
    keyFigures: keyFigureList.parse(cert.keyFigures),
    issuedAt: cert.issuedAt.toISOString(),
    expiresAt: cert.expiresAt.toISOString(),
    revokedAt: cert.revokedAt?.toISOString() ?? null,
    createdAt: cert.createdAt.toISOString(),
  }));
}

export async function certificatePdf(deps: ServiceDeps, id: string): Promise<Buffer> {
  const cert = await requireCertificate(deps, id);
  const envelope = dsseEnvelopeSchema.parse(cert.envelope);
  const statement = statementHeadSchema.parse(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')));
  const predicate = parseCertificatePredicate(statement.predicateType, statement.predicate);
  if (!predicate) throw new AppError('certificate.unreadable', `Certificate ${cert.id} is stored in a statement format this service cannot read.`);
  return renderCertificatePdf({
    statusMaxAgeDays: predicate.legacy ? null : predicate.statusMaxAgeDays,
    certificateId: cert.id,
    profileId: predicate.profile.id,
    profileTitle: predicate.profile.title,
    verdict: 'PASS',
    issuer: predicate.issuer,
    serviceUrl: deps.config.publicUrl,
    certifiedBy: certifierLabel(predicate.certifier),
    reportId: predicate.report.id,
    device: predicate.device,
    vendor: { name: predicate.vendor.name },
    model: predicate.model,
    workload: !predicate.legacy && predicate.workload ? `${predicate.workload.label}, ${predicate.workload.division} division` : 'not recorded (certificate issued before workloads were)',
    runtime: predicate.runtime,
    keyFigures: predicate.keyFigures,
    issuedAt: cert.issuedAt,
    expiresAt: cert.expiresAt,
    signingKeyId: envelope.signatures[0]?.keyid ?? 'unknown',
    verificationUrl: verificationUrlOf(deps, cert.id),
    logIndex: cert.logIndex,
  });
}
