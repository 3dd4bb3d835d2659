// Runs an MMLU-style evaluation the way lm-evaluation-harness scores multiple choice: for each test
// question, the log-likelihood of each continuation " A" … " D" after the k-shot prompt; the prediction
// is the letter with the highest one. Every question's four log-likelihoods are recorded so the score
// can be recomputed (and audited) from the record.
import { HarnessError } from '../../lib/errors.js';
import type { MmluRaw, MmluSpec } from './accuracy-format.js';
import { predictedLetter } from './accuracy-format.js';
import { allLogitsOf, logSoftmax, type CausalLanguageModel, type ForwardResult } from './causal-lm.js';
import { ANSWER_LETTERS, type MmluDataset } from './mmlu-dataset.js';
import { buildPrompt, CONTINUATIONS } from './mmlu-prompt.js';
import type { TextTokenizer } from './tokenizer.js';
import type { TokenAgreementRaw } from './token-agreement-format.js';
import { evaluateTokenAgreement } from './token-agreement.js';

export interface MmluHooks {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal | undefined;
  /** Reuse the KV cache of the prefix shared with the previous prompt (default true; the bench compares). */
  reusePrefix?: boolean;
}

export interface MmluTiming {
  promptNs: number;
  modelNs: number;
}

/** One question's prompt, tokenized and fitted to the context. */
export interface PreparedPrompt {
  ids: number[];
  shotsUsed: number;
  truncated: boolean;
}

/**
 * Token ids of the prompt with as many of the first `shots` dev examples as fit: shots are dropped from
 * the end until prompt + the longest continuation (minus its last token, which is only predicted) fits
 * `contextLength`. If the bare question is still too long its oldest tokens are cut, as lm-eval does.
 */
export function preparePrompt(tokenizer: TextTokenizer, subject: MmluDataset['subjects'][number], questionIndex: number, shots: number, contextLength: number, longestContinuation: number): PreparedPrompt {
  const question = subject.test[questionIndex]!;
  const bos = tokenizer.bosTokenId === null ? [] : [tokenizer.bosTokenId];
  const budget = contextLength - (longestContinuation - 1);
  for (let k = Math.min(shots, subject.dev.length); k >= 0; k--) {
    const ids = [...bos, ...tokenizer.encode(buildPrompt(subject.name, subject.dev.slice(0, k), question))];
    if (ids.length <= budget) return { ids, shotsUsed: k, truncated: false };
    if (k === 0) return { ids: ids.slice(ids.length - budget), shotsUsed: 0, truncated: true };
  }
  throw new Error('unreachable');
}

/** Log-likelihood of each continuation after a prompt whose forward pass is `prompt`. */
export async function continuationLogprobs(lm: CausalLanguageModel, prompt: ForwardResult, continuations: readonly number[][]): Promise<[number, number, number, number]> {
  const first = logSoftmax(prompt.lastLogits);
  const scores: number[] = [];
  for (const tokens of continuations) {
    let total = first[tokens[0]!]!;
    if (tokens.length > 1) {
      // The later tokens of a multi-token letter, conditioned on the prompt through the KV cache.
      const rest = await lm.forward(tokens.slice(0, -1), prompt.cache, 'all');
      lm.releaseCache(rest.cache);
      const logits = allLogitsOf(rest);
      for (let j = 1; j < tokens.length; j++) total += logSoftmax(logits.subarray((j - 1) * rest.vocabSize, j * rest.vocabSize))[tokens[j]!]!;
    }
    scores.push(total);
  }
  return scores as [number, number, number, number];
}

/** Below this many shared tokens, slicing the cache costs about what it saves. */
const MIN_SHARED_PREFIX = 16;

/**
 * Reuses the KV cache of the previous prompt for the tokens this prompt shares with it (the header and
 * few-shot examples of a subject), so only the question's tokens are run. Attention over cached keys
 * and values is the same computation, so scores differ from a full pass only by float rounding.
 */
export class PrefixCache {
  private previous: { ids: readonly number[]; cache: ForwardResult['cache'] } | null = null;

  constructor(
    private readonly lm: CausalLanguageModel,
    private readonly enabled = true,
  ) {}

  async forward(ids: readonly number[]): Promise<ForwardResult> {
    let shared = 0;
    const prev = this.enabled ? this.previous : null;
    if (prev) while (shared < prev.ids.length && shared < ids.length - 1 && prev.ids[shared] === ids[shared]) shared++;
    const result =
      prev && shared >= MIN_SHARED_PREFIX ? await this.lm.forward(ids.slice(shared), this.lm.truncateCache(prev.cache, shared)) : await this.lm.forward(ids);
    // After the forward pass, which may have started from a truncation of it.
    if (this.previous) this.lm.releaseCache(this.previous.cache);
    this.previous = { ids, cache: result.cache };
    return result;
  }
}

export async function evaluateMmlu(
  lm: CausalLanguageModel,
  tokenizer: TextTokenizer,
  dataset: MmluDataset,
  spec: MmluSpec,
  reference: CausalLanguageModel | null,
  hooks: MmluHooks = {},
): Promise<{ raw: MmluRaw; timing: MmluTiming; tokenAgreement?: TokenAgreementRaw }> {
  const declared = lm.contextLength;
  const contextLength = Math.min(declared ?? Infinity, spec.maxContextTokens ?? Infinity);
  if (!Number.isFinite(contextLength)) {
    throw new HarnessError('harness.unknown_context_length', 'config.json declares no context length (max_position_embeddings, n_positions, …); set accuracy.mmlu.maxContextTokens.');
  }
  const subjects = spec.subjects
    ? spec.subjects.map((name) => {
        const subject = dataset.subjects.find((s) => s.name === name);
        if (!subject) throw new HarnessError('harness.unknown_subject', `The dataset has no subject '${name}' (it has ${dataset.subjects.map((s) => s.name).join(', ')}).`);
        return subject;
      })
    : dataset.subjects;
  const letters = CONTINUATIONS.map((text, i) => ({ letter: ANSWER_LETTERS[i]!, text, tokenIds: tokenizer.encode(text) }));
  const empty = letters.find((l) => l.tokenIds.length === 0);
  if (empty) throw new HarnessError('harness.tokenizer_failed', `The tokenizer turns '${empty.text}' into no tokens.`);
  const continuations = letters.map((l) => l.tokenIds);
  const longest = Math.max(...continuations.map((c) => c.length));

  const total = subjects.reduce((sum, s) => sum + Math.min(s.test.length, spec.maxQuestionsPerSubject ?? Infinity), 0);
  const questions: MmluRaw['questions'] = [];
  const referenceAnswers: NonNullable<MmluRaw['reference']> = [];
  const timing: MmluTiming = { promptNs: 0, modelNs: 0 };
  const reuse = hooks.reusePrefix ?? true;
  const candidateCache = new PrefixCache(lm, reuse);
  const referenceCache = reference && new PrefixCache(reference, reuse);
  for (const subject of subjects) {
    const count = Math.min(subject.test.length, spec.maxQuestionsPerSubject ?? Infinity);
    for (let index = 0; index < count; index++) {
      if (hooks.signal?.aborted) throw new HarnessError('job.canceled', 'The run was canceled.');
      const t0 = process.hrtime.bigint();
      const prompt = preparePrompt(tokenizer, subject, index, spec.shots, contextLength, longest);
      const t1 = process.hrtime.bigint();
      const logprobs = await continuationLogprobs(lm, await candidateCache.forward(prompt.ids), continuations);
      if (reference && referenceCache) {
        const refLogprobs = await continuationLogprobs(reference, await referenceCache.forward(prompt.ids), continuations);
        referenceAnswers.push({ logprobs: refLogprobs, prediction: predictedLetter(refLogprobs) });
      }
      const t2 = process.hrtime.bigint();
      timing.promptNs += Number(t1 - t0);
      timing.modelNs += Number(t2 - t1);
      questions.push({
        subject: subject.name,
        index,
        answer: subject.test[index]!.answer,
        logprobs,
        prediction: predictedLetter(logprobs),
        promptTokens: prompt.ids.length,
        shotsUsed: prompt.shotsUsed,
        truncated: prompt.truncated,
      });
      hooks.onProgress?.(questions.length, total);
    }
  }
  const raw: MmluRaw = { dataset: dataset.ref, shots: spec.shots, contextLength, letters, questions, ...(reference && { reference: referenceAnswers }) };
  if (!reference) return { raw, timing };
  // Greedy-token agreement with the reference on the same subjects (token-agreement.ts).
  const t0 = process.hrtime.bigint();
  const tokenAgreement = await evaluateTokenAgreement(lm, reference, tokenizer, subjects, { contextLength, limitPerSubject: spec.maxQuestionsPerSubject, signal: hooks.signal });
  timing.modelNs += Number(process.hrtime.bigint() - t0);
  return { raw, timing, tokenAgreement };
}
