// Text-line images with known ground truth, drawn in pure TypeScript from a built-in 5x7 bitmap font, so
// the same code writes byte-identical images on every machine (no font files, no renderer, no seed
// beyond the one given). The OCR workloads of the suite catalog use them: the text is the recognizer's
// ground truth, and an image turned by 180° is the direction classifier's label 1 (PP-OCR's "180").

/** 5x7 glyphs, one string of 7 rows per character, '#' ink. Digits, capitals and a space. */
const GLYPHS: Record<string, readonly string[]> = {
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  D: ['###..', '#..#.', '#...#', '#...#', '#...#', '#..#.', '###..'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  G: ['.###.', '#...#', '#....', '#.###', '#...#', '#...#', '.####'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  J: ['..###', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  Q: ['.###.', '#...#', '#...#', '#...#', '#.#.#', '#..#.', '.##.#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  W: ['#...#', '#...#', '#...#', '#.#.#', '#.#.#', '#.#.#', '.#.#.'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  Y: ['#...#', '#...#', '.#.#.', '..#..', '..#..', '..#..', '..#..'],
  Z: ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####'],
};

export const TEXT_LINE_ALPHABET = Object.keys(GLYPHS).join('');

export interface TextLineImage {
  height: number;
  width: number;
  /** Grey levels 0 (ink) to 255 (paper), row-major. */
  pixels: Uint8Array;
}

/** Draws `text` black on white, `scale` pixels per font dot, one dot of space between glyphs, left-aligned
 *  and vertically centred in a height × width canvas; text that does not fit is an error, not clipped. */
export function renderTextLine(text: string, options: { height: number; width: number; scale: number; left?: number }): TextLineImage {
  const { height, width, scale } = options;
  const left = options.left ?? scale * 2;
  const pixels = new Uint8Array(height * width).fill(255);
  const glyphHeight = 7 * scale;
  const top = Math.floor((height - glyphHeight) / 2);
  const advance = 6 * scale;
  if (top < 0 || left + text.length * advance - scale > width) throw new RangeError(`"${text}" does not fit a ${height}x${width} line at scale ${scale}`);
  [...text].forEach((char, i) => {
    const glyph = GLYPHS[char];
    if (glyph === undefined) throw new RangeError(`no glyph for ${JSON.stringify(char)}; the font has ${JSON.stringify(TEXT_LINE_ALPHABET)}`);
    glyph.forEach((row, y) => {
      for (let x = 0; x < 5; x++) {
        if (row[x] !== '#') continue;
        for (let dy = 0; dy < scale; dy++) pixels.fill(0, (top + y * scale + dy) * width + left + i * advance + x * scale, (top + y * scale + dy) * width + left + i * advance + (x + 1) * scale);
      }
    });
  });
  return { height, width, pixels };
}

/** The image turned by 180° (upside down and mirrored), as a line photographed the wrong way up. */
export function rotate180(image: TextLineImage): TextLineImage {
  return { ...image, pixels: image.pixels.slice().reverse() };
}

/** PP-OCR's input normalisation: 3 equal channels, (v / 255 - 0.5) / 0.5, NCHW with N = 1. */
export function ppocrInput(image: TextLineImage): { dims: number[]; data: Float32Array } {
  const plane = image.height * image.width;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) data[c * plane + i] = ((image.pixels[i] as number) / 255 - 0.5) / 0.5;
  return { dims: [1, 3, image.height, image.width], data };
}
