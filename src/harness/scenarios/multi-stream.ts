// MLPerf-style MultiStream: each query is samplesPerQuery samples issued together, the next query as
// soon as the previous completes; query latency is the slowest sample's. The samples are concurrent
// batch-1 runs of the same session (onnxruntime runs concurrent calls on one session in parallel),
// not one batched run: that works for fixed-batch models too, and measures what MLPerf measures (N
// independent samples in flight), not the model's batching efficiency. The SingleStream loop times it.
import type { IssueQuery } from './single-stream.js';

export function multiStreamQuery(issueSample: IssueQuery, samplesPerQuery: number): IssueQuery {
  // Reused across queries so the timed loop allocates only what Promise.all must.
  const inFlight = new Array<Promise<void>>(samplesPerQuery);
  return async () => {
    for (let i = 0; i < samplesPerQuery; i++) inFlight[i] = issueSample();
    await Promise.all(inFlight);
  };
}
