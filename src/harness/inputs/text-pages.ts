// Pages of text lines at known places, for the OCR detection workload: the suite's text lines drawn in the
// built-in 5x7 font at seeded positions and sizes on a white page. The layout is the ground truth (each
// line's ink box is where the generator put it), and the pixels follow from it, so the dataset file holds
// only the layout and a digest of the rendered pixels (like npubench.text-lines/v1).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError, errorMessage } from '../../lib/errors.js';
import { mulberry32 } from '../seeded-random.js';
import { renderTextLine } from './text-lines.js';

export const TEXT_PAGES_FORMAT = 'npubench.text-pages/v1';

/** Multiples of 32, as PP-OCR's detector needs, and small enough for a page in a few tens of ms on a CPU. */
export const TEXT_PAGE_SIZE = { height: 320, width: 320 } as const;
/** Lines per page: one per horizontal band, so lines never overlap. */
export const LINES_PER_PAGE = 6;
const SCALES = [2, 3, 4] as const;
const MARGIN = 8;

/** [x0, y0, x1, y1] in pixels, x1/y1 exclusive. */
export const boxSchema = z.tuple([z.int().min(0), z.int().min(0), z.int().min(1), z.int().min(1)]);
export type Box = z.output<typeof boxSchema>;

export const textPagesDatasetSchema = z.strictObject({
  format: z.literal(TEXT_PAGES_FORMAT),
  renderer: z.literal('npubench-5x7@1'),
  height: z.int().min(32).max(4096).multipleOf(32),
  width: z.int().min(32).max(4096).multipleOf(32),
  /** sha256 (hex) over every page's grey pixels in order, as renderTextPage draws them. */
  imagesSha256: z.string().regex(/^[0-9a-f]{64}$/),
  pages: z
    .array(z.strictObject({ lines: z.array(z.strictObject({ text: z.string().min(1).max(64), scale: z.int().min(1).max(16), box: boxSchema })).min(1).max(64) }))
    .min(1)
    .max(10_000),
});
export type TextPagesDataset = z.output<typeof textPagesDatasetSchema>;
export type TextPage = TextPagesDataset['pages'][number];

/** The box of a line whose ink starts at (left, top): the ink (6 dots per character less the last gap,
 *  7 dots high) and one dot of paper around it, as an annotator draws a box around a word. */
function lineBox(text: string, scale: number, left: number, top: number): Box {
  return [left - scale, top - scale, left + text.length * 6 * scale, top + 8 * scale];
}

/** Lays `texts` out LINES_PER_PAGE to a page, one per band, at a seeded size and position inside its band. */
export function layoutTextPages(texts: readonly string[], seed: number, size = TEXT_PAGE_SIZE): TextPage[] {
  const random = mulberry32(seed);
  const band = Math.floor(size.height / LINES_PER_PAGE);
  const pages: TextPage[] = [];
  for (let start = 0; start < texts.length; start += LINES_PER_PAGE) {
    const lines = texts.slice(start, start + LINES_PER_PAGE).map((text, row) => {
      // A seeded size among those that fit the page width and the band.
      const fitting = SCALES.filter((s) => text.length * 6 * s + s + 2 * MARGIN <= size.width && 9 * s + 2 * MARGIN <= band);
      const scale = fitting[Math.floor(random() * fitting.length)];
      if (scale === undefined) throw new RangeError(`"${text}" fits no scale on a ${size.width}-pixel page`);
      const [, , right, bottom] = lineBox(text, scale, scale, scale);
      const left = MARGIN + Math.floor(random() * (size.width - right - 2 * MARGIN + 1));
      const top = row * band + MARGIN + Math.floor(random() * (band - bottom - 2 * MARGIN + 1));
      return { text, scale, box: lineBox(text, scale, left + scale, top + scale) };
    });
    pages.push({ lines });
  }
  return pages;
}

/** Grey pixels of a page (255 paper, 0 ink), row-major. */
export function renderTextPage(page: TextPage, size: { height: number; width: number }): Uint8Array {
  const pixels = new Uint8Array(size.height * size.width).fill(255);
  for (const { text, scale, box } of page.lines) {
    const [x0, y0, x1, y1] = box;
    if (x1 > size.width || y1 > size.height) throw new RangeError(`"${text}" at [${box.join(', ')}] leaves the ${size.width}x${size.height} page`);
    // The line's box less its one dot of paper is where the ink goes.
    const line = renderTextLine(text, { height: y1 - y0 - 2 * scale, width: x1 - x0 - 2 * scale, scale, left: 0 });
    for (let y = 0; y < line.height; y++) pixels.set(line.pixels.subarray(y * line.width, (y + 1) * line.width), (y0 + scale + y) * size.width + x0 + scale);
  }
  return pixels;
}

/** sha256 (hex) over every page's pixels in order: what `imagesSha256` pins. */
export function textPagesImagesSha256(pages: readonly TextPage[], size: { height: number; width: number }): string {
  const hash = createHash('sha256');
  for (const page of pages) hash.update(renderTextPage(page, size));
  return hash.digest('hex');
}

/** The dataset document for `texts`, laid out with `seed`. */
export function textPagesDataset(texts: readonly string[], seed: number): TextPagesDataset {
  const pages = layoutTextPages(texts, seed);
  return { format: TEXT_PAGES_FORMAT, renderer: 'npubench-5x7@1', ...TEXT_PAGE_SIZE, imagesSha256: textPagesImagesSha256(pages, TEXT_PAGE_SIZE), pages };
}

/** PP-OCR detector input: RGB from grey, ImageNet mean and std ((v/255 − mean) / std), NCHW, N = 1. */
export function ppocrDetectorInput(pixels: Uint8Array, size: { height: number; width: number }): { dims: number[]; data: Float32Array } {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const plane = size.height * size.width;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) data[c * plane + i] = ((pixels[i] as number) / 255 - mean[c]!) / std[c]!;
  return { dims: [1, 3, size.height, size.width], data };
}

/** Reads a page set file: the document, checked against its schema, whose pages render to the pixels
 *  `imagesSha256` pins (so a renderer change cannot silently change what a pinned dataset shows). */
export function parseTextPagesDataset(text: string): TextPagesDataset {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError('dataset.invalid_text_pages', `The page set is not JSON: ${errorMessage(err)}`);
  }
  const parsed = textPagesDatasetSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError('dataset.invalid_text_pages', `The page set is not ${TEXT_PAGES_FORMAT}.`, { errors: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })) });
  }
  const dataset = parsed.data;
  let digest: string;
  try {
    digest = textPagesImagesSha256(dataset.pages, dataset);
  } catch (err) {
    throw new AppError('dataset.invalid_text_pages', `The page set cannot be drawn: ${errorMessage(err)}`);
  }
  if (digest !== dataset.imagesSha256) throw new AppError('dataset.invalid_text_pages', `The pages render to pixels of sha256 ${digest}, not the imagesSha256 ${dataset.imagesSha256} the file pins.`);
  return dataset;
}
