// The token-agreement record and its summary (token-agreement.ts measures it): the raw record keeps every
// compared token, so the API recomputes the figures before it stores a report. Zod and plain code only.
import { z } from 'zod';
import { HarnessError } from '../../lib/errors.js';

/** Prompts scored; with 32 tokens each, 256 compared positions. */
export const TOKEN_AGREEMENT_PROMPTS = 8;
/** Greedy tokens the reference generates per prompt. */
export const TOKEN_AGREEMENT_OUTPUT_TOKENS = 32;

const tokenId = z.int().min(0);

export const tokenAgreementRawSchema = z.strictObject({
  /** How the prompts were chosen (one method so far), so a later choice is a new value, never a silent change. */
  prompts: z.literal('mmlu-zero-shot-round-robin'),
  outputTokens: z.int().min(1),
  sequences: z
    .array(
      z.strictObject({
        subject: z.string(),
        /** Row of the question in its subject's test file, from 0. */
        index: z.int().min(0),
        promptTokens: z.int().min(1),
        /** The reference's greedy continuation. */
        referenceTokens: z.array(tokenId).min(1),
        /** The candidate's argmax at each of those positions, fed the reference's tokens before it. */
        candidateTokens: z.array(tokenId).min(1),
      }),
    )
    .min(1),
  /** Host time of the whole measurement (both models), process.hrtime.bigint(). */
  costNs: z.int().min(0),
});
export type TokenAgreementRaw = z.output<typeof tokenAgreementRawSchema>;

export const tokenAgreementSummarySchema = z.strictObject({
  prompts: z.int(),
  /** Compared positions: prompts × output tokens. */
  tokens: z.int(),
  matched: z.int(),
  /** matched / tokens. */
  share: z.number(),
  /** Mean over prompts of the length of the prefix where every position matched. */
  meanMatchedPrefix: z.number(),
  /** Share of prompts whose every position matched (the free-running generation would be identical). */
  fullMatchShare: z.number(),
  costNs: z.int(),
});
export type TokenAgreementSummary = z.output<typeof tokenAgreementSummarySchema>;

export function summarizeTokenAgreement(raw: TokenAgreementRaw): TokenAgreementSummary {
  let matched = 0;
  let prefixSum = 0;
  let fullMatches = 0;
  raw.sequences.forEach((s, i) => {
    if (s.referenceTokens.length !== raw.outputTokens || s.candidateTokens.length !== raw.outputTokens) {
      throw new HarnessError('harness.invalid_raw_samples', `Invalid token agreement record: sequence ${i} does not have ${raw.outputTokens} reference and candidate tokens`);
    }
    let prefix = 0;
    while (prefix < raw.outputTokens && s.candidateTokens[prefix] === s.referenceTokens[prefix]) prefix++;
    s.referenceTokens.forEach((token, k) => {
      if (s.candidateTokens[k] === token) matched++;
    });
    prefixSum += prefix;
    if (prefix === raw.outputTokens) fullMatches++;
  });
  const tokens = raw.sequences.length * raw.outputTokens;
  return {
    prompts: raw.sequences.length,
    tokens,
    matched,
    share: matched / tokens,
    meanMatchedPrefix: prefixSum / raw.sequences.length,
    fullMatchShare: fullMatches / raw.sequences.length,
    costNs: raw.costNs,
  };
}

