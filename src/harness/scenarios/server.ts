// MLPerf-style Server: queries arrive as a Poisson process at targetQps (exponential gaps drawn from a
// seeded PRNG, so a spec always yields the same schedule) and are issued at their scheduled times
// whether or not earlier ones completed. Latency counts from the scheduled time, as LoadGen counts it,
// so a query issued late (the loop was busy, or maxOutstandingQueries were in flight) pays for it.
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from '../seeded-random.js';
import { PROGRESS_INTERVAL_NS, throwIfAborted, type IssueQuery, type ScenarioHooks } from './single-stream.js';

export interface ServerScheduleLimits {
  targetQps: number;
  minQueryCount: number;
  minDurationNs: number;
  maxDurationNs: number;
}

/** Keeps the schedule's stream apart from the synthetic inputs', which use the same spec seed. */
export const SCHEDULE_SEED_SALT = 0x9e3779b9;

/** Scheduled issue times in whole ns from the run start: the first at 0, then exponential gaps of mean
 *  1 / targetQps, until both minimums are met (LoadGen checks min duration against the final scheduled
 *  time) or the next arrival would fall after maxDurationNs. */
export function poissonSchedule(seed: number, limits: ServerScheduleLimits): Float64Array {
  const random = mulberry32((seed ^ SCHEDULE_SEED_SALT) >>> 0);
  const meanGapNs = 1e9 / limits.targetQps;
  let times = new Float64Array(Math.min(1 << 20, Math.max(1024, limits.minQueryCount)));
  let count = 1;
  let elapsedNs = 0;
  while (count < limits.minQueryCount || (times[count - 1] as number) < limits.minDurationNs) {
    // 1 - u is in (0, 1], so the gap is finite and never negative.
    elapsedNs += -Math.log(1 - random()) * meanGapNs;
    const scheduledNs = Math.round(elapsedNs);
    if (scheduledNs > limits.maxDurationNs) break;
    if (count === times.length) {
      const grown = new Float64Array(times.length * 2);
      grown.set(times);
      times = grown;
    }
    times[count++] = scheduledNs;
  }
  return times.slice(0, count);
}

export interface ServerOutcome {
  /** [scheduledNs, startNs, endNs] per issued query, relative to the run start, in schedule order. */
  queries: Array<[number, number, number]>;
  /** Absolute process.hrtime.bigint() time the relative times count from (aligns power traces). */
  originNs: number;
}

/** Issues the schedule; stops issuing once the run has lasted maxDurationNs, then waits for the queries
 *  in flight. A failed query fails the run. */
export async function runServer(
  issueQuery: IssueQuery,
  schedule: Float64Array,
  limits: { maxOutstandingQueries: number; maxDurationNs: number },
  hooks: ScenarioHooks = {},
): Promise<ServerOutcome> {
  const { signal, onProgress } = hooks;
  const times = new Float64Array(3 * schedule.length);
  let issued = 0;
  let outstanding = 0;
  let failure = null as { error: unknown } | null;
  let wake: (() => void) | null = null;
  let lastProgressNs = 0;
  const runStart = process.hrtime.bigint();
  const nowNs = () => Number(process.hrtime.bigint() - runStart);
  const settle = () => {
    outstanding--;
    const waiter = wake;
    wake = null;
    waiter?.();
  };
  const untilSettled = () => new Promise<void>((resolve) => (wake = resolve));

  for (; issued < schedule.length; issued++) {
    throwIfAborted(signal);
    if (failure !== null) break;
    const scheduledNs = schedule[issued] as number;
    // setTimeout has ~1 ms granularity: sleep until just before the slot, then yield until it arrives.
    const aheadNs = scheduledNs - nowNs();
    if (aheadNs > 2e6) await sleep((aheadNs - 1e6) / 1e6);
    while (nowNs() < scheduledNs) await yieldToEventLoop();
    while (outstanding >= limits.maxOutstandingQueries) await untilSettled();
    const startNs = nowNs();
    if (startNs >= limits.maxDurationNs) break;
    const index = issued;
    times[3 * index] = scheduledNs;
    times[3 * index + 1] = startNs;
    outstanding++;
    issueQuery().then(
      () => {
        times[3 * index + 2] = nowNs();
        settle();
      },
      (error: unknown) => {
        failure ??= { error };
        settle();
      },
    );
    if (onProgress !== undefined && startNs - lastProgressNs >= PROGRESS_INTERVAL_NS) {
      lastProgressNs = startNs;
      onProgress(issued, issued / schedule.length);
    }
  }
  while (outstanding > 0) await untilSettled();
  if (failure !== null) throw failure.error;
  throwIfAborted(signal);

  const queries = new Array<[number, number, number]>(issued);
  for (let i = 0; i < issued; i++) queries[i] = [times[3 * i] as number, times[3 * i + 1] as number, times[3 * i + 2] as number];
  return { queries, originNs: Number(runStart) };
}
