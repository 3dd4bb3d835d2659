// Runs the Server target-QPS search (server-search-format.ts): a serial probe for the start rate unless
// the spec gives one, then one Server run per step at the rate the planner picks, each scored by the
// same rules as a reported run (scoreServerSearchStep), until the planner stops. The caller then runs
// the reported Server runs at the rate the search found.
import { scoreServerSearchStep, serverScheduleOf, serverSearchStepSpec } from '../report-format.js';
import type { SuiteSpec } from '../suite-spec.js';
import { planServerSearch, probeQps, type ServerSearchRaw, type ServerSearchStepSummary } from './server-search-format.js';
import { runServer } from './server.js';
import { throwIfAborted, type IssueQuery } from './single-stream.js';

export interface ServerSearchHooks {
  signal?: AbortSignal | undefined;
  /** After each step, with its verdict (for progress lines). */
  onStep?: (step: ServerSearchStepSummary, index: number) => void;
}

export async function runServerSearch(issueQuery: IssueQuery, spec: SuiteSpec, hooks: ServerSearchHooks = {}): Promise<ServerSearchRaw> {
  const search = spec.serverSearch;
  if (!search || spec.scenario !== 'server') throw new Error('runServerSearch needs a server spec with serverSearch');
  let probe: [number, number][] | undefined;
  if (search.startQps === undefined) {
    probe = [];
    const origin = process.hrtime.bigint();
    for (let i = 0; i < search.probeQueries; i++) {
      throwIfAborted(hooks.signal);
      const start = Number(process.hrtime.bigint() - origin);
      await issueQuery();
      probe.push([start, Number(process.hrtime.bigint() - origin)]);
    }
  }
  const startQps = search.startQps ?? probeQps(probe!);
  const steps: ServerSearchRaw['steps'] = [];
  const verdicts: { targetQps: number; passed: boolean }[] = [];
  for (;;) {
    const decision = planServerSearch(startQps, verdicts, search);
    if (!('next' in decision)) return { ...(probe && { probe }), steps, finalQps: decision.finalQps };
    const stepSpec = serverSearchStepSpec(spec, decision.next);
    const { queries } = await runServer(issueQuery, serverScheduleOf(stepSpec), { maxOutstandingQueries: spec.maxOutstandingQueries, maxDurationNs: stepSpec.maxDurationMs * 1e6 }, { signal: hooks.signal });
    const step = { targetQps: decision.next, queries };
    const verdict = scoreServerSearchStep(step, spec);
    steps.push(step);
    verdicts.push({ targetQps: step.targetQps, passed: verdict.result === 'VALID' });
    hooks.onStep?.(verdict, steps.length - 1);
  }
}
