// The TEST06-like LLM token check's verdict from hand-written records: which runs break first-token
// consistency or the token count, and the figures the detail reports.
import { describe, expect, it } from 'vitest';
import { summarizeCompliance, type ComplianceRaw } from '../../src/harness/compliance/compliance-format.js';

const BASE: ComplianceRaw = {
  protocolVersion: 2,
  outputsVerified: true,
  deterministicOutputs: true,
  accuracyPass: null,
  queryOutputs: null,
  caching: null,
  timing: null,
  costNs: 0,
};
// 20 prompt + 5 output tokens: the last cache holds 24 positions (the newest token is never fed back).
const honestRun = { firstTokenId: 7, generatedTokens: 5, reportedSequenceLength: 24, miscountedSteps: 0 };
const record = (runs: (typeof honestRun)[]): ComplianceRaw => ({ ...BASE, llm: { promptTokens: 20, outputTokens: 5, accuracyPassFirstToken: 7, runs, costNs: 1000 } });
const llmCheck = (raw: ComplianceRaw) => summarizeCompliance(raw, 1e9).checks.find((check) => check.check === 'llm-tokens');

describe('LLM token check', () => {
  it('passes runs whose first token and counts are right', () => {
    expect(llmCheck(record([honestRun, honestRun]))).toMatchObject({ outcome: 'passed', reasons: [] });
  });

  it('fails a run whose first token differs from the greedy pass, naming it', () => {
    const check = llmCheck(record([honestRun, { ...honestRun, firstTokenId: 8 }]));
    expect(check).toMatchObject({ outcome: 'failed', reasons: ['compliance.llm_first_token_mismatch'] });
    expect(check?.detail).toMatch(/1 with a first token other than the greedy pass's 7 \(run 1: token 8\)/);
  });

  it.each([
    ['a sequence length one too long', { reportedSequenceLength: 25 }],
    ['fewer tokens generated than asked', { generatedTokens: 4, reportedSequenceLength: 23 }],
    ['a miscounted step with the right final length', { miscountedSteps: 1 }],
  ])('fails %s as a token count mismatch', (_what, change) => {
    const summary = summarizeCompliance(record([{ ...honestRun, ...change }]), 1e9);
    expect(summary.checks.find((check) => check.check === 'llm-tokens')).toMatchObject({ outcome: 'failed', reasons: ['compliance.llm_token_count_mismatch'] });
    expect(summary.invalidReasons).toEqual(['compliance.llm_token_count_mismatch']);
  });

  it('is absent from records without LLM latency', () => {
    expect(summarizeCompliance(BASE, 1e9).checks.map((check) => check.check)).toEqual(['accuracy-pass', 'query-outputs', 'caching', 'timing']);
  });
});
