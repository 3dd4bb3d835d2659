// Re-evaluating a certificate's embedded rules over its embedded facts: a PASS signed over facts that
// fail the rules, rules swapped under their digest and edited lines each fail with their own reason.
// The facts come from a real smoke run, extracted as the service extracts them.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveSuiteSpec, runBenchmark } from '../../src/harness/index.js';
import { extractRuleFacts, type RuleFacts } from '../../src/lib/certificates/rule-facts.js';
import { canonicalRules, evaluateRules } from '../../src/lib/certificates/profile-rules.js';
import { recheckRules, ruleSetDigestInput } from '../../src/lib/certificates/certificate-rules-check.js';
import type { CertificateContent } from '../../src/lib/certificates/certificate-schema.js';
import type { ProfileRules } from '../../src/contracts/profiles.js';

const MLP = fileURLToPath(new URL('../fixtures/models/mlp-classifier.onnx', import.meta.url));
let facts: RuleFacts;

beforeAll(async () => {
  const { summary } = await runBenchmark({ modelPath: MLP, spec: resolveSuiteSpec({ preset: 'smoke' }), backend: { executionProvider: 'cpu', intraOpNumThreads: 1 } });
  const extracted = extractRuleFacts({ summary, resourceUsage: { peakRssBytes: 50 * 1024 * 1024 }, operatorProfile: null });
  if (!('facts' in extracted)) throw new Error(extracted.unreadable);
  facts = extracted.facts;
});

// The test's own sha256 of the RFC 8785 form, written out for the two rule sets used here.
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A v3 certificate as the service signs it: rules, their digest, facts, and the engine's lines. */
type CurrentContent = Extract<CertificateContent, { legacy: false }>;

function certificateOver(rules: ProfileRules, over: RuleFacts, lines = evaluateRules(rules, over).rules): CurrentContent {
  return {
    legacy: false,
    certificateId: '00000000-0000-4000-8000-000000000001',
    verdict: 'PASS',
    profile: { id: 'test@1', title: 'test' },
    evaluation: lines,
    keyFigures: [],
    device: { slug: 'd', name: 'd', manufacturer: 'm', soc: null, npu: null },
    vendor: { orgId: '00000000-0000-4000-8000-000000000002', name: 'v' },
    model: { name: 'm', version: '1', sha256: 'a'.repeat(64) },
    runtime: 'r',
    report: { id: '00000000-0000-4000-8000-000000000003', statementDigest: 'b'.repeat(64), url: 'https://lab.example/v1/reports/x' },
    issuedAt: '2026-12-01T00:00:00.000Z',
    expiresAt: '2027-12-01T00:00:00.000Z',
    issuer: { name: 'Lab', url: 'https://lab.example', keyId: 'k' },
    certifier: { kind: 'automatic', profileId: 'test@1' },
    statusMaxAgeDays: 30,
    ruleSet: { rules, digest: sha256(canonicalRules(rules)) },
    facts: over,
  };
}

const digestOf = (certificate: CertificateContent) => {
  const input = ruleSetDigestInput(certificate);
  return input === null ? null : sha256(input);
};

describe('recheckRules', () => {
  it('the canonical form is RFC 8785: members sorted, no spaces', () => {
    expect(canonicalRules({ minQueryCount: 32, latency: { percentile: 90, maxMs: 60_000 } })).toBe('{"latency":{"maxMs":60000,"percentile":90},"minQueryCount":32}');
  });

  it('accepts an honest certificate, rule by rule', () => {
    const rules: ProfileRules = { minQueryCount: 32, latency: { percentile: 90, maxMs: 60_000 }, maxPeakRssMb: 1024 };
    const cert = certificateOver(rules, facts);
    const result = recheckRules(cert, digestOf(cert));
    expect(result.ok).toBe(true);
    expect(result.detail).toMatch(/^3 rules re-evaluated over the embedded facts: PASS, as signed/);
    expect(result.rules!.map((r) => [r.rule, r.passed, r.signedPassed])).toEqual([
      ['minQueryCount', true, true],
      ['latency', true, true],
      ['maxPeakRssMb', true, true],
    ]);
  });

  it('fails a PASS the lab signed over facts that fail its own rules', () => {
    // The lab copies passing lines over a report whose p90 is above the bound.
    const rules: ProfileRules = { latency: { percentile: 90, maxMs: 0.001 } };
    const lying = certificateOver(rules, facts, [{ rule: 'latency', passed: true, expected: 'p90 ≤ 0.001 ms', actual: 'p90 = 0.000 ms', reason: 'met' }]);
    const result = recheckRules(lying, digestOf(lying));
    expect(result.ok).toBe(false);
    expect(result.detail).toBe('verdict_mismatch: the embedded rules and facts give FAIL (latency failed), the certificate says PASS');
    expect(result.rules![0]).toMatchObject({ rule: 'latency', passed: false, signedPassed: true, reason: 'latency above the bound' });
  });

  it('fails rules swapped under the digest of others', () => {
    const cert = certificateOver({ minQueryCount: 32 }, facts);
    const swapped: CurrentContent = { ...cert, ruleSet: { rules: { minQueryCount: 1 }, digest: sha256(canonicalRules({ minQueryCount: 32 })) } };
    expect(recheckRules(swapped, digestOf(swapped)).detail).toMatch(/^rules_digest_mismatch: /);
  });

  it('fails signed lines that are not what the rules give, even with a PASS verdict', () => {
    const rules: ProfileRules = { minQueryCount: 32 };
    const honest = evaluateRules(rules, facts).rules;
    const edited = certificateOver(rules, facts, honest.map((line) => ({ ...line, actual: 'queries = 1000000' })));
    expect(recheckRules(edited, digestOf(edited))).toMatchObject({ ok: false, detail: expect.stringMatching(/^evaluation_mismatch: /) });
  });

  it('passes a statement that carries no rules, saying it could not re-evaluate', () => {
    const { ruleSet: _r, facts: _f, ...v2 } = certificateOver({ minQueryCount: 32 }, facts);
    expect(recheckRules(v2, null)).toEqual({ ok: true, detail: 'this statement version carries no rules to re-evaluate (issued before v3)', rules: null });
  });
});
