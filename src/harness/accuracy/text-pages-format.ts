// The text page set format (npubench.text-pages/v1): per page, each line's text, font scale and box, and
// the sha256 of the pixels the built-in renderer draws from that layout. Runtime-free (the service parses
// uploads with it); the drawing is in inputs/text-pages.ts.
import { z } from 'zod';
import { AppError, errorMessage } from '../../lib/errors.js';
import { layoutTextPages, TEXT_PAGE_SIZE, textPagesImagesSha256 } from '../inputs/text-pages.js';

export const TEXT_PAGES_FORMAT = 'npubench.text-pages/v1';

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

/** The dataset document for `texts`, laid out with `seed`. */
export function textPagesDataset(texts: readonly string[], seed: number): TextPagesDataset {
  const pages = layoutTextPages(texts, seed);
  return { format: TEXT_PAGES_FORMAT, renderer: 'npubench-5x7@1', ...TEXT_PAGE_SIZE, imagesSha256: textPagesImagesSha256(pages, TEXT_PAGE_SIZE), pages };
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
