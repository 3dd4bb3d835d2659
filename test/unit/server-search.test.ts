// Server target-QPS search: the planner's choices against sequences written out by hand, and real runs
// (a SUT whose latency is a fixed sleep, and the MLP fixture through runBenchmark) checked by invariants
// that do not depend on how fast this machine is: the found rate's step passed, the step above it failed
// or the step budget or rate limit ended the search, no more steps than allowed, each step's verdict
// recomputed here from its queries, the reported run scheduled at the found rate, and a record whose
// steps or final rate were edited refused.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { formatMlperfSummary, recomputeSummaryFromRawSamples, resolveSuiteSpec, runBenchmark, verifySummaryAgainstRawSamples, type RawSamples } from '../../src/harness/index.js';
import { planServerSearch, serverSearchSpecSchema, type ServerSearchRaw, type ServerSearchSummary } from '../../src/harness/scenarios/server-search-format.js';
import { runServerSearch } from '../../src/harness/scenarios/server-search.js';
import { serverSearchStepSpec } from '../../src/harness/report-format.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { formatReportSummary } from '../../src/cli/report-summary-table.js';

const PLAN = { maxSteps: 6, tolerancePct: 5 };

describe('planServerSearch', () => {
  it('starts at the start rate, doubles while steps pass, halves while they fail, then bisects', () => {
    expect(planServerSearch(100, [], PLAN)).toEqual({ next: 100 });
    expect(planServerSearch(100, [{ targetQps: 100, passed: true }], PLAN)).toEqual({ next: 200 });
    expect(planServerSearch(100, [{ targetQps: 100, passed: false }], PLAN)).toEqual({ next: 50 });
    const bracket = [{ targetQps: 100, passed: true }, { targetQps: 200, passed: false }];
    expect(planServerSearch(100, bracket, PLAN)).toEqual({ next: 150 });
    expect(planServerSearch(100, [...bracket, { targetQps: 150, passed: true }], PLAN)).toEqual({ next: 175 });
    expect(planServerSearch(100, [...bracket, { targetQps: 150, passed: false }], PLAN)).toEqual({ next: 125 });
  });

  it('stops when the bracket is within the tolerance, when the steps run out, and when nothing passed', () => {
    const close = [{ targetQps: 100, passed: true }, { targetQps: 104, passed: false }];
    expect(planServerSearch(100, close, PLAN)).toEqual({ done: true, foundQps: 100, finalQps: 100, stopReason: 'converged' });
    const passing = Array.from({ length: 6 }, (_, i) => ({ targetQps: 100 * 2 ** i, passed: true }));
    expect(planServerSearch(100, passing, PLAN)).toEqual({ done: true, foundQps: 3200, finalQps: 3200, stopReason: 'max-steps' });
    const failing = Array.from({ length: 6 }, (_, i) => ({ targetQps: 100 / 2 ** i, passed: false }));
    expect(planServerSearch(100, failing, PLAN)).toEqual({ done: true, foundQps: null, finalQps: 3.125, stopReason: 'no-passing-qps' });
    // A pass above a fail (noise) still brackets from the highest pass up.
    const noisy = [{ targetQps: 100, passed: false }, { targetQps: 50, passed: true }, { targetQps: 75, passed: true }];
    expect(planServerSearch(100, noisy, PLAN)).toEqual({ next: 87.5 });
  });

  it('reports the run reportMarginPct below the found rate, and only when a rate was found', () => {
    const margin = { ...PLAN, reportMarginPct: 10 };
    const close = [{ targetQps: 100, passed: true }, { targetQps: 104, passed: false }];
    // 100 QPS found; the reported run at 100 × 0.9.
    expect(planServerSearch(100, close, margin)).toEqual({ done: true, foundQps: 100, finalQps: 90, stopReason: 'converged' });
    const passing = Array.from({ length: 6 }, (_, i) => ({ targetQps: 100 * 2 ** i, passed: true }));
    expect(planServerSearch(100, passing, margin)).toEqual({ done: true, foundQps: 3200, finalQps: 2880, stopReason: 'max-steps' });
    // Nothing found: the lowest rate tried, no margin taken off a rate that already failed.
    const failing = Array.from({ length: 6 }, (_, i) => ({ targetQps: 100 / 2 ** i, passed: false }));
    expect(planServerSearch(100, failing, margin)).toMatchObject({ foundQps: null, finalQps: 3.125 });
    // The margin never changes which steps run.
    expect(planServerSearch(100, [{ targetQps: 100, passed: true }, { targetQps: 200, passed: false }], margin)).toEqual({ next: 150 });
  });
});

/** The percentile latency of a step, as LoadGen takes it (sorted[floor(n·p)] of end − scheduled), written here. */
function stepPercentileNs(queries: readonly (readonly [number, number, number])[], p: number): number {
  const latencies = queries.map(([scheduled, , end]) => end - scheduled).sort((a, b) => a - b);
  return latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
}

function checkInvariants(search: ServerSearchSummary, raw: ServerSearchRaw, maxSteps: number, boundNs: number, percentile: number) {
  expect(search.steps.length).toBeGreaterThanOrEqual(1);
  expect(search.steps.length).toBeLessThanOrEqual(maxSteps);
  expect(raw.steps.map((s) => s.targetQps)).toEqual(search.steps.map((s) => s.targetQps));
  raw.steps.forEach((step, i) => {
    expect(search.steps[i]!.percentileLatencyNs).toBe(stepPercentileNs(step.queries, percentile));
    expect(search.steps[i]!.latencyBoundSatisfied).toBe(stepPercentileNs(step.queries, percentile) <= boundNs);
  });
  if (search.foundQps === null) {
    expect(search.stopReason).toBe('no-passing-qps');
    expect(search.steps.every((s) => s.result === 'INVALID')).toBe(true);
    return;
  }
  const found = search.steps.filter((s) => s.targetQps === search.foundQps);
  expect(found.some((s) => s.result === 'VALID')).toBe(true);
  expect(Math.max(...search.steps.filter((s) => s.result === 'VALID').map((s) => s.targetQps))).toBe(search.foundQps);
  const failedAbove = search.steps.filter((s) => s.result === 'INVALID' && s.targetQps > search.foundQps!);
  if (search.stopReason === 'converged') expect(Math.min(...failedAbove.map((s) => s.targetQps))).toBeLessThanOrEqual(search.foundQps * 1.05 + 0.001);
  else expect(search.stopReason === 'max-steps' ? search.steps.length : maxSteps).toBe(maxSteps);
}

describe('runServerSearch on a SUT of known latency', () => {
  it('a SUT that always takes 20 ms never meets a 10 ms bound: every step fails, halving from the start rate', async () => {
    const spec = resolveSuiteSpec({ scenario: 'server', targetPercentile: 90, targetLatencyMs: 10, serverSearch: { startQps: 400, maxSteps: 3, stepMinDurationMs: 0 } });
    const raw = await runServerSearch(() => sleep(20), spec);
    expect(raw.steps.map((s) => s.targetQps)).toEqual([400, 200, 100]);
    expect(raw.finalQps).toBe(100);
    expect(raw.probe).toBeUndefined();
    // Every query slept 20 ms (a timer may fire up to a millisecond early), so no step can meet 10 ms.
    expect(raw.steps.every((s) => s.queries.every(([scheduled, , end]) => end - scheduled >= 15e6))).toBe(true);
  }, 120_000);
});

describe('a searched Server run through runBenchmark (MLP fixture, onnxruntime)', () => {
  const spec = resolveSuiteSpec({
    scenario: 'server',
    targetPercentile: 90,
    minQueryCount: 64,
    minDurationMs: 0,
    warmupQueries: 8,
    targetLatencyMs: 25,
    dynamicDims: { batch: 1 },
    serverSearch: { maxSteps: 5, probeQueries: 16, stepMinDurationMs: 0, reportMarginPct: 10 },
  });

  it('finds a rate by the invariants, reports a run at it, and refuses an edited record', async () => {
    const { summary, rawSamples, environment } = await runBenchmark({ modelPath: fixtureModel('mlp-classifier.onnx'), spec, backend: { executionProvider: 'cpu', intraOpNumThreads: 1 } });
    const search = summary.serverSearch!;
    const raw = rawSamples.serverSearch!;
    expect(search.startSource).toBe('probe');
    expect(raw.probe).toHaveLength(16);
    // The probe's rate, computed here: 1 / mean latency, to 1/1000 QPS.
    const meanNs = raw.probe!.reduce((sum, [a, b]) => sum + (b - a), 0) / raw.probe!.length;
    expect(search.startQps).toBeCloseTo(Math.round((1e9 / meanNs) * 1000) / 1000, 6);
    expect(search.steps[0]!.targetQps).toBe(search.startQps);
    checkInvariants(search, raw, 5, 25e6, 0.9);
    // The reported run is 10 % below the found rate (to 1/1000 QPS), or at the lowest rate tried when none passed.
    if (search.foundQps !== null) expect(raw.finalQps).toBe(Math.round(search.foundQps * 0.9 * 1000) / 1000);
    else expect(raw.finalQps).toBe(Math.min(...raw.steps.map((st) => st.targetQps)));
    expect(search.reportMarginPct).toBe(10);
    // The reported run is a full run at the final rate (the spec's 64 queries, not a step), its
    // summary as the raw samples give it; the spec in the report is the job's, search and all.
    expect(summary.spec).toEqual(spec);
    expect(rawSamples.runs[0]!.queries.length).toBeGreaterThanOrEqual(64);
    expect(verifySummaryAgainstRawSamples(summary, rawSamples)).toEqual([]);
    expect(formatMlperfSummary(summary, environment)).toContain(`target_qps : ${raw.finalQps}\n`);
    // The terminal summary lists the search, one line per step.
    const table = formatReportSummary({ summary, environment }, 'file');
    expect(table).toContain(`reported runs at ${raw.finalQps} QPS`);
    expect(table.split('\n').filter((line) => /^\s+step \d+\s/.test(line))).toHaveLength(raw.steps.length);
    console.log(`server search: start ${search.startQps} QPS, steps ${search.steps.map((s) => `${s.targetQps}:${s.result}`).join(' ')}, found ${search.foundQps} (${search.stopReason}); final p90 ${(summary.targetLatencyNs / 1e6).toFixed(2)} ms ${summary.result}`);

    const edited = (edit: (r: RawSamples) => void) => {
      const copy = structuredClone(rawSamples);
      edit(copy);
      return () => recomputeSummaryFromRawSamples(copy, spec);
    };
    expect(edited((r) => (r.serverSearch!.finalQps = r.serverSearch!.finalQps * 2))).toThrow(/final run is at|schedule|Invalid raw samples/);
    // Claiming the run went at the found rate itself, without the margin the spec asks for.
    if (search.foundQps !== null) expect(edited((r) => (r.serverSearch!.finalQps = search.foundQps!))).toThrow(/final run is at|schedule|Invalid raw samples/);
    expect(edited((r) => (r.serverSearch!.steps[0]!.targetQps += 1))).toThrow(/search chooses/);
    expect(edited((r) => r.serverSearch!.steps.pop())).toThrow(/would run|final run|search found/);
    expect(edited((r) => delete r.serverSearch)).toThrow(/asks for a Server QPS search/);
  }, 300_000);

  it('each step runs the percentile\'s early-stopping minimum of queries by default', () => {
    expect(serverSearchStepSpec(resolveSuiteSpec({ scenario: 'server', serverSearch: {} }), 50)).toMatchObject({ targetQps: 50, minQueryCount: 662, repeatCount: 1 });
    expect(serverSearchSpecSchema.parse({})).toMatchObject({ maxSteps: 8, tolerancePct: 5, probeQueries: 32 });
    expect(() => resolveSuiteSpec({ scenario: 'offline', serverSearch: {} })).toThrow(/server only/);
  });
});
