import { apiJson } from '../api';
import { Empty, ErrorState, KeyValues, Loaded, PageTitle, StatusBadge, date, ms, num, useAsync } from '../components';
import { LatencyHistogram, LatencyOverTime, PowerTrace, ProfileBars, latenciesPerRun } from '../charts';
import { Link, navigate, useLocation } from '../router';
import { useState, type FormEvent, type ReactNode } from 'react';
import type { PowerTraceView, RawSamples, Report, ServerSearchView } from '../../../contracts/reports';

export type { Report };

/** The trace is asked for only when the summary says power was measured: otherwise there is none, and
 *  asking would only put a 404 in the browser's console. */
function PowerSection({ report }: { report: Report }) {
  const power = report.summary.power;
  if (!power.measured)
    return (
      <Empty title="Power was not measured">
        <p>{power.reason}</p>
      </Empty>
    );
  return <PowerTraceLoader id={report.id} />;
}

function PowerTraceLoader({ id }: { id: string }) {
  const [trace, reload] = useAsync(() => apiJson<PowerTraceView>(`/v1/reports/${id}/power-trace`), [id]);
  if (trace.state === 'error' && trace.error.code === 'report.no_power_trace')
    return (
      <Empty title="Power was not measured">
        <p>{trace.error.message}</p>
      </Empty>
    );
  return <Loaded value={trace} what="power trace" retry={reload}>{(t) => <PowerTrace trace={t} />}</Loaded>;
}

/** "none (latency 48.9 % lower at the end of the run than at the start)": a run that got faster is
 *  not a negative slowdown. One clause per run when there were repeats. */
export function thermalDriftText(summary: Pick<Report['summary'], 'thermalDriftDetected' | 'runs'>): string {
  const change = (pct: number) => (Math.abs(pct) < 0.05 ? 'no change from start to end' : `${Math.abs(pct).toFixed(1)} % ${pct > 0 ? 'slower' : 'faster'} at the end than at the start`);
  const runs = summary.runs.map((run, i) => (summary.runs.length > 1 ? `run ${i + 1}: ${change(run.slowdownPct)}` : change(run.slowdownPct)));
  return `${summary.thermalDriftDetected ? 'detected' : 'none'} (${runs.join('; ')})`;
}

function LatencyCharts({ report }: { report: Report }) {
  const [raw, reload] = useAsync(() => apiJson<RawSamples>(`/v1/reports/${report.id}/raw-samples`), [report.id]);
  if (raw.state === 'error' && raw.error.status === 410)
    return (
      <Empty title="Raw samples deleted">
        <p>{raw.error.message}</p>
      </Empty>
    );
  return (
    <Loaded value={raw} what="raw samples" retry={reload}>
      {(r) => {
        const runs = latenciesPerRun(r);
        const l = report.summary.latency;
        return (
          <>
            <h3>Latency distribution</h3>
            <LatencyHistogram
              latenciesNs={runs.flat()}
              percentiles={[
                { label: 'p50', ns: l.p50Ns },
                { label: 'p90', ns: l.p90Ns },
                { label: 'p99', ns: l.p99Ns },
              ]}
            />
            <h3>Latency over time (warm-up, thermal drift)</h3>
            <LatencyOverTime runs={runs} />
          </>
        );
      }}
    </Loaded>
  );
}

/** A runner device's runner: the executable the host ran (measured) and what the runner says it is (claimed). */
function runnerRows(env: Report['environment']): [string, ReactNode][] {
  if (!env.runner) return [];
  const { executable, claimed } = env.runner;
  const device = claimed?.device;
  return [
    ['Runner executable', <code key="re" className="hash" title={executable.path}>{executable.sha256}</code>],
    [
      'Runner (claimed)',
      claimed
        ? `${claimed.runner.name} ${claimed.runner.version}${device ? ` · ${device.name}, firmware ${device.firmwareVersion ?? '—'}, driver ${device.driverVersion ?? '—'}` : ''} (claimed by the runner, not verified)`
        : 'nothing claimed',
    ],
  ];
}

/** The lab-asserted device identity against what the agent observed, with a badge when they disagree. */
function identityRows(identity: Report['deviceIdentity']): [string, ReactNode][] {
  if (!identity) return [];
  const label = { match: 'identity matches', mismatch: 'identity mismatch', unverified: 'identity unverified', 'not-asserted': 'identity not asserted' }[identity.status];
  return [
    [
      'Device identity',
      <span key="id">
        <span className={`badge badge-identity-${identity.status}`} data-testid="identity-badge">
          {label}
        </span>
        {identity.checks.map((c) => (
          <span key={c.field} className="muted">
            {' '}
            · {c.field}: lab {c.asserted}, observed {c.observed ?? 'not observable'}
            {c.result === 'mismatch' ? ' ✗' : c.result === 'match' ? ' ✓' : ''}
          </span>
        ))}
      </span>,
    ],
  ];
}

const STOP_REASONS: Record<string, string> = {
  converged: 'converged within the tolerance',
  'max-steps': 'step budget used',
  'qps-limit': 'rate limit reached',
  'no-passing-qps': 'no rate met the bound',
};

/** Why a step failed, in the summary's terms (a step can meet the bound and still fall behind its rate). */
function stepInvalidCauses(step: ServerSearchView['steps'][number]): string[] {
  return [!step.latencyBoundSatisfied && 'over the bound', !step.qpsSatisfied && 'rate not sustained', !step.earlyStoppingSatisfied && 'early stopping not met'].filter((c): c is string => c !== false);
}

/** Server runs with a rate search: each step's rate, what it achieved and its percentile latency against
 *  the bound, so a reader sees why the reported rate is the one it is (and that its own run is judged apart). */
function ServerSearchSection({ search, summary }: { search: ServerSearchView; summary: Report['summary'] }) {
  const bound = summary.server?.targetLatencyNs ?? null;
  return (
    <section data-testid="server-search">
      <h3>Server rate search</h3>
      <p className="muted">
        Started at {num(search.startQps, 3, 'QPS')} ({search.startSource === 'probe' ? 'serial probe' : 'given'}); {search.steps.length} of at most {search.maxSteps} steps;{' '}
        {search.foundQps === null ? 'no step met the bound' : `highest passing rate ${num(search.foundQps, 3, 'QPS')}`} ({STOP_REASONS[search.stopReason] ?? search.stopReason}). The reported run
        at {num(search.finalQps, 3, 'QPS')}
        {search.foundQps !== null && search.reportMarginPct ? ` (${search.reportMarginPct} % below it, for headroom)` : ''} is judged on its own: <StatusBadge status={summary.result} />
      </p>
      <div className="table-wrap">
        <table data-testid="server-search-steps">
          <thead>
            <tr>
              <th>Step</th>
              <th>Target QPS</th>
              <th>Achieved QPS</th>
              <th>
                p{summary.targetPercentile}
                {bound !== null ? ` vs ${ms(bound)}` : ''}
              </th>
              <th>Result</th>
            </tr>
          </thead>
          <tbody>
            {search.steps.map((step, i) => (
              <tr key={i} data-testid={`server-search-step-${i}`} data-result={step.result}>
                <td>{i + 1}</td>
                <td>{num(step.targetQps, 3)}</td>
                <td>{num(step.achievedQps, 1)}</td>
                <td>
                  {ms(step.percentileLatencyNs)} {step.latencyBoundSatisfied ? '≤' : '>'} bound
                </td>
                <td>
                  <StatusBadge status={step.result} />
                  {stepInvalidCauses(step).length > 0 && <span className="muted"> {stepInvalidCauses(step).join(', ')}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function ReportPage({ id }: { id: string }) {
  const [report, reload] = useAsync(() => apiJson<Report>(`/v1/reports/${id}`), [id]);
  const [certs] = useAsync(() => apiJson<{ items: { id: string; profileId: string; revokedAt: string | null }[] }>(`/v1/certificates?reportId=${id}`, { auth: false }), [id]);
  return (
    <Loaded value={report} what="report" retry={reload}>
      {(r) => (
        <section>
          <PageTitle sub={`${r.device.name} · ${r.summary.scenario} · recorded ${date(r.createdAt)}`}>
            {r.model.name}@{r.model.version} <StatusBadge status={r.summary.result} />
          </PageTitle>
          <div className="grid2">
            <KeyValues
              rows={[
                [`p${r.summary.targetPercentile} latency`, ms(r.summary.targetLatencyNs)],
                ['p50 / p90 / p99', `${ms(r.summary.latency.p50Ns)} / ${ms(r.summary.latency.p90Ns)} / ${ms(r.summary.latency.p99Ns)}`],
                ['Throughput', num(r.summary.qps, 1, '/s')],
                ['Queries / duration', `${r.summary.queryCount} / ${(r.summary.durationNs / 1e9).toFixed(1)} s`],
                ['Thermal drift', thermalDriftText(r.summary)],
                ['Energy / query', r.summary.power.measured ? num(r.summary.power.energyPerQueryMj, 3, 'mJ') : r.summary.power.reason],
                ['Peak memory', r.resourceUsage ? `${(r.resourceUsage.peakRssBytes / 2 ** 20).toFixed(1)} MiB` : 'not measured'],
              ]}
            />
            <KeyValues
              rows={[
                ['Device', <Link key="d" to={`/devices/${r.device.slug}`}>{r.device.name}</Link>],
                ['Runtime', r.environment.runtime ? `${r.environment.runtime.name} ${r.environment.runtime.version}, EP ${r.environment.runtime.executionProvider}` : '—'],
                [
                  'Harness build',
                  r.environment.harness ? (
                    <span key="h">
                      {r.environment.harness.version} <code className="hash" title="Digest of the harness files that ran">{r.environment.harness.sourceDigest.slice(0, 12)}</code>
                      {r.environment.harness.gitCommit ? ` · git ${r.environment.harness.gitCommit.slice(0, 10)}${r.environment.harness.gitDirty ? ' (modified)' : ''}` : ''}
                    </span>
                  ) : (
                    'not recorded'
                  ),
                ],
                ...runnerRows(r.environment),
                ...identityRows(r.deviceIdentity),
                ['Upload sha256', <code key="m" className="hash">{r.model.artifactDigest}</code>],
                ['Bundle digest', r.model.contentDigest ? <code key="b" className="hash" title="Canonical digest of the model's files, the same however they were packed">{r.model.contentDigest}</code> : 'not recorded (stored before bundle digests)'],
                ['Signed statement', r.statementDigest ? <code key="s" className="hash">{r.statementDigest}</code> : 'unsigned'],
                ['Raw samples', <a key="r" href={`/v1/reports/${r.id}/raw-samples`} download>download JSON</a>],
                [
                  'Certificates',
                  <Loaded key="c" value={certs} what="certificates">
                    {({ items }) =>
                      items.length === 0 ? (
                        'none'
                      ) : (
                        <>
                          {items.map((c) => (
                            <Link key={c.id} to={`/certificates/${c.id}`} className="chip">
                              {c.profileId}
                              {c.revokedAt ? ' (revoked)' : ''}
                            </Link>
                          ))}
                        </>
                      )
                    }
                  </Loaded>,
                ],
              ]}
            />
          </div>
          <LatencyCharts report={r} />
          {r.summary.serverSearch && <ServerSearchSection search={r.summary.serverSearch} summary={r.summary} />}
          <h3>Power trace</h3>
          <PowerSection report={r} />
          <h3>Per-operator profile</h3>
          {r.profile ? (
            <ProfileBars profile={r.profile} />
          ) : (
            <Empty title="Not profiled">
              <p>This report has no per-operator profile (the agent profiles onnxruntime runs; runner backends and failed profiling leave none).</p>
            </Empty>
          )}
          <p>
            <Link to={`/compare?a=${r.id}`}>Compare with another report…</Link>
          </p>
        </section>
      )}
    </Loaded>
  );
}

type Row = [string, (r: Report) => number | null, 'lower' | 'higher'];
const COMPARED: Row[] = [
  ['Target latency (ms)', (r) => r.summary.targetLatencyNs / 1e6, 'lower'],
  ['p50 (ms)', (r) => r.summary.latency.p50Ns / 1e6, 'lower'],
  ['p90 (ms)', (r) => r.summary.latency.p90Ns / 1e6, 'lower'],
  ['p99 (ms)', (r) => r.summary.latency.p99Ns / 1e6, 'lower'],
  ['Throughput (/s)', (r) => r.summary.qps, 'higher'],
  ['Energy / query (mJ)', (r) => (r.summary.power.measured ? r.summary.power.energyPerQueryMj : null), 'lower'],
  ['Peak memory (MiB)', (r) => (r.resourceUsage ? r.resourceUsage.peakRssBytes / 2 ** 20 : null), 'lower'],
];

export function ComparePage() {
  const { search } = useLocation();
  const a = search.get('a') ?? '';
  const b = search.get('b') ?? '';
  const [form, setForm] = useState({ a, b });
  const [pair, reload] = useAsync(async () => (a && b ? Promise.all([apiJson<Report>(`/v1/reports/${a}`), apiJson<Report>(`/v1/reports/${b}`)]) : null), [a, b]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/compare?a=${encodeURIComponent(form.a.trim())}&b=${encodeURIComponent(form.b.trim())}`);
  };
  return (
    <section>
      <PageTitle sub="Two reports side by side; deltas are B relative to A.">Compare reports</PageTitle>
      <form onSubmit={submit} className="inline-form">
        <label>
          Report A id
          <input value={form.a} onChange={(e) => setForm({ ...form, a: e.target.value })} required />
        </label>
        <label>
          Report B id
          <input value={form.b} onChange={(e) => setForm({ ...form, b: e.target.value })} required />
        </label>
        <button type="submit">Compare</button>
      </form>
      {pair.state === 'error' ? (
        <ErrorState error={pair.error} retry={reload} />
      ) : pair.state === 'ready' && pair.data ? (
        <div className="table-wrap">
          <table data-testid="compare-table" className="compare">
            <thead>
              <tr>
                <th scope="col">Figure</th>
                {pair.data.map((rep, i) => (
                  <th scope="col" key={rep.id}>
                    {i === 0 ? 'A' : 'B'}: <Link to={`/reports/${rep.id}`}>{`${rep.model.name}@${rep.model.version}`}</Link>
                    <div className="muted small">on {rep.device.name}</div>
                  </th>
                ))}
                <th scope="col">Δ (B vs A)</th>
              </tr>
            </thead>
            <tbody>
              {COMPARED.map(([label, get, better]) => {
                const va = get(pair.data![0]);
                const vb = get(pair.data![1]);
                const delta = va !== null && vb !== null && va !== 0 ? ((vb - va) / va) * 100 : null;
                const good = delta === null || delta === 0 ? '' : (delta < 0) === (better === 'lower') ? 'better' : 'worse';
                return (
                  <tr key={label}>
                    <th scope="row">{label}</th>
                    <td className="num" data-label="A">
                      {va === null ? 'not measured' : va.toFixed(3)}
                    </td>
                    <td className="num" data-label="B">
                      {vb === null ? 'not measured' : vb.toFixed(3)}
                    </td>
                    <td className={`num ${good}`} data-label="Δ (B vs A)">
                      {delta === null ? '—' : `${delta > 0 ? '+' : ''}${delta.toFixed(1)} %`}
                      {good && <span className="small"> ({good})</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : pair.state === 'loading' && a && b ? (
        <p role="status">Loading reports…</p>
      ) : (
        <Empty title="Pick two reports">
          <p>Paste two report ids (from a job's page or the leaderboard).</p>
        </Empty>
      )}
    </section>
  );
}

