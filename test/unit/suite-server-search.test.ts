// Suite runs search the Server rate (#17 item 3): every Server entry of every published suite carries a
// bounded search against its workload's latency bound, the reduced presets bound its time, and the
// replay the API runs over an uploaded record accepts an honest one and refuses forged ones. The records
// here come from a synthetic SUT whose latency is a function of the rate it is driven at, so the search
// sequence it must produce is known in advance and written out by hand below.
import { describe, expect, it } from 'vitest';
import { recomputeSummaryFromRawSamples, resolveSuiteSpec, type RawSamples } from '../../src/harness/index.js';
import { serverScheduleOf, serverSearchStepSpec, RAW_SAMPLES_FORMAT, MONOTONIC_CLOCK } from '../../src/harness/report-format.js';
import { planServerSearch, type ServerSearchRaw } from '../../src/harness/scenarios/server-search-format.js';
import type { SuiteSpec } from '../../src/harness/suite-spec.js';
import { getSuite, listSuites } from '../../src/services/suites/suite-catalog.js';
import { entrySpec, SUITE_SERVER_SEARCH } from '../../src/services/suites/suite-runs.js';
import { REDUCED_PRESETS } from '../../src/contracts/suite-runs.js';

const suites = listSuites().items.map((s) => getSuite(s.id));

describe('Server entries of a suite run search their rate', () => {
  for (const suite of suites) {
    for (const reduced of [undefined, ...REDUCED_PRESETS]) {
      it(`${suite.id} ${reduced ?? 'catalog settings'}: the workload's bound, a bounded search, the preset kept`, () => {
        for (const workload of suite.workloads) {
          workload.scenarios.forEach(({ scenario, settings }, i) => {
            const spec = resolveSuiteSpec(entrySpec(workload, i, null, reduced));
            // The search is the suite run's, not a field that turns the preset into a custom run.
            expect([workload.id, scenario, spec.preset]).toEqual([workload.id, scenario, reduced ?? settings.preset]);
            if (scenario !== 'server') {
              expect(spec.serverSearch).toBeUndefined();
              return;
            }
            expect(spec.targetLatencyMs).toBe(workload.serverLatencyBoundMs);
            const expected = reduced ? { maxSteps: 4, stepMinDurationMs: 0, stepMaxDurationMs: 30_000 } : { maxSteps: 8, stepMaxDurationMs: 120_000 };
            expect(spec.serverSearch).toMatchObject(expected);
            // Searched from the probe: the catalog's hand-set rate is not used.
            expect(spec.serverSearch!.startQps).toBeUndefined();
            if (reduced) expect(spec.maxDurationMs).toBe(120_000);
          });
        }
      });
    }
  }

  // Independent of src/harness/stats: with h + 1 queries of which at most one is over the p-th percentile
  // latency, the chance of that when the true overlatency rate is 1 - p is p^(h+1) + (h+1)(1-p)p^h (the
  // binomial CDF at 1); an estimate at 99% confidence needs the least h that puts it below 0.01, and h + 1
  // queries (LoadGen's early_stopping.cc with one overlatency query).
  const earlyStoppingNeed = (percentile: number) => {
    const p = percentile / 100;
    for (let h = 1; ; h++) if (p ** (h + 1) + (h + 1) * (1 - p) * p ** h < 0.01) return h + 1;
  };

  it('no entry and no search step runs fewer queries than its percentile\'s early-stopping estimate needs', () => {
    expect([earlyStoppingNeed(90), earlyStoppingNeed(99)]).toEqual([64, 662]);
    for (const suite of suites) {
      for (const reduced of [undefined, ...REDUCED_PRESETS]) {
        for (const workload of suite.workloads) {
          workload.scenarios.forEach(({ scenario }, i) => {
            if (scenario === 'offline') return; // samples in one query: no early stopping
            const spec = resolveSuiteSpec(entrySpec(workload, i, null, reduced));
            const need = earlyStoppingNeed(spec.targetPercentile);
            expect([workload.id, scenario, reduced, spec.minQueryCount >= need]).toEqual([workload.id, scenario, reduced, true]);
            if (spec.serverSearch) expect(serverSearchStepSpec(spec, 10).minQueryCount).toBeGreaterThanOrEqual(need);
          });
        }
      }
    }
  });

  it('a reduced search where every step fails stays within a few minutes, whatever the start rate', () => {
    // The all-fail sequence halves from the start rate; uncapped, a step at rate q takes about 662 / q s,
    // so each halving doubles it. Each step's schedule must end by the cap (the run issues nothing after
    // it), and the reported run by its own cap: the budget is then maxSteps × 30 s + 120 s = 240 s.
    const workload = suites[0]!.workloads.find((w) => w.scenarios.some((s) => s.scenario === 'server'))!;
    const index = workload.scenarios.findIndex((s) => s.scenario === 'server');
    const spec = resolveSuiteSpec(entrySpec(workload, index, null, 'smoke'));
    for (const startQps of [0.5, 7, 20, 158.757, 5_000]) {
      const rates = Array.from({ length: spec.serverSearch!.maxSteps }, (_, k) => Math.max(0.001, Math.round((startQps / 2 ** k) * 1000) / 1000));
      let budgetS = 0;
      for (const rate of rates) {
        const schedule = serverScheduleOf(serverSearchStepSpec(spec, rate));
        const lastS = schedule[schedule.length - 1]! / 1e9;
        expect(lastS).toBeLessThanOrEqual(30);
        budgetS += lastS;
      }
      const reported = serverScheduleOf({ ...spec, targetQps: rates.at(-1)! });
      budgetS += reported[reported.length - 1]! / 1e9;
      expect(budgetS).toBeLessThanOrEqual(SUITE_SERVER_SEARCH.reduced.search.maxSteps * 30 + 120);
    }
  });
});

/** A SUT that meets a 10 ms bound up to 150 QPS (1 ms per query) and misses it above (20 ms per query). */
const latencyAtNs = (rate: number) => (rate <= 150 ? 1e6 : 20e6);

/** Queries issued on their schedule, each taking the SUT's latency at `rate` (no queueing, it is synthetic). */
function queriesAt(spec: SuiteSpec, rate: number): [number, number, number][] {
  return Array.from(serverScheduleOf(spec), (at) => [at, at, at + latencyAtNs(rate)]);
}

describe('the replay of a searched Server record (what the API recomputes on upload)', () => {
  const spec = resolveSuiteSpec({ scenario: 'server', targetPercentile: 90, targetLatencyMs: 10, minQueryCount: 64, minDurationMs: 0, serverSearch: { startQps: 100, maxSteps: 4, stepMinDurationMs: 0 } });
  // By hand: 100 passes, so double to 200, which fails; bisect to 150, which passes; then 175, which fails.
  // Four steps used up: the search ends at max-steps with 150 found (175 is 16.7% above, outside 5%).
  const HONEST_RATES = [100, 200, 150, 175];
  const recordWith = (rates: number[], finalQps: number, reportedQps = finalQps): RawSamples => ({
    format: RAW_SAMPLES_FORMAT,
    clock: MONOTONIC_CLOCK,
    unit: 'ns',
    scenario: 'server',
    runs: [{ queries: queriesAt({ ...spec, targetQps: reportedQps }, reportedQps) }],
    serverSearch: { steps: rates.map((rate) => ({ targetQps: rate, queries: queriesAt(serverSearchStepSpec(spec, rate), rate) })), finalQps } satisfies ServerSearchRaw,
  });

  it('accepts the honest record: the steps, their verdicts and the found rate as written out by hand', () => {
    const summary = recomputeSummaryFromRawSamples(recordWith(HONEST_RATES, 150), spec);
    expect(summary.serverSearch).toMatchObject({ startQps: 100, startSource: 'spec', foundQps: 150, finalQps: 150, stopReason: 'max-steps' });
    expect(summary.serverSearch!.steps.map((s) => [s.targetQps, s.result])).toEqual([[100, 'VALID'], [200, 'INVALID'], [150, 'VALID'], [175, 'INVALID']]);
    expect(summary.serverSearch!.steps.map((s) => s.percentileLatencyNs)).toEqual([1e6, 20e6, 1e6, 20e6]);
    expect(summary.result).toBe('VALID');
    expect(summary.server!.targetLatencyNs).toBe(10e6);
  });

  it('refuses a record claiming a higher final rate than its steps justify, even with the reported run rescheduled to match', () => {
    // The forger reruns (or fabricates) the reported run at 175 QPS on that rate's own schedule, so only the
    // search replay can tell: 175 failed, and the highest passing step is 150. Its reported run "passes" here
    // because the forged queries take 1 ms; the refusal must not depend on the run's own verdict.
    const forged = recordWith(HONEST_RATES, 175);
    forged.runs[0]!.queries = Array.from(serverScheduleOf({ ...spec, targetQps: 175 }), (at) => [at, at, at + 1e6]);
    expect(() => recomputeSummaryFromRawSamples(forged, spec)).toThrow(/final run is at 175 QPS; the search found 150/);
    // Without the search replay the same forged run would score VALID at 175 QPS: the attack is real.
    const { serverSearch: _search, ...unsearchedSpec } = spec;
    const { serverSearch: _raw, ...unsearched } = forged;
    expect(recomputeSummaryFromRawSamples(unsearched, { ...unsearchedSpec, targetQps: 175 }).result).toBe('VALID');
  });

  it('refuses reordered steps, a dropped failing step, a step after the search ended, and a missing one', () => {
    const refused = (rates: number[], finalQps: number) => () => recomputeSummaryFromRawSamples(recordWith(rates, finalQps), spec);
    // The same four steps, the failing 200 moved last: after 100 passed the planner runs 200, not 150.
    expect(refused([100, 150, 175, 200], 150)).toThrow(/step 1 ran at 150 QPS; the search chooses 200/);
    expect(refused([100, 175, 150, 200], 150)).toThrow(/step 1 ran at 175 QPS; the search chooses 200/);
    // The failing step dropped, as if 150 had been the first bisection without a bracket.
    expect(refused([100, 150, 175], 150)).toThrow(/step 1 ran at 150 QPS; the search chooses 200/);
    expect(refused([...HONEST_RATES, 162.5], 150)).toThrow(/step 4 was run after the search had ended \(max-steps\)/);
    expect(refused([100, 200, 150], 150)).toThrow(/would run 175 QPS next/);
  });

  it('the planner the replay runs is the one a search follows: its choices for this SUT, step by step', () => {
    // Independent of the harness loop: drive planServerSearch with this SUT's verdicts (bound 10 ms).
    const verdicts: { targetQps: number; passed: boolean }[] = [];
    for (;;) {
      const decision = planServerSearch(100, verdicts, spec.serverSearch!);
      if (!('next' in decision)) {
        expect(decision).toEqual({ done: true, foundQps: 150, finalQps: 150, stopReason: 'max-steps' });
        break;
      }
      verdicts.push({ targetQps: decision.next, passed: latencyAtNs(decision.next) <= 10e6 });
    }
    expect(verdicts.map((v) => v.targetQps)).toEqual(HONEST_RATES);
  });
});
