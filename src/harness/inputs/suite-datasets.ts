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

export const SCENE_POOL_SIZE = 512;
export const SCENE_IMAGE_SIZE = 224;
export const SCENE_IMAGES_SEED = 20261205;
/** How the scene set stores pixels: value = offset + scale × byte, the [-1, 1] range of 8-bit pixels. */
export const SCENE_PIXEL_AFFINE = { scale: 2 / 255, offset: -1 } as const;

/** Scenes with structure a real camera frame has (ISP-like content, not noise): a two-colour linear gradient
 *  background, two to five filled shapes (discs, rectangles, triangles, rings, striped patches) in seeded
 *  colours, places and sizes, and in half of them a word of the suite's text lines in a dark or light ink.
 *  RGB bytes, channel-planar [3, 224, 224], one Uint8Array per image. */
export function sceneImagePool(count = SCENE_POOL_SIZE, seed = SCENE_IMAGES_SEED): Uint8Array[] {
  const random = mulberry32(seed);
  const size = SCENE_IMAGE_SIZE;
  const plane = size * size;
  const byte = () => Math.floor(random() * 256);
  const colour = () => [byte(), byte(), byte()] as const;
  const words = SUITE_TEXT_LINES.flatMap((line) => line.split(' ')).filter((w) => w.length >= 3);
  return Array.from({ length: count }, () => {
    const image = new Uint8Array(3 * plane);
    const [from, to] = [colour(), colour()];
    const angle = random() * 2 * Math.PI;
    const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const t = Math.min(1, Math.max(0, 0.5 + ((x - size / 2) * dx + (y - size / 2) * dy) / size));
        for (let c = 0; c < 3; c++) image[c * plane + y * size + x] = Math.round(from[c]! + (to[c]! - from[c]!) * t);
      }
    }
    const paint = (inside: (x: number, y: number) => boolean, ink: readonly number[]) => {
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (inside(x, y)) for (let c = 0; c < 3; c++) image[c * plane + y * size + x] = ink[c]!;
    };
    const shapes = 2 + Math.floor(random() * 4);
    for (let s = 0; s < shapes; s++) {
      const kind = Math.floor(random() * 5);
      const [cx, cy, r] = [random() * size, random() * size, 16 + random() * 64];
      const ink = colour();
      if (kind === 0) paint((x, y) => (x - cx) ** 2 + (y - cy) ** 2 < r * r, ink);
      else if (kind === 1) {
        const [w, h] = [r * (0.5 + random()), r * (0.5 + random())];
        paint((x, y) => Math.abs(x - cx) < w && Math.abs(y - cy) < h, ink);
      } else if (kind === 2) paint((x, y) => y > cy - r && y < cy + r && Math.abs(x - cx) < (y - (cy - r)) / 2, ink);
      else if (kind === 3) paint((x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) < 3 + r / 8, ink);
      else {
        const period = 4 + Math.floor(random() * 12);
        const vertical = random() < 0.5;
        paint((x, y) => Math.abs(x - cx) < r && Math.abs(y - cy) < r && Math.floor((vertical ? x : y) / period) % 2 === 0, ink);
      }
    }
    if (random() < 0.5) {
      const word = words[Math.floor(random() * words.length)]!;
      const scale = 2 + Math.floor(random() * 3);
      const line = renderTextLine(word, { height: 9 * scale, width: (word.length * 6 + 3) * scale, scale });
      const [left, top] = [Math.floor(random() * (size - line.width)), Math.floor(random() * (size - line.height))];
      const ink = random() < 0.5 ? [16, 16, 16] : [240, 240, 240];
      for (let y = 0; y < line.height; y++) for (let x = 0; x < line.width; x++) if (line.pixels[y * line.width + x] === 0) for (let c = 0; c < 3; c++) image[c * plane + (top + y) * size + left + x] = ink[c]!;
    }
    return image;
  });
}

/** The 128 scenes of the pool that npubench-edge@3's image set keeps: those on which the FP32 reference's
 *  top-1 leads its runner-up by the largest relative margin (at least 0.0497), chosen once on the CPU EP by
 *  scripts/suites/choose-scene-images.ts so that a faithful INT8 build does not flip most classes. */
export const SCENE_IMAGE_INDICES: readonly number[] = [
  0, 5, 9, 11, 12, 19, 20, 26, 27, 46, 47, 54, 60, 67, 72, 75, 79, 80, 81, 84, 88, 95, 97, 101, 102, 106, 108, 110, 111, 114, 116, 120, 122, 135,
  136, 140, 143, 144, 146, 149, 150, 153, 156, 159, 162, 163, 165, 172, 177, 179, 181, 192, 200, 203, 214, 219, 222, 229, 233, 239, 240, 244, 249,
  254, 255, 263, 264, 270, 272, 273, 276, 277, 284, 285, 288, 292, 293, 296, 302, 319, 320, 321, 324, 330, 336, 337, 338, 339, 346, 353, 354, 357,
  371, 376, 382, 383, 400, 402, 403, 406, 408, 411, 414, 415, 419, 421, 440, 443, 445, 446, 447, 449, 451, 453, 457, 463, 468, 472, 473, 475, 476,
  480, 482, 483, 485, 491, 499, 501,
];

/** The image set's scenes, in pool order. */
export function sceneImages(): Uint8Array[] {
  const pool = sceneImagePool();
  return SCENE_IMAGE_INDICES.map((i) => pool[i]!);
}

/** One scene as the classifier's float32 input [1, 3, 224, 224], by SCENE_PIXEL_AFFINE. */
export function sceneInput(image: Uint8Array): Float32Array {
  return Float32Array.from(image, (q) => SCENE_PIXEL_AFFINE.offset + SCENE_PIXEL_AFFINE.scale * q);
}

/** The scene set as npubench.labelled-inputs/v1 for input `inputName`, pixels stored as bytes (affineUint8),
 *  labelled with the FP32 reference's top-1 class per image (`labels`): top-1 accuracy on it is top-1 agreement. */
export function sceneImageDataset(inputName: string, labels: readonly number[]): string {
  const images = sceneImages();
  if (labels.length !== images.length) throw new RangeError(`${labels.length} labels for ${images.length} images`);
  const dims = [1, 3, SCENE_IMAGE_SIZE, SCENE_IMAGE_SIZE];
  const samples = images.map((image, i) => ({ inputs: { [inputName]: { elementType: 'float32', dims, affineUint8: { ...SCENE_PIXEL_AFFINE, base64: Buffer.from(image).toString('base64') } } }, label: labels[i] as number }));
  return JSON.stringify({ format: LABELLED_INPUTS_FORMAT, samples });
}

async function sceneDatasetLabelledBy(classifierPath: string): Promise<string> {
  const { InferenceSession, Tensor } = await import('onnxruntime-node');
  const session = await InferenceSession.create(classifierPath, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const labels: number[] = [];
    for (const image of sceneImages()) {
      const output = await session.run({ data: new Tensor('float32', sceneInput(image), [1, 3, SCENE_IMAGE_SIZE, SCENE_IMAGE_SIZE]) });
      const logits = Array.from(Object.values(output)[0]!.data as Float32Array);
      labels.push(logits.indexOf(Math.max(...logits)));
    }
    return sceneImageDataset('data', labels);
  } finally {
    await session.release();
  }
}

/** Every generated dataset file of the npubench-edge suites, by dataset id. The image set's labels come
 *  from running its FP32 reference (`imageClassifierPath`, input `image`, output `logits`) on the CPU EP;
 *  the 224×224 scene set's (npubench-edge@3) likewise from `sceneClassifierPath` (SqueezeNet 1.1, input
 *  `data`), when given.
 *  The voice-activity set (npubench-edge@2) is speech made once with espeak-ng and committed; it is
 *  included as read from `vadFramesPath` (test/fixtures/suites/vad-speech-silence-1.json). */
export async function buildSuiteDatasetFiles(options: { imageClassifierPath: string; vadFramesPath?: string; sceneClassifierPath?: string }): Promise<Map<string, string>> {
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
      ...(options.sceneClassifierPath ? [['scenes-224@1', await sceneDatasetLabelledBy(options.sceneClassifierPath)] as const] : []),
    ]);
  } finally {
    await session.release();
  }
}
