// `npubench bench` as a vendor runs it on a laptop: local runs, a comparison against an earlier
// report, the MLPerf-style text export, and a run through `npubench runner` over the runner protocol.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../helpers/isolated-resources.js';
import { NPUBENCH_BIN, runNpubench } from '../helpers/processes.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { latenciesOf, loadgenPercentile } from '../helpers/independent-stats.js';

describe('npubench bench', () => {
  it('writes a full report, compares against it, and exports an MLPerf-style summary', async () => {
    const dir = await createTempDir('npubench-bench');
    const base = join(dir, 'base.json');
    const first = await runNpubench(['bench', fixtureModel('tiny-cnn.onnx'), '--preset', 'smoke', '--profile', '--out', base], {});
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/latency p99\s+\d+\.\d+ ms/);
    expect(first.stdout).toContain('Top operators');
    const report = JSON.parse(await readFile(base, 'utf8')) as {
      summary: { latency: { p50Ns: number } };
      rawSamples: { runs: { queries: [number, number][] }[] };
      profile: unknown;
      resourceUsage: { peakRssBytes: number; modelSizeBytes: number };
    };
    expect(report.resourceUsage.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(report.resourceUsage.modelSizeBytes).toBeGreaterThan(0);
    expect(report.summary.latency.p50Ns).toBe(loadgenPercentile(latenciesOf(report.rawSamples.runs[0]!.queries), 50));
    expect(report.profile).toBeTruthy();

    const summaryFile = join(dir, 'mlperf_log_summary.txt');
    const second = await runNpubench(['bench', fixtureModel('tiny-cnn.onnx'), '--preset', 'smoke', '--compare', base, '--mlperf-summary', summaryFile], {});
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/Compared with .*base\.json/);
    expect(second.stdout).toMatch(/latency p50 \(ms\)\s+\d/);
    expect(second.stderr).not.toMatch(/warning/);
    expect(await readFile(summaryFile, 'utf8')).toContain('Scenario : SingleStream');

    // An offline "query" is the whole sample set: against a single-stream base the change per metric
    // means nothing, so the run is refused before it starts, or with --force runs and warns.
    const offline = await runNpubench(['bench', fixtureModel('tiny-cnn.onnx'), '--scenario', 'offline', '--preset', 'smoke', '--compare', base], {});
    expect(offline.code, offline.stdout + offline.stderr).toBe(2);
    expect(offline.stderr).toMatch(/single-stream/);
    expect(offline.stderr).toMatch(/offline/);
    expect(offline.stderr).toContain('--force');
    expect(offline.stdout).not.toMatch(/Compared with/);
    const forced = await runNpubench(['bench', fixtureModel('tiny-cnn.onnx'), '--scenario', 'offline', '--preset', 'smoke', '--compare', base, '--force', '--mlperf-summary', summaryFile], {});
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: .*single-stream.*offline/);
    expect(forced.stdout).toMatch(/Compared with .*base\.json/);
    expect(await readFile(summaryFile, 'utf8')).toContain('Scenario : Offline');
  });

  it('benchmarks through `npubench runner` over the runner protocol', async () => {
    const res = await runNpubench(['bench', fixtureModel('mlp-classifier.onnx'), '--preset', 'smoke', '--suite', '{"dynamicDims":{"batch":4}}', '--runner', `${process.execPath} ${NPUBENCH_BIN} runner`, '--json'], {});
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { summary: { backend: { executionProvider: string }; deviceLatency: { source: string } } };
    expect(out.summary.backend.executionProvider).toMatch(/^runner:/);
    expect(out.summary.deviceLatency.source).toBe('runner');
  });

  it('rejects a bad suite with a clear message and exit code 2', async () => {
    const res = await runNpubench(['bench', fixtureModel('mlp-classifier.onnx'), '--suite', '{"minQueryCount":-5}'], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/minQueryCount/);
  });
});
