// The job-outcome counter's error_code label must stay bounded even though agents choose the codes,
// and the request-duration histogram (our own, for speed) must expose exactly what prom-client would.
import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { ApiMetrics, HttpDurationHistogram } from '../../src/lib/metrics.js';

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

describe('HttpDurationHistogram', () => {
  it('exposes the same Prometheus text as a prom-client Histogram fed the same observations, and resets', async () => {
    const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    const [ours, theirs] = [new Registry(), new Registry()];
    const histogram = new HttpDurationHistogram('http_seconds', 'Request duration.', buckets, [ours]);
    const reference = new Histogram({ name: 'http_seconds', help: 'Request duration.', labelNames: ['method', 'route', 'status_code'], buckets, registers: [theirs] });
    // Values on, below and above the bucket bounds, beyond the last bound, and several series.
    const observations: [string, string, number, number][] = [];
    let x = 0.0007;
    for (let i = 0; i < 400; i++) {
      x = (x * 7.3 + 0.0011) % 40;
      const route = ['/v1/reports/:id', '/v1/jobs', 'unmatched'][i % 3]!;
      observations.push([i % 5 === 0 ? 'POST' : 'GET', route, [200, 201, 404, 500][i % 4]!, i % 17 === 0 ? buckets[i % buckets.length]! : x]);
    }
    for (const [method, route, status, seconds] of observations) {
      histogram.observe(method, route, status, seconds);
      reference.observe({ method, route, status_code: String(status) }, seconds);
    }
    const lines = async (registry: Registry) => (await registry.metrics()).split('\n').sort();
    expect(await lines(ours)).toEqual(await lines(theirs));
    expect((await ours.metrics()).match(/^http_seconds_count\{/gm)).toHaveLength(new Set(observations.map(([m, r, s]) => `${m} ${r} ${s}`)).size);

    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('http_seconds_count');
  });
});
