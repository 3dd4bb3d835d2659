// The job-outcome counter's error_code label must stay bounded even though agents choose the codes.
import { describe, expect, it } from 'vitest';
import { ApiMetrics } from '../../src/lib/metrics.js';

const noSources = { queueDepths: async () => [], agentHeartbeats: async () => [], onCollectError: () => undefined };

describe('ApiMetrics', () => {
  it('names the first 32 error codes of failed jobs and counts later new ones as "other"', async () => {
    const metrics = new ApiMetrics(noSources);
    const fail = (errorCode: string | null) =>
      metrics.observeJobFinished({ device: 'd', status: 'FAILED', errorCode, scenario: 'single-stream', startedAt: null, finishedAt: null });
    for (let i = 0; i < 40; i++) fail(`harness.code_${i}`);
    fail('harness.code_0');
    fail(null);
    const series = (await metrics.registry.getSingleMetric('npubench_jobs_finished_total')!.get()).values;
    const byCode = new Map(series.map((v) => [v.labels.error_code, v.value]));
    expect(byCode.get('harness.code_0')).toBe(2);
    expect(byCode.get('harness.code_31')).toBe(1);
    expect(byCode.has('harness.code_32')).toBe(false);
    expect(byCode.get('other')).toBe(8);
    expect(byCode.get('unknown')).toBe(1);
  });
});
