// Re-evaluating a certificate's verdict offline (#15 item 4): the signed statement carries the profile's
// rules, their digest and the report facts; the same engine the service issued with evaluates them
// again, and the result must be the signed PASS and the signed lines. A lab that signs a PASS over facts
// that fail its own rules is caught here, whatever its signature. No Node imports: every verifier runs it.
import { canonicalRules, evaluateRules } from './profile-rules.js';
import type { CertificateContent } from './certificate-schema.js';
import type { RuleOutcome } from '../../contracts/profiles.js';
import { canonicalize } from '../crypto/canonical-json.js';
import { extractRuleFacts, type RuleFacts } from './rule-facts.js';

/** One rule as re-evaluated, beside what the certificate signed for it. */
export interface RecheckedRule extends RuleOutcome {
  /** The signed line's outcome; undefined when the certificate signed no line for this rule. */
  signedPassed: boolean | undefined;
}

export interface RulesRecheck {
  ok: boolean;
  detail: string;
  /** Per rule, re-evaluated; null for a statement that carries no rules (v1, v2). */
  rules: RecheckedRule[] | null;
}

/** The text whose sha256 is the rule set's digest (RFC 8785). */
export const ruleSetDigestInput = (certificate: CertificateContent): string | null => (!certificate.legacy && certificate.ruleSet ? canonicalRules(certificate.ruleSet.rules) : null);

const sameLine = (a: RuleOutcome, b: RuleOutcome) => a.rule === b.rule && a.passed === b.passed && a.expected === b.expected && a.actual === b.actual && a.reason === b.reason;

/**
 * Re-evaluates the embedded rules over the embedded facts. `computedDigest` is the verifier's own sha256
 * (hex) of ruleSetDigestInput(certificate). Fails, with a distinct detail, when the digest is not the
 * rules', when the rules give FAIL over the facts, or when the lines differ from the signed evaluation.
 */
export function recheckRules(certificate: CertificateContent, computedDigest: string | null): RulesRecheck {
  const { ruleSet, facts } = certificate.legacy ? {} : certificate;
  if (!ruleSet || !facts) return { ok: true, detail: 'this statement version carries no rules to re-evaluate (issued before v3)', rules: null };
  const evaluation = evaluateRules(ruleSet.rules, facts);
  const signed = new Map(certificate.evaluation.map((line) => [line.rule, line]));
  const rules = evaluation.rules.map((line) => ({ ...line, signedPassed: signed.get(line.rule)?.passed }));
  if (computedDigest !== ruleSet.digest) return { ok: false, detail: `rules_digest_mismatch: the embedded rules hash to ${computedDigest ?? 'nothing'}, the statement says ${ruleSet.digest}`, rules };
  const failed = evaluation.rules.filter((line) => !line.passed).map((line) => line.rule);
  if (evaluation.verdict !== certificate.verdict) {
    return { ok: false, detail: `verdict_mismatch: the embedded rules and facts give ${evaluation.verdict}${failed.length > 0 ? ` (${failed.join(', ')} failed)` : ''}, the certificate says ${certificate.verdict}`, rules };
  }
  const differs = evaluation.rules.length !== certificate.evaluation.length || evaluation.rules.some((line, i) => !sameLine(line, certificate.evaluation[i]!));
  if (differs) return { ok: false, detail: 'evaluation_mismatch: re-evaluating the embedded rules over the embedded facts gives other lines than the signed evaluation', rules };
  return { ok: true, detail: `${evaluation.rules.length} rules re-evaluated over the embedded facts: ${evaluation.verdict}, as signed (rules ${ruleSet.digest.slice(0, 16)}…)`, rules };
}

export const REPORT_STATEMENT_PREDICATE_TYPE = 'https://npubench.dev/attestations/benchmark-report/v1';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The embedded facts against the signed report statement they claim to come from: `statement` is the
 * report's in-toto statement, already signature-checked by the caller with the trust root's keys, and
 * `statementDigest` the caller's sha256 (hex) of its bytes. The facts must be exactly what extracting
 * them from the statement's figures gives, so a lab cannot certify facts of a report it never signed.
 */
export function checkFactsAgainstReport(certificate: CertificateContent, statement: Record<string, unknown>, statementDigest: string): { ok: boolean; detail: string } {
  const facts = certificate.legacy ? undefined : certificate.facts;
  if (!facts) return { ok: true, detail: 'this statement version carries no facts to compare with the report' };
  if (statementDigest !== certificate.report.statementDigest) {
    return { ok: false, detail: `report_mismatch: the report statement given has digest ${statementDigest}, the certificate names ${certificate.report.statementDigest}` };
  }
  const predicate = statement.predicate;
  if (statement.predicateType !== REPORT_STATEMENT_PREDICATE_TYPE || !isRecord(predicate)) return { ok: false, detail: 'report_mismatch: not a benchmark report statement' };
  const extracted = extractRuleFacts({ summary: predicate.results, resourceUsage: predicate.resourceUsage ?? null, operatorProfile: predicate.operatorProfile ?? null });
  if ('unreadable' in extracted) return { ok: false, detail: `facts_mismatch: the signed report's figures cannot be read (${extracted.unreadable})` };
  const differing = (Object.keys(extracted.facts) as (keyof RuleFacts)[]).filter((key) => canonicalize(extracted.facts[key]) !== canonicalize(facts[key]));
  if (differing.length > 0) return { ok: false, detail: `facts_mismatch: the embedded facts differ from the signed report's figures in ${differing.join(', ')}` };
  return { ok: true, detail: `the embedded facts are the signed report ${certificate.report.id}'s figures` };
}

/** The signed report statement a verifier was given (in the bundle or beside it), as it checked it. */
export type CheckedReportStatement = { ok: true; statement: Record<string, unknown>; digest: string } | { ok: false; reason: string };

/**
 * The `rules` check line of a verification: the embedded rules re-evaluated over the embedded facts and,
 * when the report statement is at hand, the facts compared with its figures. `rulesDigest` is the
 * verifier's sha256 (hex) of ruleSetDigestInput(certificate).
 */
export function rulesCheckOf(certificate: CertificateContent, rulesDigest: string | null, report: CheckedReportStatement | undefined): RulesRecheck {
  const recheck = recheckRules(certificate, rulesDigest);
  if (!recheck.ok || recheck.rules === null || report === undefined) return recheck;
  if (!report.ok) return { ...recheck, ok: false, detail: `report_mismatch: the report statement given does not verify (${report.reason})` };
  const facts = checkFactsAgainstReport(certificate, report.statement, report.digest);
  return { ...recheck, ok: facts.ok, detail: facts.ok ? `${recheck.detail}; ${facts.detail}` : facts.detail };
}
