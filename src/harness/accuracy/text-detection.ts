// Text detection quality the way PaddleOCR scores PP-OCR's DB detector: the probability map is binarised
// at 0.3, each connected region becomes a box scored by the mean probability inside it (Paddle's "fast"
// score; boxes under 0.6 are dropped), the box is grown back by DB's unclip offset (area × 1.5 /
// perimeter), and detections are matched one-to-one with the ground-truth boxes at IoU ≥ 0.5 (Paddle's
// DetectionIoUEvaluator order: ground truth by ground truth, detections in order). Precision, recall and
// their harmonic mean (hmean) are over the whole dataset. Everything here is a pure function of the
// recorded boxes, so the API recomputes the score from the record.
import { z } from 'zod';
import { HarnessError } from '../../lib/errors.js';
import { ppocrDetectorInput, renderTextPage } from '../inputs/text-pages.js';
import { boxSchema, type Box, type TextPagesDataset } from './text-pages-format.js';
import type { HostTensor } from '../tensors.js';
import type { OutputModel } from './output-model.js';

/** DB post-processing settings, PaddleOCR's defaults for PP-OCR detection. */
export const DB_POSTPROCESS = { threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minSize: 3 } as const;
export const DETECTION_IOU_THRESHOLD = 0.5;

/** Boxes (axis-aligned; the generated pages have no rotated text) from a [height × width] probability map. */
export function detectBoxes(probabilities: Float32Array, height: number, width: number, settings = DB_POSTPROCESS): { box: Box; score: number }[] {
  if (probabilities.length !== height * width) throw new RangeError(`a ${height}x${width} map needs ${height * width} values, not ${probabilities.length}`);
  const seen = new Uint8Array(height * width);
  const stack: number[] = [];
  const found: { box: Box; score: number }[] = [];
  for (let start = 0; start < seen.length; start++) {
    if (seen[start] || !(probabilities[start]! > settings.threshold)) continue;
    // One 4-connected region of the binarised map: its bounding rectangle.
    let [x0, y0, x1, y1] = [width, height, -1, -1];
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const at = stack.pop()!;
      const x = at % width;
      const y = (at - x) / width;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (const next of [x > 0 ? at - 1 : -1, x < width - 1 ? at + 1 : -1, y > 0 ? at - width : -1, y < height - 1 ? at + width : -1]) {
        if (next >= 0 && !seen[next] && probabilities[next]! > settings.threshold) {
          seen[next] = 1;
          stack.push(next);
        }
      }
    }
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    if (Math.min(w, h) < settings.minSize) continue;
    let sum = 0;
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) sum += probabilities[y * width + x]!;
    const score = sum / (w * h);
    if (score < settings.boxThreshold) continue;
    // DB shrinks text regions by this offset in training; the unclip grows the region back.
    const offset = (w * h * settings.unclipRatio) / (2 * (w + h));
    const grown: Box = [Math.max(0, Math.floor(x0 - offset)), Math.max(0, Math.floor(y0 - offset)), Math.min(width, Math.ceil(x1 + 1 + offset)), Math.min(height, Math.ceil(y1 + 1 + offset))];
    if (Math.min(grown[2] - grown[0], grown[3] - grown[1]) < settings.minSize + 2) continue;
    found.push({ box: grown, score });
  }
  return found;
}

export function intersectionOverUnion(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  const inter = w > 0 && h > 0 ? w * h : 0;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Detections matched to ground truth on one page: greedy, ground truth in order, each used once. */
export function matchPage(truth: readonly Box[], detected: readonly Box[]): number {
  const used = new Set<number>();
  let matched = 0;
  for (const g of truth) {
    const j = detected.findIndex((d, k) => !used.has(k) && intersectionOverUnion(g, d) >= DETECTION_IOU_THRESHOLD);
    if (j >= 0) {
      used.add(j);
      matched++;
    }
  }
  return matched;
}

export const textDetectionSpecSchema = z.strictObject({
  /** 'sha256:<digest>' of an uploaded page set (npubench.text-pages/v1). */
  dataset: z.string().regex(/^sha256:[0-9a-f]{64}$/, "'sha256:<64 hex digits>' of an uploaded text page set"),
});

const mapComparison = z.strictObject({ dot: z.number(), candidateNormSq: z.number(), referenceNormSq: z.number() });

export const textDetectionRawSchema = z.strictObject({
  dataset: z.string(),
  /** Per page, in dataset order: the ground-truth boxes (from the dataset, so the score is recomputed from
   *  the record alone, as classification records its labels), the candidate's boxes and, with a reference,
   *  the reference's boxes and the probability maps' dot product and squared norms (their cosine). */
  pages: z.array(
    z.strictObject({
      truth: z.array(boxSchema),
      detected: z.array(z.strictObject({ box: boxSchema, score: z.number() })),
      reference: z.array(z.strictObject({ box: boxSchema, score: z.number() })).optional(),
      map: mapComparison.optional(),
    }),
  ),
});
export type TextDetectionRaw = z.output<typeof textDetectionRawSchema>;

const scores = z.strictObject({ truthBoxes: z.int(), detectedBoxes: z.int(), matched: z.int(), precision: z.number(), recall: z.number(), hmean: z.number() });
export const textDetectionSummarySchema = z.strictObject({
  dataset: z.string(),
  pages: z.int(),
  ...scores.shape,
  /** The reference model's own scores on the same pages, when it ran. */
  reference: scores.nullable(),
  /** Cosine of the candidate's and the reference's probability maps over all pages. */
  mapCosine: z.number().nullable(),
});
export type TextDetectionSummary = z.output<typeof textDetectionSummarySchema>;

function scoresOf(truth: readonly (readonly Box[])[], detected: readonly (readonly Box[])[]): z.output<typeof scores> {
  let matched = 0;
  truth.forEach((t, i) => (matched += matchPage(t, detected[i] ?? [])));
  const truthBoxes = truth.reduce((n, t) => n + t.length, 0);
  const detectedBoxes = detected.reduce((n, d) => n + d.length, 0);
  const precision = detectedBoxes === 0 ? 0 : matched / detectedBoxes;
  const recall = truthBoxes === 0 ? 0 : matched / truthBoxes;
  return { truthBoxes, detectedBoxes, matched, precision, recall, hmean: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/** The summary: a pure function of the record. */
export function summarizeTextDetection(raw: TextDetectionRaw): TextDetectionSummary {
  const truth = raw.pages.map((p) => p.truth);
  const candidate = scoresOf(truth, raw.pages.map((p) => p.detected.map((d) => d.box)));
  const withReference = raw.pages.length > 0 && raw.pages.every((p) => p.reference !== undefined && p.map !== undefined);
  let mapCosine: number | null = null;
  if (withReference) {
    let dot = 0, a = 0, b = 0;
    for (const p of raw.pages) {
      dot += p.map!.dot;
      a += p.map!.candidateNormSq;
      b += p.map!.referenceNormSq;
    }
    mapCosine = a > 0 && b > 0 ? dot / Math.sqrt(a * b) : null;
  }
  return {
    dataset: raw.dataset,
    pages: raw.pages.length,
    ...candidate,
    reference: withReference ? scoresOf(truth, raw.pages.map((p) => p.reference!.map((d) => d.box))) : null,
    mapCosine,
  };
}

/** The probability map of a detector's first output for one page, as float32 (one value per pixel). */
async function probabilityMap(model: OutputModel, input: HostTensor, size: { height: number; width: number }, who: string): Promise<Float32Array> {
  const output = model.outputNames[0]!;
  const map = (await model.run([input], [output]))[output]!;
  if (!(map.data instanceof Float32Array) || map.data.length !== size.height * size.width) {
    throw new HarnessError('harness.unsupported_output', `The ${who}'s output '${output}' is ${map.elementType} [${map.dims.join(', ')}]; a ${size.height}x${size.width} page needs a float32 map with one value per pixel.`);
  }
  return map.data;
}

/** Runs every page through the candidate (and the reference) and records the boxes each found. */
export async function evaluateTextDetection(
  dataset: TextPagesDataset,
  datasetRef: string,
  candidate: OutputModel,
  reference: OutputModel | null,
  hooks: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal | undefined } = {},
): Promise<TextDetectionRaw> {
  const size = { height: dataset.height, width: dataset.width };
  const inputName = candidate.inputs[0]?.name;
  if (candidate.inputs.length !== 1 || inputName === undefined) throw new HarnessError('harness.unsupported_output', `A text detector takes one image input; this model has ${candidate.inputs.length}.`);
  const pages: TextDetectionRaw['pages'] = [];
  for (const [i, page] of dataset.pages.entries()) {
    if (hooks.signal?.aborted) throw new HarnessError('job.canceled', 'The run was canceled.');
    const { dims, data } = ppocrDetectorInput(renderTextPage(page, size), size);
    const input: HostTensor = { name: inputName, elementType: 'float32', dims, data };
    const map = await probabilityMap(candidate, input, size, 'model');
    const record: TextDetectionRaw['pages'][number] = { truth: page.lines.map((l) => l.box), detected: detectBoxes(map, size.height, size.width) };
    if (reference) {
      const refMap = await probabilityMap(reference, input, size, 'reference model');
      let dot = 0, a = 0, b = 0;
      for (let k = 0; k < map.length; k++) {
        dot += map[k]! * refMap[k]!;
        a += map[k]! * map[k]!;
        b += refMap[k]! * refMap[k]!;
      }
      record.reference = detectBoxes(refMap, size.height, size.width);
      record.map = { dot, candidateNormSq: a, referenceNormSq: b };
    }
    pages.push(record);
    hooks.onProgress?.(i + 1, dataset.pages.length);
  }
  return { dataset: datasetRef, pages };
}
