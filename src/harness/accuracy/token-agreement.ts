// Greedy-token agreement of a candidate LM with its FP32 reference (#17: "greedy-token agreement against
// FP32"). For fixed prompts the reference generates N tokens greedily with its KV cache; the candidate
// is then scored teacher-forced on the reference's sequence: at every position, does its argmax equal the
// reference's token? Teacher forcing keeps one early disagreement from derailing every later position, so
// the share measures per-step agreement; the matched-prefix length and full-match share say how long the
// free-running generations would have stayed identical.
//
// The prompts are the dataset's own zero-shot MMLU prompts ("... Answer:"), taken round-robin over the
// evaluated subjects (question 0 of each subject, then question 1, ...), so they are fixed by the dataset
// and the spec's subject selection alone. The record keeps every token, so the summary is recomputed.
import { HarnessError } from '../../lib/errors.js';
import { allLogitsOf, argmax, type CausalLanguageModel } from './causal-lm.js';
import type { MmluDataset } from './mmlu-dataset.js';
import { buildPrompt } from './mmlu-prompt.js';
import type { TextTokenizer } from './tokenizer.js';
import { TOKEN_AGREEMENT_OUTPUT_TOKENS, TOKEN_AGREEMENT_PROMPTS, type TokenAgreementRaw } from './token-agreement-format.js';

/** The fixed prompts: question 0 of each subject in turn, then question 1, … (`subjects` in evaluation order). */
export function tokenAgreementPrompts(subjects: readonly MmluDataset['subjects'][number][], limitPerSubject: number, count: number) {
  const chosen: { subject: MmluDataset['subjects'][number]; index: number }[] = [];
  const depth = Math.max(0, ...subjects.map((s) => Math.min(s.test.length, limitPerSubject)));
  for (let index = 0; index < depth && chosen.length < count; index++) {
    for (const subject of subjects) {
      if (chosen.length === count) break;
      if (index < Math.min(subject.test.length, limitPerSubject)) chosen.push({ subject, index });
    }
  }
  return chosen;
}

/** The reference's greedy tokens after `prompt`, with its KV cache. */
async function greedy(lm: CausalLanguageModel, prompt: readonly number[], count: number): Promise<number[]> {
  const tokens: number[] = [];
  let step = await lm.forward(prompt);
  for (;;) {
    const token = argmax(step.lastLogits);
    tokens.push(token);
    if (tokens.length === count) break;
    const previous = step.cache;
    step = await lm.forward([token], previous);
    lm.releaseCache(previous);
  }
  lm.releaseCache(step.cache);
  return tokens;
}

/** The candidate's argmax at each position of the reference's continuation: one pass over the prompt, one over the continuation. */
async function teacherForced(lm: CausalLanguageModel, prompt: readonly number[], continuation: readonly number[]): Promise<number[]> {
  const first = await lm.forward(prompt);
  const tokens = [argmax(first.lastLogits)];
  if (continuation.length > 1) {
    const rest = await lm.forward(continuation.slice(0, -1), first.cache, 'all');
    const logits = allLogitsOf(rest);
    for (let k = 0; k < continuation.length - 1; k++) tokens.push(argmax(logits.subarray(k * rest.vocabSize, (k + 1) * rest.vocabSize)));
    lm.releaseCache(rest.cache);
  }
  lm.releaseCache(first.cache);
  return tokens;
}

export async function evaluateTokenAgreement(
  candidate: CausalLanguageModel,
  reference: CausalLanguageModel,
  tokenizer: TextTokenizer,
  subjects: readonly MmluDataset['subjects'][number][],
  options: { contextLength: number; limitPerSubject?: number | undefined; signal?: AbortSignal | undefined },
): Promise<TokenAgreementRaw> {
  const started = process.hrtime.bigint();
  const outputTokens = TOKEN_AGREEMENT_OUTPUT_TOKENS;
  const budget = options.contextLength - outputTokens;
  if (budget < 1) throw new HarnessError('harness.context_too_long', `Token agreement needs ${outputTokens} generated tokens after a prompt; the context is ${options.contextLength}.`);
  const bos = tokenizer.bosTokenId === null ? [] : [tokenizer.bosTokenId];
  const sequences: TokenAgreementRaw['sequences'] = [];
  for (const { subject, index } of tokenAgreementPrompts(subjects, options.limitPerSubject ?? Infinity, TOKEN_AGREEMENT_PROMPTS)) {
    if (options.signal?.aborted) throw new HarnessError('job.canceled', 'The run was canceled.');
    const full = [...bos, ...tokenizer.encode(buildPrompt(subject.name, [], subject.test[index]!))];
    // Oldest tokens cut when the prompt and the generation do not fit, as MMLU prompts are.
    const prompt = full.length > budget ? full.slice(full.length - budget) : full;
    const referenceTokens = await greedy(reference, prompt, outputTokens);
    const candidateTokens = await teacherForced(candidate, prompt, referenceTokens);
    sequences.push({ subject: subject.name, index, promptTokens: prompt.length, referenceTokens, candidateTokens });
  }
  if (sequences.length === 0) throw new HarnessError('harness.dataset_missing', 'Token agreement found no test question to prompt with.');
  return { prompts: 'mmlu-zero-shot-round-robin', outputTokens, sequences, costNs: Number(process.hrtime.bigint() - started) };
}
