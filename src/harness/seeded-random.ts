// One seeded PRNG for everything the harness draws (synthetic inputs, Server arrival schedules), so a
// spec's seed reproduces a run's data and timing plan byte for byte on every machine.

/** mulberry32: tiny, fast, and good enough for test data and schedules; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
