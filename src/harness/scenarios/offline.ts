// MLPerf-style Offline: one query holding every sample, issued at the run start; the SUT may process the
// samples in any order and at once. Here maxOutstandingQueries workers pull samples until none are left
// (concurrent runs of one session, as in MultiStream). Each sample's latency counts from the query's
// issue, and the metric is samples per second over the whole query.
import { PROGRESS_INTERVAL_NS, throwIfAborted, type IssueQuery, type ScenarioHooks } from './single-stream.js';

export interface OfflineOutcome {
  /** [startNs, endNs] per sample, relative to the query issue, in the order samples were taken. */
  samples: Array<[number, number]>;
  /** Absolute process.hrtime.bigint() time the relative times count from (aligns power traces). */
  originNs: number;
}

/** Stops taking new samples once the run has lasted maxDurationNs. */
export async function runOffline(
  issueSample: IssueQuery,
  limits: { sampleCount: number; maxOutstandingQueries: number; maxDurationNs: number },
  hooks: ScenarioHooks = {},
): Promise<OfflineOutcome> {
  const { signal, onProgress } = hooks;
  const times = new Float64Array(2 * limits.sampleCount);
  let taken = 0;
  let completed = 0;
  let lastProgressNs = 0;
  let failed = false;
  const queryIssue = process.hrtime.bigint();

  const worker = async () => {
    while (taken < limits.sampleCount && !failed) {
      throwIfAborted(signal);
      const start = process.hrtime.bigint();
      const startNs = Number(start - queryIssue);
      if (startNs >= limits.maxDurationNs) return;
      const index = taken++;
      await issueSample();
      const endNs = Number(process.hrtime.bigint() - queryIssue);
      times[2 * index] = startNs;
      times[2 * index + 1] = endNs;
      completed++;
      if (onProgress !== undefined && endNs - lastProgressNs >= PROGRESS_INTERVAL_NS) {
        lastProgressNs = endNs;
        onProgress(completed, completed / limits.sampleCount);
      }
    }
  };
  // allSettled, not all: the backend must not be closed while other workers still have samples in flight.
  const workers = Array.from({ length: Math.min(limits.maxOutstandingQueries, limits.sampleCount) }, () =>
    worker().catch((error: unknown) => {
      failed = true;
      throw error;
    }),
  );
  const rejected = (await Promise.allSettled(workers)).find((result) => result.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;

  const samples = new Array<[number, number]>(taken);
  for (let i = 0; i < taken; i++) samples[i] = [times[2 * i] as number, times[2 * i + 1] as number];
  return { samples, originNs: Number(queryIssue) };
}
