// Text detection checks written apart from src/harness/accuracy/text-detection.ts: IoU by counting the
// pixels two boxes cover, and PaddleOCR's evaluator order (each ground-truth box takes the first free
// detection at IoU >= 0.5), so the tests recount a score with none of the code that produced it.

/** [x0, y0, x1, y1], x1/y1 exclusive. */
export type PixelBox = readonly [number, number, number, number];

/** IoU by counting the pixels of a grid covered by one box, the other, or both. */
export function pixelIou(a: PixelBox, b: PixelBox): number {
  let both = 0, either = 0;
  for (let y = Math.min(a[1], b[1]); y < Math.max(a[3], b[3]); y++) {
    for (let x = Math.min(a[0], b[0]); x < Math.max(a[2], b[2]); x++) {
      const inA = x >= a[0] && x < a[2] && y >= a[1] && y < a[3];
      const inB = x >= b[0] && x < b[2] && y >= b[1] && y < b[3];
      if (inA && inB) both++;
      if (inA || inB) either++;
    }
  }
  return either === 0 ? 0 : both / either;
}

/** Matched ground-truth boxes of one page: each takes the first free detection with IoU >= 0.5. */
export function independentMatches(truth: readonly PixelBox[], detected: readonly PixelBox[]): number {
  const free = detected.map(() => true);
  let matched = 0;
  for (const g of truth) {
    const j = detected.findIndex((d, k) => free[k] && pixelIou(g, d) >= 0.5);
    if (j >= 0) {
      free[j] = false;
      matched++;
    }
  }
  return matched;
}
