// The datasets of the npubench-edge suites, generated here rather than downloaded: every byte follows
// from this file (texts written for the project, a built-in font, a seeded generator), so a build on any
// machine writes the files whose sha256 the suite catalog pins (`npm run suites:datasets`).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { mulberry32 } from '../seeded-random.js';
import { LABELLED_INPUTS_FORMAT } from '../accuracy/labelled-inputs.js';
import { ppocrInput, renderTextLine, rotate180 } from './text-lines.js';
import { textPagesDataset } from '../accuracy/text-pages-format.js';

/** Text lines written for npubench (no benchmark text copied): capitals, digits and spaces, ≤ 10 characters. */
export const SUITE_TEXT_LINES: readonly string[] = [
  'NPU BENCH', 'EDGE AI 1', 'TEXT LINE', 'QUICK FOX', 'OCR TEST 7', 'SEOUL 42', 'ZERO ONE', 'MODEL 9',
  'JUMP OVER', 'LAZY DOG', 'BUS STOP 5', 'EXIT 12', 'GATE B7', 'ROOM 304', 'FLOOR 2', 'PUSH', 'PULL DOOR',
  'NO ENTRY', 'OPEN 24H', 'SALE 50', 'PRICE 990', 'TOTAL 1200', 'CASH ONLY', 'TAXI', 'HOTEL 3',
  'PHARMACY', 'BANK 88', 'POST 06', 'SCHOOL 5', 'SLOW', 'STOP', 'WAY OUT', 'LINE 4', 'TRACK 11',
  'KM 27', 'SPEED 60', 'VOLT 220', 'WATT 1500', 'MAX 3 KG', 'LOT 7734', 'SN 90215', 'BATCH 4Q',
  'MADE 2026', 'BEST BY 12', 'WAX JUICE', 'VIVID ZEST', 'HYMN QUIZ', 'JOLT PYX',
];

export const TEXT_LINE_GEOMETRY = { height: 48, width: 192, scale: 3 } as const;

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** OCR direction: every line upright (label 0) and turned by 180° (label 1), as PP-OCR's classifier
 *  labels "0" and "180"; npubench.labelled-inputs/v1 for the cls model's input `x`. */
export function ocrDirectionDataset(): string {
  const samples = SUITE_TEXT_LINES.flatMap((text) => {
    const upright = renderTextLine(text, TEXT_LINE_GEOMETRY);
    return [upright, rotate180(upright)].map((image, label) => {
      const input = ppocrInput(image);
      return { inputs: { x: { elementType: 'float32', dims: input.dims, data: Array.from(input.data) } }, label };
    });
  });
  return JSON.stringify({ format: LABELLED_INPUTS_FORMAT, samples });
}

export const TEXT_LINES_FORMAT = 'npubench.text-lines/v1';

/** OCR recognition: the lines themselves are the ground truth; the images are rendered from them by
 *  src/harness/inputs/text-lines.ts, whose output `imagesSha256` pins (sha256 over every line's pixels). */
export function ocrTextLinesDataset(): string {
  const images = SUITE_TEXT_LINES.map((text) => renderTextLine(text, TEXT_LINE_GEOMETRY).pixels);
  const all = new Uint8Array(images.reduce((n, p) => n + p.length, 0));
  images.reduce((offset, p) => (all.set(p, offset), offset + p.length), 0);
  return JSON.stringify({ format: TEXT_LINES_FORMAT, renderer: 'npubench-5x7@1', ...TEXT_LINE_GEOMETRY, imagesSha256: sha256(all), lines: SUITE_TEXT_LINES.map((text) => ({ text })) });
}

/** OCR detection: every word of the suite lines on pages of six, at seeded sizes and places
 *  (npubench.text-pages/v1); the layout is the ground truth, `imagesSha256` pins the drawn pixels. */
export const TEXT_PAGES_SEED = 20261204;
export function ocrDetectionPagesDataset(): string {
  return JSON.stringify(textPagesDataset(SUITE_TEXT_LINES.flatMap((line) => line.split(' ')), TEXT_PAGES_SEED));
}

export const SYNTHETIC_IMAGE_COUNT = 64;

/** A fixed set of 3×32×32 images (stripes, checks, discs, gradients; seeded), values on a 17-level grid in
 *  [-1, 1] so the file stays short and exact. The images carry no label of their own. */
export function syntheticImages(seed = 20261203): Float32Array[] {
  const random = mulberry32(seed);
  const level = () => (Math.floor(random() * 17) - 8) / 8;
  return Array.from({ length: SYNTHETIC_IMAGE_COUNT }, () => {
    const kind = Math.floor(random() * 4);
    const period = 2 + Math.floor(random() * 7);
    const [fg, bg] = [[level(), level(), level()], [level(), level(), level()]] as const;
    const [cx, cy, r] = [random() * 32, random() * 32, 4 + random() * 12];
    const data = new Float32Array(3 * 32 * 32);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const on = kind === 0 ? Math.floor(x / period) % 2 === 0 : kind === 1 ? (Math.floor(x / period) + Math.floor(y / period)) % 2 === 0 : kind === 2 ? (x - cx) ** 2 + (y - cy) ** 2 < r * r : (x + y) / 62 > 0.5;
        for (let c = 0; c < 3; c++) data[c * 1024 + y * 32 + x] = on ? (fg[c] as number) : (bg[c] as number);
      }
    }
    return data;
  });
}

/** The image set as npubench.labelled-inputs/v1 for an input named `inputName`, labelled with the top-1 class
 *  the FP32 reference gives each image (`labels`, one per image): top-1 accuracy on it is top-1 agreement. */
export function syntheticImageDataset(inputName: string, labels: readonly number[]): string {
  const images = syntheticImages();
  if (labels.length !== images.length) throw new RangeError(`${labels.length} labels for ${images.length} images`);
  const samples = images.map((data, i) => ({ inputs: { [inputName]: { elementType: 'float32', dims: [1, 3, 32, 32], data: Array.from(data) } }, label: labels[i] as number }));
  return JSON.stringify({ format: LABELLED_INPUTS_FORMAT, samples });
}

/** Every generated dataset file of the npubench-edge suites, by dataset id. The image set's labels come
 *  from running its FP32 reference (`imageClassifierPath`, input `image`, output `logits`) on the CPU EP.
 *  The voice-activity set (npubench-edge@2) is speech made once with espeak-ng and committed; it is
 *  included as read from `vadFramesPath` (test/fixtures/suites/vad-speech-silence-1.json). */
export async function buildSuiteDatasetFiles(options: { imageClassifierPath: string; vadFramesPath?: string }): Promise<Map<string, string>> {
  const { InferenceSession, Tensor } = await import('onnxruntime-node');
  const session = await InferenceSession.create(options.imageClassifierPath, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const labels: number[] = [];
    for (const data of syntheticImages()) {
      const output = await session.run({ image: new Tensor('float32', data, [1, 3, 32, 32]) });
      const logits = Array.from(output.logits?.data as Float32Array);
      labels.push(logits.indexOf(Math.max(...logits)));
    }
    return new Map([
      ['ocr-direction-lines@1', ocrDirectionDataset()],
      ['ocr-text-lines@1', ocrTextLinesDataset()],
      ['ocr-detection-pages@1', ocrDetectionPagesDataset()],
      ['synthetic-images-32@1', syntheticImageDataset('image', labels)],
      ...(options.vadFramesPath ? [['vad-speech-silence@1', await readFile(options.vadFramesPath, 'utf8')] as const] : []),
    ]);
  } finally {
    await session.release();
  }
}
