// Pages of text lines at known places, for the OCR detection workload: the suite's words drawn in the
// built-in 5x7 font at seeded positions and sizes on a white page. The layout is the ground truth (each
// line's box is where the generator put it), and the pixels follow from it, so the dataset file
// (npubench.text-pages/v1, accuracy/text-pages-format.ts) holds only the layout and a pixel digest.
import { createHash } from 'node:crypto';
import { mulberry32 } from '../seeded-random.js';
import { renderTextLine } from './text-lines.js';
import type { Box, TextPage } from '../accuracy/text-pages-format.js';

/** Multiples of 32, as PP-OCR's detector needs, and small enough for a page in a few tens of ms on a CPU. */
export const TEXT_PAGE_SIZE = { height: 320, width: 320 } as const;
/** Lines per page: one per horizontal band, so lines never overlap. */
export const LINES_PER_PAGE = 6;
const SCALES = [2, 3, 4] as const;
const MARGIN = 8;


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


/** PP-OCR detector input: RGB from grey, ImageNet mean and std ((v/255 − mean) / std), NCHW, N = 1. */
export function ppocrDetectorInput(pixels: Uint8Array, size: { height: number; width: number }): { dims: number[]; data: Float32Array } {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const plane = size.height * size.width;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) data[c * plane + i] = ((pixels[i] as number) / 255 - mean[c]!) / std[c]!;
  return { dims: [1, 3, size.height, size.width], data };
}
