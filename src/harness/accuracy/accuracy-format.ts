// What an accuracy run is asked to do (the suite spec's `accuracy`), what it records (raw: every
// question's log-probabilities and prediction, per-sample output comparisons) and the summary that is a
// pure function of the raw record (summarizeAccuracy), so the API recomputes every score before it
// stores a report, as it does for latency.
import { z } from 'zod';
import { HarnessError } from '../../lib/errors.js';
import { ANSWER_LETTERS, BUILTIN_DATASET_REF } from './mmlu-dataset.js';
import { CTC_KEY_LISTS, summarizeTextRecognition, textRecognitionRawSchema, textRecognitionSpecSchema, textRecognitionSummarySchema } from './text-recognition.js';
import { summarizeTextDetection, textDetectionRawSchema, textDetectionSpecSchema, textDetectionSummarySchema } from './text-detection.js';
import { summarizeTokenAgreement, tokenAgreementRawSchema, tokenAgreementSummarySchema } from './token-agreement-format.js';
import { summarizeVoiceActivity, voiceActivityOutputComparison, voiceActivityRawSchema, voiceActivitySpecSchema, voiceActivitySummarySchema } from './voice-activity-format.js';

const digestHex = z.string().regex(/^[0-9a-f]{64}$/);
export const DATASET_REF_PATTERN = /^(builtin:npubench-mmlu-mini|sha256:[0-9a-f]{64})$/;

export const mmluSpecSchema = z.strictObject({
  /** 'builtin:npubench-mmlu-mini' (shipped with npubench) or 'sha256:<digest>' of an uploaded dataset. */
  dataset: z.string().regex(DATASET_REF_PATTERN, "'builtin:npubench-mmlu-mini' or 'sha256:<64 hex digits>' of an uploaded dataset").default(BUILTIN_DATASET_REF),
  /** Few-shot examples from the subject's dev split; dropped from the end while the prompt does not fit. */
  shots: z.int().min(0).max(25).default(5),
  /** Only these subjects (default: all in the dataset). */
  subjects: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/)).min(1).max(1000).optional(),
  /** The first N test questions of each subject (default: all). */
  maxQuestionsPerSubject: z.int().min(1).max(1_000_000).optional(),
  /** Caps the context below the model's (config.json max_position_embeddings or similar). */
  maxContextTokens: z.int().min(8).max(1_048_576).optional(),
});

export const classificationSpecSchema = z.strictObject({
  /** 'sha256:<digest>' of an uploaded labelled input set (npubench.labelled-inputs/v1, docs/accuracy.md). */
  dataset: z.string().regex(/^sha256:[0-9a-f]{64}$/, "'sha256:<64 hex digits>' of an uploaded labelled input set"),
});

export const accuracySpecSchema = z.strictObject({
  mmlu: mmluSpecSchema.optional(),
  /** Top-1/top-5 accuracy on a labelled input set. */
  classification: classificationSpecSchema.optional(),
  /** Character accuracy (1 − CER) of a CTC text recognizer on an uploaded text-lines set (text-recognition.ts). */
  textRecognition: textRecognitionSpecSchema.optional(),
  /** Detection hmean (PaddleOCR's DB post-processing, IoU 0.5) of a text detector on an uploaded page set (text-detection.ts). */
  textDetection: textDetectionSpecSchema.optional(),
  /** Frame-level voice-activity detection on a npubench.vad-frames/v1 set (voice-activity-format.ts). */
  voiceActivity: voiceActivitySpecSchema.optional(),
  /** The FP32 original the candidate is compared with, run on the CPU EP with the same inputs. Jobs name it
   *  with `referenceModelId`; the API writes its digest here. */
  reference: z.strictObject({ modelDigest: digestHex }).optional(),
  /** Synthetic input sets (the latency run's generator, seeds spec.seed + i) whose outputs are compared with the reference. */
  fidelitySamples: z.int().min(1).max(10_000).default(8),
  /** MLPerf-style accuracy target: PASS when the candidate's score ≥ minRelativeScore × the reference's. */
  gate: z.strictObject({ minRelativeScore: z.number().gt(0).max(1).default(0.99) }).optional(),
});

export type AccuracySpec = z.output<typeof accuracySpecSchema>;
export type MmluSpec = z.output<typeof mmluSpecSchema>;

const letter = z.enum(ANSWER_LETTERS);
const logprobs = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const mmluQuestionRecordSchema = z.strictObject({
  subject: z.string(),
  /** Row of the question in its subject's test file, from 0. */
  index: z.int().min(0),
  answer: letter,
  /** Log-likelihood of the continuations " A", " B", " C", " D" after the prompt. */
  logprobs,
  prediction: letter,
  promptTokens: z.int().min(1),
  shotsUsed: z.int().min(0),
  /** The prompt did not fit even with no shots; its oldest tokens were cut (as lm-eval does). */
  truncated: z.boolean(),
});

export const mmluRawSchema = z.strictObject({
  dataset: z.string(),
  shots: z.int(),
  contextLength: z.int(),
  /** How each continuation " X" was tokenized on its own; multi-token letters are scored as the sum of their tokens' log-probabilities. */
  letters: z.array(z.strictObject({ letter, text: z.string(), tokenIds: z.array(z.int()) })).length(4),
  questions: z.array(mmluQuestionRecordSchema).min(1),
  /** The reference model's answers to the same prompts, in the same order. */
  reference: z.array(z.strictObject({ logprobs, prediction: letter })).optional(),
});

/** Per compared sample, per output: what cosine similarity, errors and top-k agreement are made of. */
export const outputComparisonRawSchema = z.strictObject({
  name: z.string(),
  elements: z.int().min(1),
  dot: z.array(z.number()),
  candidateNormSq: z.array(z.number()),
  referenceNormSq: z.array(z.number()),
  maxAbsError: z.array(z.number()),
  sumAbsError: z.array(z.number()),
  /** For [batch, classes]-like outputs: per sample (and batch row), whether the top-1 class agrees, and
   *  whether the reference's top-1 class is in the candidate's top 5. */
  top1Match: z.array(z.boolean()).optional(),
  top5Match: z.array(z.boolean()).optional(),
});

export const accuracyTimingSchema = z.strictObject({
  /** Building prompt text and tokenizing it (the harness's own share). */
  promptNs: z.int().min(0),
  /** onnxruntime forward passes. */
  modelNs: z.int().min(0),
  totalNs: z.int().min(0),
});

export const classificationRawSchema = z.strictObject({
  dataset: z.string(),
  /** The output read as class scores. */
  output: z.string(),
  /** One entry per labelled row (a sample with batch N gives N rows), in file order. */
  rows: z
    .array(
      z.strictObject({
        label: z.int().min(0),
        /** The candidate's five highest-scoring classes, best first (fewer when there are fewer classes). */
        top5: z.array(z.int().min(0)).min(1).max(5),
        referenceTop5: z.array(z.int().min(0)).min(1).max(5).optional(),
      }),
    )
    .min(1),
});

export const accuracyRawSchema = z.strictObject({
  mmlu: mmluRawSchema.optional(),
  /** Greedy-token agreement with the reference LM; present when MMLU ran with a reference (token-agreement-format.ts). */
  tokenAgreement: tokenAgreementRawSchema.optional(),
  classification: classificationRawSchema.optional(),
  textRecognition: textRecognitionRawSchema.optional(),
  textDetection: textDetectionRawSchema.optional(),
  voiceActivity: voiceActivityRawSchema.optional(),
  outputs: z.array(outputComparisonRawSchema).optional(),
  referenceModelDigest: digestHex.optional(),
  timing: accuracyTimingSchema,
});
export type AccuracyRaw = z.output<typeof accuracyRawSchema>;
export type MmluRaw = z.output<typeof mmluRawSchema>;
export type ClassificationRaw = z.output<typeof classificationRawSchema>;
export type OutputComparisonRaw = z.output<typeof outputComparisonRawSchema>;

const interval = z.tuple([z.number(), z.number()]);

const mmluSummarySchema = z.strictObject({
  dataset: z.string(),
  shots: z.int(),
  questionCount: z.int(),
  correct: z.int(),
  /** Micro average: correct / questions over all subjects (lm-eval's group score). */
  accuracy: z.number(),
  /** Wilson score interval, 95%. */
  accuracyCi95: interval,
  /** Macro average: the mean of the subjects' accuracies (hendrycks' average). */
  macroAccuracy: z.number(),
  /** Normal approximation with the subjects' binomial variances, clamped to [0, 1]. */
  macroAccuracyCi95: interval,
  subjects: z.array(z.strictObject({ subject: z.string(), questions: z.int(), correct: z.int(), accuracy: z.number(), accuracyCi95: interval })),
  truncatedPrompts: z.int(),
  reference: z
    .strictObject({
      accuracy: z.number(),
      macroAccuracy: z.number(),
      /** Share of questions where candidate and reference predict the same letter. */
      predictionAgreement: z.number(),
    })
    .nullable(),
});

const classificationSummarySchema = z.strictObject({
  dataset: z.string(),
  output: z.string(),
  rows: z.int(),
  top1Correct: z.int(),
  top1Accuracy: z.number(),
  top1AccuracyCi95: interval,
  top5Correct: z.int(),
  top5Accuracy: z.number(),
  top5AccuracyCi95: interval,
  reference: z.strictObject({ top1Accuracy: z.number(), top5Accuracy: z.number(), top1Agreement: z.number() }).nullable(),
});

const outputFidelitySchema = z.strictObject({
  name: z.string(),
  samples: z.int(),
  /** Mean over samples of cos(candidate, reference) of the flattened output. */
  cosineSimilarity: z.number(),
  minCosineSimilarity: z.number(),
  maxAbsError: z.number(),
  meanAbsError: z.number(),
  top1Agreement: z.number().nullable(),
  top5Agreement: z.number().nullable(),
});

export const accuracySummarySchema = z.strictObject({
  mmlu: mmluSummarySchema.nullable(),
  /** Present only when the run measured it (an LM against its reference), so earlier summaries keep their shape. */
  tokenAgreement: tokenAgreementSummarySchema.optional(),
  classification: classificationSummarySchema.nullable(),
  /** Present only when the spec asked for it, so summaries of other runs keep their shape. */
  textRecognition: textRecognitionSummarySchema.optional(),
  textDetection: textDetectionSummarySchema.optional(),
  /** Present only when the run scored voice activity, so earlier summaries keep their shape. */
  voiceActivity: voiceActivitySummarySchema.optional(),
  fidelity: z.strictObject({ referenceModelDigest: digestHex, outputs: z.array(outputFidelitySchema) }).nullable(),
  gate: z
    .strictObject({
      /** MMLU accuracy, else classification top-1 accuracy, else text recognition's character accuracy, else
       *  text detection hmean, else voice-activity frame F1 (each against the reference's), else the top-1
       *  agreement of a classifier output with the reference (whose own score is then 1). */
      metric: z.enum(['mmlu.accuracy', 'classification.top1Accuracy', 'textRecognition.characterAccuracy', 'textDetection.hmean', 'voiceActivity.f1', 'top1Agreement']),
      minRelativeScore: z.number(),
      candidate: z.number(),
      reference: z.number(),
      relativeScore: z.number(),
      result: z.enum(['PASS', 'FAIL']),
    })
    .nullable(),
  timing: accuracyTimingSchema.extend({ promptShare: z.number() }),
});
export type AccuracySummary = z.output<typeof accuracySummarySchema>;

/** Wilson score interval for `correct` of `n` at 95% (z = 1.959964). */
export function wilsonInterval(correct: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.959963984540054;
  const p = correct / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const invalid = (message: string) => new HarnessError('harness.invalid_raw_samples', `Invalid accuracy record: ${message}`);

/** The letter with the highest log-likelihood; ties go to the earlier letter (numpy argmax). */
export function predictedLetter(values: readonly number[]): (typeof ANSWER_LETTERS)[number] {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return ANSWER_LETTERS[best]!;
}

function summarizeMmlu(raw: MmluRaw): z.output<typeof mmluSummarySchema> {
  const bySubject = new Map<string, { questions: number; correct: number }>();
  let correct = 0;
  raw.questions.forEach((q, i) => {
    if (predictedLetter(q.logprobs) !== q.prediction) throw invalid(`question ${i} (${q.subject} #${q.index}) records ${q.prediction}, its log-probabilities give ${predictedLetter(q.logprobs)}`);
    const entry = bySubject.get(q.subject) ?? { questions: 0, correct: 0 };
    entry.questions++;
    if (q.prediction === q.answer) {
      entry.correct++;
      correct++;
    }
    bySubject.set(q.subject, entry);
  });
  const subjects = [...bySubject].sort(([a], [b]) => a.localeCompare(b)).map(([subject, s]) => ({ subject, ...s, accuracy: s.correct / s.questions, accuracyCi95: wilsonInterval(s.correct, s.questions) }));
  const macroAccuracy = subjects.reduce((sum, s) => sum + s.accuracy, 0) / subjects.length;
  const macroVariance = subjects.reduce((sum, s) => sum + (s.accuracy * (1 - s.accuracy)) / s.questions, 0) / subjects.length ** 2;
  const macroHalf = 1.959963984540054 * Math.sqrt(macroVariance);
  let reference: z.output<typeof mmluSummarySchema>['reference'] = null;
  if (raw.reference) {
    if (raw.reference.length !== raw.questions.length) throw invalid(`${raw.reference.length} reference answers for ${raw.questions.length} questions`);
    const refSubjects = new Map<string, { questions: number; correct: number }>();
    let refCorrect = 0;
    let agree = 0;
    raw.reference.forEach((r, i) => {
      const q = raw.questions[i]!;
      if (predictedLetter(r.logprobs) !== r.prediction) throw invalid(`reference answer ${i} records ${r.prediction}, its log-probabilities give ${predictedLetter(r.logprobs)}`);
      const entry = refSubjects.get(q.subject) ?? { questions: 0, correct: 0 };
      entry.questions++;
      if (r.prediction === q.answer) {
        entry.correct++;
        refCorrect++;
      }
      refSubjects.set(q.subject, entry);
      if (r.prediction === q.prediction) agree++;
    });
    const refMacro = [...refSubjects.values()].reduce((sum, s) => sum + s.correct / s.questions, 0) / refSubjects.size;
    reference = { accuracy: refCorrect / raw.questions.length, macroAccuracy: refMacro, predictionAgreement: agree / raw.questions.length };
  }
  return {
    dataset: raw.dataset,
    shots: raw.shots,
    questionCount: raw.questions.length,
    correct,
    accuracy: correct / raw.questions.length,
    accuracyCi95: wilsonInterval(correct, raw.questions.length),
    macroAccuracy,
    macroAccuracyCi95: [Math.max(0, macroAccuracy - macroHalf), Math.min(1, macroAccuracy + macroHalf)],
    subjects,
    truncatedPrompts: raw.questions.filter((q) => q.truncated).length,
    reference,
  };
}

function summarizeClassification(raw: ClassificationRaw): z.output<typeof classificationSummarySchema> {
  const n = raw.rows.length;
  const top1Correct = raw.rows.filter((r) => r.top5[0] === r.label).length;
  const top5Correct = raw.rows.filter((r) => r.top5.includes(r.label)).length;
  const withReference = raw.rows.filter((r) => r.referenceTop5 !== undefined).length;
  if (withReference !== 0 && withReference !== n) throw invalid('reference classes are given for some rows and not others');
  const reference =
    withReference === 0
      ? null
      : {
          top1Accuracy: raw.rows.filter((r) => r.referenceTop5![0] === r.label).length / n,
          top5Accuracy: raw.rows.filter((r) => r.referenceTop5!.includes(r.label)).length / n,
          top1Agreement: raw.rows.filter((r) => r.referenceTop5![0] === r.top5[0]).length / n,
        };
  return {
    dataset: raw.dataset,
    output: raw.output,
    rows: n,
    top1Correct,
    top1Accuracy: top1Correct / n,
    top1AccuracyCi95: wilsonInterval(top1Correct, n),
    top5Correct,
    top5Accuracy: top5Correct / n,
    top5AccuracyCi95: wilsonInterval(top5Correct, n),
    reference,
  };
}

function summarizeOutput(raw: OutputComparisonRaw): z.output<typeof outputFidelitySchema> {
  const samples = raw.dot.length;
  const lengths = [raw.candidateNormSq, raw.referenceNormSq, raw.maxAbsError, raw.sumAbsError].map((a) => a.length);
  if (samples === 0 || lengths.some((l) => l !== samples)) throw invalid(`output '${raw.name}' has per-sample arrays of different lengths`);
  const cosines = raw.dot.map((dot, i) => {
    const norms = Math.sqrt(raw.candidateNormSq[i]!) * Math.sqrt(raw.referenceNormSq[i]!);
    // Two all-zero outputs are identical; one zero output is orthogonal to anything.
    if (norms === 0) return raw.candidateNormSq[i] === raw.referenceNormSq[i] ? 1 : 0;
    return Math.min(1, Math.max(-1, dot / norms));
  });
  const share = (matches: readonly boolean[] | undefined) => (matches === undefined || matches.length === 0 ? null : matches.filter(Boolean).length / matches.length);
  return {
    name: raw.name,
    samples,
    cosineSimilarity: cosines.reduce((a, b) => a + b, 0) / samples,
    minCosineSimilarity: Math.min(...cosines),
    maxAbsError: Math.max(...raw.maxAbsError),
    meanAbsError: raw.sumAbsError.reduce((a, b) => a + b, 0) / (samples * raw.elements),
    top1Agreement: share(raw.top1Match),
    top5Agreement: share(raw.top5Match),
  };
}

/** Every accuracy figure from the raw record and the spec. */
export function summarizeAccuracy(raw: AccuracyRaw, spec: AccuracySpec): AccuracySummary {
  const mmlu = raw.mmlu ? summarizeMmlu(raw.mmlu) : null;
  if (spec.mmlu && !mmlu) throw invalid('the spec asks for MMLU and the record has none');
  if (raw.tokenAgreement && !(raw.mmlu?.reference && spec.reference)) throw invalid('the record has token agreement without MMLU against a reference');
  const tokenAgreement = raw.tokenAgreement ? summarizeTokenAgreement(raw.tokenAgreement) : null;
  const classification = raw.classification ? summarizeClassification(raw.classification) : null;
  if (spec.classification && !classification) throw invalid('the spec asks for classification accuracy and the record has none');
  const textRecognition = raw.textRecognition ? summarizeTextRecognition(raw.textRecognition) : null;
  if (spec.textRecognition && !textRecognition) throw invalid('the spec asks for text recognition and the record has none');
  if (textRecognition && (textRecognition.dataset !== spec.textRecognition?.dataset || textRecognition.keysSha256 !== CTC_KEY_LISTS[spec.textRecognition.keys].sha256)) {
    throw invalid('the text recognition record names another dataset or key list than the spec');
  }
  const textDetection = raw.textDetection ? summarizeTextDetection(raw.textDetection) : null;
  if (spec.textDetection && !textDetection) throw invalid('the spec asks for text detection and the record has none');
  if (textDetection && textDetection.dataset !== spec.textDetection?.dataset) throw invalid('the text detection record names another dataset than the spec');
  const voiceActivity = raw.voiceActivity ? summarizeVoiceActivity(raw.voiceActivity, wilsonInterval) : null;
  if (spec.voiceActivity && !voiceActivity) throw invalid('the spec asks for voice activity and the record has none');
  if (raw.voiceActivity) {
    // The record is scored at the spec's threshold on the spec's dataset, never at one the agent chose.
    if (!spec.voiceActivity) throw invalid('the record has voice activity the spec did not ask for');
    if (raw.voiceActivity.dataset !== spec.voiceActivity.dataset || raw.voiceActivity.threshold !== spec.voiceActivity.threshold) throw invalid('the voice-activity record names another dataset or threshold than the spec');
    if ((raw.voiceActivity.referenceProbabilities !== undefined) !== (spec.reference !== undefined)) throw invalid('the voice-activity record has reference probabilities exactly when the spec names a reference');
  }
  // A VAD's fidelity comes from the frames it ran (synthetic inputs cannot drive it), not from raw.outputs.
  const vadComparison = raw.voiceActivity && !raw.outputs ? voiceActivityOutputComparison(raw.voiceActivity) : null;
  const outputs = raw.outputs?.map(summarizeOutput) ?? (vadComparison ? [summarizeOutput(vadComparison)] : null);
  const referenceDigest = raw.referenceModelDigest ?? null;
  if ((spec.reference?.modelDigest ?? null) !== referenceDigest) throw invalid('the record names another reference model than the spec');
  const fidelity = referenceDigest && outputs ? { referenceModelDigest: referenceDigest, outputs } : null;
  let gate: AccuracySummary['gate'] = null;
  if (spec.gate) {
    let metric: NonNullable<AccuracySummary['gate']>['metric'];
    let candidate: number;
    let reference: number;
    if (mmlu?.reference) {
      metric = 'mmlu.accuracy';
      candidate = mmlu.accuracy;
      reference = mmlu.reference.accuracy;
    } else if (classification?.reference) {
      metric = 'classification.top1Accuracy';
      candidate = classification.top1Accuracy;
      reference = classification.reference.top1Accuracy;
    } else if (textRecognition?.reference) {
      metric = 'textRecognition.characterAccuracy';
      candidate = textRecognition.characterAccuracy;
      reference = textRecognition.reference.characterAccuracy;
    } else if (textDetection?.reference) {
      metric = 'textDetection.hmean';
      candidate = textDetection.hmean;
      reference = textDetection.reference.hmean;
    } else if (voiceActivity?.reference) {
      metric = 'voiceActivity.f1';
      candidate = voiceActivity.f1;
      reference = voiceActivity.reference.f1;
    } else {
      const agreement = fidelity?.outputs.find((o) => o.top1Agreement !== null)?.top1Agreement;
      if (agreement === undefined || agreement === null) throw invalid('the gate needs a reference: MMLU answers of both models, or a classifier output to compare');
      metric = 'top1Agreement';
      candidate = agreement;
      reference = 1;
    }
    // A reference that scores 0 is met by any candidate.
    const relativeScore = reference === 0 ? 1 : candidate / reference;
    gate = { metric, minRelativeScore: spec.gate.minRelativeScore, candidate, reference, relativeScore, result: relativeScore >= spec.gate.minRelativeScore ? 'PASS' : 'FAIL' };
  }
  const { promptNs, modelNs, totalNs } = raw.timing;
  return { mmlu, ...(tokenAgreement && { tokenAgreement }), classification, ...(textRecognition && { textRecognition }), ...(textDetection && { textDetection }), ...(voiceActivity && { voiceActivity }), fidelity, gate, timing: { promptNs, modelNs, totalNs, promptShare: totalNs === 0 ? 0 : promptNs / totalNs } };
}
