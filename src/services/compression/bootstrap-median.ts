// Percentile bootstrap of a median, seeded so the same samples always give the same interval.
// Medians of resamples are kept so two sets' medians can be compared resample by resample.

/** mulberry32: small, fast, and the same sequence on every platform. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function medianOfSorted(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function median(values: ArrayLike<number>): number {
  return medianOfSorted(Float64Array.from(values).sort());
}

/** Medians of `resamples` resamples with replacement of `values`. */
export function bootstrapMedians(values: ArrayLike<number>, resamples: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  const n = values.length;
  const buffer = new Float64Array(n);
  const medians = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) buffer[i] = values[Math.floor(random() * n)]!;
    buffer.sort();
    medians[b] = medianOfSorted(buffer);
  }
  return medians;
}

/** The [(1-level)/2, (1+level)/2] percentiles of `estimates` (nearest rank). */
export function percentileInterval(estimates: Float64Array, level: number): [number, number] {
  const sorted = Float64Array.from(estimates).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return [at((1 - level) / 2), at((1 + level) / 2)];
}
