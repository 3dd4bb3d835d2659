// MLPerf-style SingleStream: one query at a time, the next issued as soon as the previous completes.
// MultiStream uses the same loop with a query of several samples (see multi-stream.ts).
// Timestamps come from process.hrtime.bigint() (CLOCK_MONOTONIC on Linux), in ns from the run start.
// The measured loop allocates nothing per query except the clock's BigInts and awaits nothing but the
// query itself; the sample buffer grows by doubling, so it rarely reallocates.
import { HarnessError } from '../../lib/errors.js';

export type IssueQuery = () => Promise<void>;

export interface SingleStreamLimits {
  minQueryCount: number;
  minDurationNs: number;
  /** No query is issued once the run has lasted this long, even if the minimums are not met. */
  maxDurationNs: number;
}

export interface ScenarioHooks {
  signal?: AbortSignal | undefined;
  /** Called at most every PROGRESS_INTERVAL_NS; fraction is in [0, 1]. */
  onProgress?: ((queries: number, fraction: number) => void) | undefined;
}

export interface SingleStreamOutcome {
  /** [startNs, endNs] per query, relative to the run start, in issue order. */
  queries: Array<[number, number]>;
  stoppedByMaxDuration: boolean;
  /** Absolute process.hrtime.bigint() time the relative times count from (aligns power traces). */
  originNs: number;
}

/** Progress callbacks come at most this often, so reporting never competes with the measured loop. */
export const PROGRESS_INTERVAL_NS = 100_000_000;

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new HarnessError('harness.aborted', 'The benchmark run was aborted', { cause: signal.reason });
}

function measureProgress(queries: number, durationNs: number, limits: SingleStreamLimits): number {
  const toMinimums = Math.min(queries / limits.minQueryCount, limits.minDurationNs === 0 ? 1 : durationNs / limits.minDurationNs);
  return Math.min(1, Math.max(toMinimums, durationNs / limits.maxDurationNs));
}

/** Untimed queries that bring caches, clocks and lazy initialisation to steady state. Returns the
 *  latency of the first one (the cold-start cost), or null when count is 0. */
export async function runWarmup(issueQuery: IssueQuery, count: number, hooks: ScenarioHooks = {}): Promise<number | null> {
  let firstQueryNs: number | null = null;
  const warmupStart = process.hrtime.bigint();
  let lastProgressNs = 0;
  for (let done = 1; done <= count; done++) {
    throwIfAborted(hooks.signal);
    const start = process.hrtime.bigint();
    await issueQuery();
    const end = process.hrtime.bigint();
    firstQueryNs ??= Number(end - start);
    const elapsedNs = Number(end - warmupStart);
    if (hooks.onProgress !== undefined && elapsedNs - lastProgressNs >= PROGRESS_INTERVAL_NS) {
      lastProgressNs = elapsedNs;
      hooks.onProgress(done, done / count);
    }
  }
  return firstQueryNs;
}

export async function runSingleStream(issueQuery: IssueQuery, limits: SingleStreamLimits, hooks: ScenarioHooks = {}): Promise<SingleStreamOutcome> {
  const { signal, onProgress } = hooks;
  let times = new Float64Array(2 * Math.max(1024, limits.minQueryCount));
  let count = 0;
  let firstStartNs = 0;
  let stoppedByMaxDuration = false;
  let lastProgressNs = 0;
  const runStart = process.hrtime.bigint();

  for (;;) {
    throwIfAborted(signal);
    const start = process.hrtime.bigint();
    await issueQuery();
    const end = process.hrtime.bigint();

    if (2 * count === times.length) {
      const grown = new Float64Array(times.length * 2);
      grown.set(times);
      times = grown;
    }
    const startNs = Number(start - runStart);
    const endNs = Number(end - runStart);
    if (count === 0) firstStartNs = startNs;
    times[2 * count] = startNs;
    times[2 * count + 1] = endNs;
    count++;

    // Same rule the summary re-checks from raw samples: duration = last end - first start.
    const durationNs = endNs - firstStartNs;
    if (count >= limits.minQueryCount && durationNs >= limits.minDurationNs) break;
    if (durationNs >= limits.maxDurationNs) {
      stoppedByMaxDuration = true;
      break;
    }
    if (onProgress !== undefined && endNs - lastProgressNs >= PROGRESS_INTERVAL_NS) {
      lastProgressNs = endNs;
      onProgress(count, measureProgress(count, durationNs, limits));
    }
  }

  const queries: Array<[number, number]> = new Array<[number, number]>(count);
  for (let i = 0; i < count; i++) queries[i] = [times[2 * i] as number, times[2 * i + 1] as number];
  return { queries, stoppedByMaxDuration, originNs: Number(runStart) };
}
