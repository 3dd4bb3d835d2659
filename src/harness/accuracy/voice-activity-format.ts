// What a voice-activity evaluation is asked to do (the suite spec's `accuracy.voiceActivity`), what it
// records (every frame's speech probability, of the candidate and of the FP32 reference, and the labels)
// and the summary, a pure function of the record: frame accuracy, precision, recall and F1 against the
// labels, and agreement with the reference's decisions. The API recomputes it before it stores a report.
import { z } from 'zod';
import { HarnessError } from '../../lib/errors.js';
import { VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE } from './vad-frames.js';

export const VAD_THRESHOLD = 0.5;

export const voiceActivitySpecSchema = z.strictObject({
  /** 'sha256:<digest>' of the npubench.vad-frames/v1 file (the suite catalog's dataset sha256). */
  dataset: z.string().regex(/^sha256:[0-9a-f]{64}$/, "'sha256:<64 hex digits>' of a vad-frames file"),
  /** A frame is speech when its probability is at least this (Silero's own default). */
  threshold: z.number().gt(0).lt(1).default(VAD_THRESHOLD),
});
export type VoiceActivitySpec = z.output<typeof voiceActivitySpecSchema>;

const probability = z.number().min(0).max(1);

export const voiceActivityRawSchema = z.strictObject({
  dataset: z.string(),
  sampleRate: z.literal(VAD_SAMPLE_RATE),
  frameSamples: z.literal(VAD_FRAME_SAMPLES),
  threshold: z.number().gt(0).lt(1),
  /** The dataset's label of every frame, in order (1 speech). */
  labels: z.array(z.union([z.literal(0), z.literal(1)])).min(1),
  /** The candidate's speech probability of every frame, run in order with its recurrent state carried. */
  probabilities: z.array(probability).min(1),
  /** The FP32 reference's, the same way on the CPU EP. */
  referenceProbabilities: z.array(probability).min(1).optional(),
});
export type VoiceActivityRaw = z.output<typeof voiceActivityRawSchema>;

const interval = z.tuple([z.number(), z.number()]);
const frameScores = {
  /** Frames whose decision (probability ≥ threshold) equals the label, over all frames. */
  accuracy: z.number(),
  /** Of the frames decided speech, the share labelled speech (0 when none is decided speech). */
  precision: z.number(),
  /** Of the frames labelled speech, the share decided speech. */
  recall: z.number(),
  /** 2·TP / (2·TP + FP + FN): the harmonic mean of precision and recall, 0 when TP is 0. */
  f1: z.number(),
};

export const voiceActivitySummarySchema = z.strictObject({
  dataset: z.string(),
  frames: z.int(),
  speechFrames: z.int(),
  threshold: z.number(),
  truePositives: z.int(),
  falsePositives: z.int(),
  falseNegatives: z.int(),
  trueNegatives: z.int(),
  ...frameScores,
  /** Wilson score interval of the frame accuracy, 95 %. */
  accuracyCi95: interval,
  reference: z
    .strictObject({
      ...frameScores,
      /** Share of frames where candidate and reference make the same decision. */
      decisionAgreement: z.number(),
    })
    .nullable(),
});
export type VoiceActivitySummary = z.output<typeof voiceActivitySummarySchema>;

const invalid = (message: string) => new HarnessError('harness.invalid_raw_samples', `Invalid voice-activity record: ${message}`);

function scores(decisions: readonly boolean[], labels: readonly (0 | 1)[]) {
  let [tp, fp, fn, tn] = [0, 0, 0, 0];
  decisions.forEach((speech, f) => {
    const label = labels[f] === 1;
    if (speech && label) tp++;
    else if (speech) fp++;
    else if (label) fn++;
    else tn++;
  });
  const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  return { tp, fp, fn, tn, accuracy: (tp + tn) / labels.length, precision: tp + fp === 0 ? 0 : tp / (tp + fp), recall: tp + fn === 0 ? 0 : tp / (tp + fn), f1 };
}

/** `wilsonInterval` is accuracy-format's, passed in so that imports run one way (accuracy-format → here). */
export function summarizeVoiceActivity(raw: VoiceActivityRaw, wilsonInterval: (correct: number, n: number) => [number, number]): VoiceActivitySummary {
  const frames = raw.labels.length;
  if (raw.probabilities.length !== frames) throw invalid(`${raw.probabilities.length} probabilities for ${frames} labelled frames`);
  if (raw.referenceProbabilities && raw.referenceProbabilities.length !== frames) throw invalid(`${raw.referenceProbabilities.length} reference probabilities for ${frames} labelled frames`);
  const decide = (p: readonly number[]) => p.map((x) => x >= raw.threshold);
  const candidate = decide(raw.probabilities);
  const own = scores(candidate, raw.labels);
  let reference: VoiceActivitySummary['reference'] = null;
  if (raw.referenceProbabilities) {
    const refDecisions = decide(raw.referenceProbabilities);
    const { accuracy, precision, recall, f1 } = scores(refDecisions, raw.labels);
    reference = { accuracy, precision, recall, f1, decisionAgreement: refDecisions.filter((d, f) => d === candidate[f]).length / frames };
  }
  return {
    dataset: raw.dataset,
    frames,
    speechFrames: raw.labels.filter((l) => l === 1).length,
    threshold: raw.threshold,
    truePositives: own.tp,
    falsePositives: own.fp,
    falseNegatives: own.fn,
    trueNegatives: own.tn,
    accuracy: own.accuracy,
    precision: own.precision,
    recall: own.recall,
    f1: own.f1,
    accuracyCi95: wilsonInterval(own.tp + own.tn, frames),
    reference,
  };
}

/** The candidate's probability sequence against the reference's as one fidelity sample of the output
 *  `output`: cosine of the two sequences, errors per frame, and per frame whether the decisions agree
 *  (as top-1 agreement), so a suite's fidelity floor reads VAD like any classifier. Synthetic inputs
 *  cannot stand in here: the model's input length and `sr` must be real for it to run at all. */
export function voiceActivityOutputComparison(raw: VoiceActivityRaw) {
  const a = raw.probabilities;
  const b = raw.referenceProbabilities;
  if (!b) return null;
  let [dot, na, nb, maxAbs, sumAbs] = [0, 0, 0, 0, 0];
  a.forEach((x, f) => {
    const y = b[f]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
    const err = Math.abs(x - y);
    sumAbs += err;
    maxAbs = Math.max(maxAbs, err);
  });
  const top1Match = a.map((x, f) => x >= raw.threshold === b[f]! >= raw.threshold);
  return { name: 'output', elements: a.length, dot: [dot], candidateNormSq: [na], referenceNormSq: [nb], maxAbsError: [maxAbs], sumAbsError: [sumAbs], top1Match, top5Match: top1Match };
}
