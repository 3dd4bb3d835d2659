// Voice-activity detection (npubench-edge@2 `voice-activity`): the committed frame set is what the
// catalog pins and its labels follow from its segments (recomputed here); the real Silero VAD v5 runs
// through the harness (runAccuracy) and its recorded probabilities are the ones a loop written here
// gets from onnxruntime; every score is recomputed here from the record; the FP32 model scores well
// above chance; a weight-rounded variant passes the workload's quality target and a variant with one
// layer's weights scaled wrong (the broken-quantizer bug) fails it. Variants are written at test time by
// scripts/suites/silero_vad_variant.py (Debian python3-onnx, as .ci/run installs).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accuracySpecSchema, summarizeAccuracy, type AccuracyRaw } from '../../src/harness/accuracy/accuracy-format.js';
import { runAccuracy } from '../../src/harness/accuracy/run-accuracy.js';
import { parseVadFrames, type VadFrameSet } from '../../src/harness/accuracy/vad-frames.js';
import { NPUBENCH_EDGE_2 } from '../../src/services/suites/npubench-edge-2.js';
import { createRunnerBackend, referenceRunnerCommand } from '../../src/harness/index.js';
import { runnerOutputModel } from '../../src/harness/accuracy/runner-output-model.js';
import { evaluateVoiceActivity } from '../../src/harness/accuracy/voice-activity.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const DATASET_FILE = path.join(REPO, 'test/fixtures/suites/vad-speech-silence-1.json');
const SILERO = path.join(REPO, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');
const workload = NPUBENCH_EDGE_2.workloads.find((w) => w.id === 'voice-activity')!;
const DATASET_REF = `sha256:${workload.dataset.sha256}`;
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

interface FileShape {
  audio: { samples: number; sha256: string; dataBase64: string };
  segments: { start: number; end: number }[];
  labels: number[];
}

/** Silero v5 over the audio, written here from silero-vad's OnnxWrapper: 64 context samples + 512 new. */
async function sileroProbabilities(modelPath: string, audio: Float32Array, frames: number): Promise<number[]> {
  const session = await InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  let state: Tensor = new Tensor('float32', new Float32Array(256), [2, 1, 128]);
  const sr = new Tensor('int64', BigInt64Array.from([16000n]), []);
  const out: number[] = [];
  for (let f = 0; f < frames; f++) {
    const x = new Float32Array(576);
    for (let i = 0; i < 576; i++) {
      const at = f * 512 - 64 + i;
      x[i] = at >= 0 ? audio[at]! : 0;
    }
    const result = await session.run({ input: new Tensor('float32', x, [1, 576]), state, sr });
    state = result.stateN!;
    out.push((result.output!.data as Float32Array)[0]!);
  }
  await session.release();
  return out;
}

/** Precision, recall, F1 and accuracy of decisions p ≥ 0.5 against labels, counted here. */
function frameScores(probabilities: readonly number[], labels: readonly number[]) {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  probabilities.forEach((p, f) => {
    const said = p >= 0.5;
    const is = labels[f] === 1;
    if (said && is) tp++;
    else if (said) fp++;
    else if (is) fn++;
    else tn++;
  });
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  return { tp, fp, fn, tn, precision, recall, f1: tp === 0 ? 0 : (2 * precision * recall) / (precision + recall), accuracy: (tp + tn) / labels.length };
}

const run = promisify(execFile);

describe('voice activity (Silero VAD v5 on vad-speech-silence@1)', () => {
  let text: string;
  let set: VadFrameSet;
  let work: string;
  let fakeInt8: string;
  let broken: string;
  const spec = accuracySpecSchema.parse({ voiceActivity: { dataset: DATASET_REF }, reference: { modelDigest: workload.referenceModel.files[0]!.sha256 }, gate: { minRelativeScore: workload.quality.minRelativeToReference } });
  const evaluate = (modelPath: string) =>
    runAccuracy({ spec, seed: 0, dynamicDims: {}, modelPath, reference: { modelPath: SILERO, digest: workload.referenceModel.files[0]!.sha256 }, vadFrames: { ref: DATASET_REF, set }, backend: { executionProvider: 'cpu' } });

  beforeAll(async () => {
    text = await readFile(DATASET_FILE, 'utf8');
    set = parseVadFrames(text);
    work = await mkdtemp(path.join(tmpdir(), 'npubench-vad-'));
    fakeInt8 = path.join(work, 'silero-fake-int8.onnx');
    broken = path.join(work, 'silero-broken.onnx');
    const script = path.join(REPO, 'scripts/suites/silero_vad_variant.py');
    await run('/usr/bin/python3', [script, SILERO, fakeInt8, '--fake-int8'], { timeout: 120_000 });
    await run('/usr/bin/python3', [script, SILERO, broken, '--fake-int8', '--scale', 'encoder.1.reparam_conv.weight=0.25'], { timeout: 120_000 });
  }, 240_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the committed file is the one the catalog pins, and its labels follow from its segments', () => {
    expect(sha256(text)).toBe(workload.dataset.sha256);
    const file = JSON.parse(text) as FileShape;
    const pcm = Buffer.from(file.audio.dataBase64, 'base64');
    expect(sha256(pcm)).toBe(file.audio.sha256);
    expect(pcm.length).toBe(2 * file.audio.samples);
    expect(file.labels).toHaveLength(workload.dataset.samples);
    expect(set.labels).toHaveLength(workload.dataset.samples);
    // Half-frame rule, counted sample by sample here.
    const inSpeech = new Uint8Array(file.audio.samples);
    for (const s of file.segments) inSpeech.fill(1, s.start, s.end);
    const labels = Array.from({ length: file.audio.samples / 512 }, (_, f) => (inSpeech.subarray(f * 512, (f + 1) * 512).reduce((a, b) => a + b, 0) >= 256 ? 1 : 0));
    expect(file.labels).toEqual(labels);
    // Both classes are well represented: chance is far from the scores asserted below.
    const speech = labels.filter((l) => l === 1).length;
    expect(speech / labels.length).toBeGreaterThan(0.4);
    expect(speech / labels.length).toBeLessThan(0.8);
    // The audio the parser hands the model is int16 / 32768.
    expect(set.audio[file.segments[0]!.start + 100]).toBe(pcm.readInt16LE(2 * (file.segments[0]!.start + 100)) / 32768);
  });

  it('refuses a file whose labels, audio or segments were tampered with', () => {
    const file = JSON.parse(text) as FileShape & Record<string, unknown>;
    const firstSpeech = file.labels.indexOf(1);
    expect(() => parseVadFrames(JSON.stringify({ ...file, labels: file.labels.map((l, f) => (f === firstSpeech ? 0 : l)) }))).toThrow(expect.objectContaining({ code: 'dataset.invalid_vad_frames' }));
    const pcm = Buffer.from(file.audio.dataBase64, 'base64');
    pcm[1000] = (pcm[1000]! + 1) & 0xff;
    expect(() => parseVadFrames(JSON.stringify({ ...file, audio: { ...file.audio, dataBase64: pcm.toString('base64') } }))).toThrow(/audio.sha256/);
    expect(() => parseVadFrames(JSON.stringify({ ...file, segments: [...file.segments].reverse() }))).toThrow(expect.objectContaining({ code: 'dataset.invalid_vad_frames' }));
  });

  describe('the FP32 reference against itself', () => {
    let raw: AccuracyRaw;
    beforeAll(async () => {
      raw = await evaluate(SILERO);
    }, 240_000);

    it('records the probabilities a loop written here gets from onnxruntime, frame by frame', async () => {
      const expected = await sileroProbabilities(SILERO, set.audio, set.labels.length);
      expect(raw.voiceActivity!.probabilities).toEqual(expected);
      expect(raw.voiceActivity!.referenceProbabilities).toEqual(expected);
      expect(raw.voiceActivity!.labels).toEqual(set.labels);
      expect(raw.outputs).toBeUndefined();
    }, 240_000);

    it('scores what the test recomputes from the record, well above chance', () => {
      const summary = summarizeAccuracy(raw, spec);
      const mine = frameScores(raw.voiceActivity!.probabilities, raw.voiceActivity!.labels);
      const va = summary.voiceActivity!;
      expect([va.truePositives, va.falsePositives, va.falseNegatives, va.trueNegatives]).toEqual([mine.tp, mine.fp, mine.fn, mine.tn]);
      expect(va.f1).toBeCloseTo(mine.f1, 12);
      expect(va.precision).toBeCloseTo(mine.precision, 12);
      expect(va.recall).toBeCloseTo(mine.recall, 12);
      expect(va.accuracy).toBeCloseTo(mine.accuracy, 12);
      // Measured when the catalog was written (CPU EP, deterministic): 178 TP, 3 FP, 5 FN, 99 TN, F1 0.978.
      console.log(`voice-activity FP32: F1 ${mine.f1.toFixed(4)}, precision ${mine.precision.toFixed(4)}, recall ${mine.recall.toFixed(4)}, frame accuracy ${mine.accuracy.toFixed(4)} over ${raw.voiceActivity!.labels.length} frames`);
      expect(mine.f1).toBeGreaterThan(0.95);
      expect(mine.accuracy).toBeGreaterThan(0.95);
      expect(va.reference).toEqual({ accuracy: va.accuracy, precision: va.precision, recall: va.recall, f1: va.f1, decisionAgreement: 1 });
      expect(summary.gate).toMatchObject({ metric: 'voiceActivity.f1', relativeScore: 1, result: 'PASS' });
      expect(summary.fidelity!.outputs).toEqual([expect.objectContaining({ name: 'output', samples: 1, cosineSimilarity: 1, top1Agreement: 1, maxAbsError: 0 })]);
    });

    it('refuses a record scored at a threshold or on a dataset the spec did not ask for', () => {
      const va = raw.voiceActivity!;
      expect(() => summarizeAccuracy({ ...raw, voiceActivity: { ...va, threshold: 0.2 } }, spec)).toThrow(/threshold/);
      expect(() => summarizeAccuracy({ ...raw, voiceActivity: { ...va, dataset: `sha256:${'0'.repeat(64)}` } }, spec)).toThrow(/dataset/);
      expect(() => summarizeAccuracy({ ...raw, voiceActivity: { ...va, probabilities: va.probabilities.slice(1) } }, spec)).toThrow(/probabilities/);
      expect(() => summarizeAccuracy(raw, accuracySpecSchema.parse({ reference: spec.reference }))).toThrow(/did not ask/);
    });
  });

  /** The workload's quality target and fidelity floor, checked here from the record. */
  function meetsTarget(raw: AccuracyRaw) {
    const va = raw.voiceActivity!;
    const own = frameScores(va.probabilities, va.labels);
    const ref = frameScores(va.referenceProbabilities!, va.labels);
    const agreement = va.probabilities.filter((p, f) => p >= 0.5 === va.referenceProbabilities![f]! >= 0.5).length / va.labels.length;
    const dot = va.probabilities.reduce((s, p, f) => s + p * va.referenceProbabilities![f]!, 0);
    const norm = (xs: readonly number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0));
    const cosine = dot / (norm(va.probabilities) * norm(va.referenceProbabilities!));
    const { minRelativeToReference } = workload.quality;
    const floor = workload.quality.fidelityFloor;
    return { relative: own.f1 / ref.f1, agreement, cosine, pass: own.f1 >= minRelativeToReference * ref.f1 && agreement >= floor.minTop1Agreement! && cosine >= floor.minCosine! };
  }

  it('a per-channel int8 rounding of the weights meets the quality target and fidelity floor', async () => {
    const raw = await evaluate(fakeInt8);
    const mine = meetsTarget(raw);
    console.log(`voice-activity fake-int8: F1 relative ${mine.relative.toFixed(4)}, decision agreement ${mine.agreement.toFixed(4)}, cosine ${mine.cosine.toFixed(5)}`);
    expect(mine.pass).toBe(true);
    const summary = summarizeAccuracy(raw, spec);
    expect(summary.gate).toMatchObject({ metric: 'voiceActivity.f1', result: 'PASS' });
    expect(summary.fidelity!.outputs[0]!.top1Agreement).toBeCloseTo(mine.agreement, 12);
    expect(summary.fidelity!.outputs[0]!.cosineSimilarity).toBeCloseTo(mine.cosine, 12);
  }, 240_000);

  it('one layer\'s weights scaled ×0.25 (a quantizer writing a wrong scale) fails it', async () => {
    const raw = await evaluate(broken);
    const mine = meetsTarget(raw);
    console.log(`voice-activity broken variant: F1 relative ${mine.relative.toFixed(4)}, decision agreement ${mine.agreement.toFixed(4)}, cosine ${mine.cosine.toFixed(5)}`);
    expect(mine.pass).toBe(false);
    expect(mine.relative).toBeLessThan(workload.quality.minRelativeToReference);
    const summary = summarizeAccuracy(raw, spec);
    expect(summary.gate).toMatchObject({ metric: 'voiceActivity.f1', result: 'FAIL' });
    expect(summary.gate!.relativeScore).toBeCloseTo(mine.relative, 12);
    expect(summary.fidelity!.outputs[0]!.top1Agreement!).toBeLessThan(workload.quality.fidelityFloor.minTop1Agreement!);
  }, 240_000);

  it('gives the same record through a runner process (the reference runner, protocol v2) as in-process', async () => {
    const backend = createRunnerBackend({ ...referenceRunnerCommand(), requestTimeoutMs: 60_000 });
    try {
      const loaded = await backend.load(SILERO);
      const viaRunner = await evaluateVoiceActivity(spec.voiceActivity!, set, runnerOutputModel(backend, loaded, undefined), null);
      expect(viaRunner.probabilities).toEqual(await sileroProbabilities(SILERO, set.audio, set.labels.length));
    } finally {
      await backend.close();
    }
  }, 240_000);

  it('refuses a model without Silero v5\'s interface, and a run given no frame set', async () => {
    await expect(runAccuracy({ spec, seed: 0, dynamicDims: {}, modelPath: path.join(REPO, 'test/fixtures/models/tiny-cnn.onnx'), reference: { modelPath: SILERO, digest: workload.referenceModel.files[0]!.sha256 }, vadFrames: { ref: DATASET_REF, set }, backend: { executionProvider: 'cpu' } })).rejects.toMatchObject({ code: 'harness.not_voice_activity_model' });
    await expect(runAccuracy({ spec, seed: 0, dynamicDims: {}, modelPath: SILERO, reference: { modelPath: SILERO, digest: workload.referenceModel.files[0]!.sha256 }, backend: { executionProvider: 'cpu' } })).rejects.toMatchObject({ code: 'harness.dataset_missing' });
  });
});
