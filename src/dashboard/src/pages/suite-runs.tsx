// Suite runs in the dashboard: start one (a suite on a device, optionally the reduced preset) and follow it
// with progress per workload and scenario; once finished, the signed suite report's verdicts per workload.
// The page re-reads GET /v1/suite-runs/{id} whenever one of its jobs changes (the job event stream): a run is
// several jobs, and reading it also advances it.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { apiFetch, apiJson, postJson, ApiError } from '../api';
import { Loaded, PageTitle, StatusBadge, useAsync, date } from '../components';
import { Link, navigate } from '../router';
import { openEventStream } from '../sse';
import type { JobStreamEvents } from '../../../contracts/jobs';
import type { DeviceView } from '../../../contracts/devices';
import type { SuiteList } from '../../../contracts/suites';
import type { SuiteReport, SuiteRun } from '../../../contracts/suite-runs';

const pct = (x: number) => `${Math.round(x * 100)} %`;

export function NewSuiteRunPage() {
  const [suites] = useAsync(() => apiJson<SuiteList>('/v1/suites', { auth: false }), []);
  const [devices] = useAsync(() => apiJson<{ items: DeviceView[] }>('/v1/devices'), []);
  const [form, setForm] = useState({ suite: '', device: '', reducedPreset: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const run = await postJson<SuiteRun>('/v1/suite-runs', { suite: form.suite, device: form.device, ...(form.reducedPreset && { reducedPreset: form.reducedPreset }) });
      navigate(`/vendor/suite-runs/${run.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <PageTitle sub="Every workload and required scenario of a suite on one device, each with its accuracy pass, and one signed suite report.">Run a suite</PageTitle>
      <form className="card form" onSubmit={(e) => void submit(e)} data-testid="suite-run-form">
        <label>
          Suite
          <select required value={form.suite} onChange={(e) => setForm({ ...form, suite: e.target.value })} name="suite">
            <option value="">Choose a suite</option>
            {suites.state === 'ready' && suites.data.items.map((s) => <option key={s.id} value={s.id}>{`${s.id} — ${s.title}`}</option>)}
          </select>
        </label>
        <label>
          Device
          <select required value={form.device} onChange={(e) => setForm({ ...form, device: e.target.value })} name="device">
            <option value="">Choose a device</option>
            {devices.state === 'ready' && devices.data.items.map((d) => <option key={d.slug} value={d.slug}>{`${d.name} (${d.slug})`}</option>)}
          </select>
        </label>
        <label>
          Settings
          <select value={form.reducedPreset} onChange={(e) => setForm({ ...form, reducedPreset: e.target.value })} name="reducedPreset">
            <option value="">The suite's own (conforming)</option>
            <option value="smoke">Smoke preset (demo; the report says it does not conform)</option>
            <option value="quick">Quick preset (the report says it does not conform)</option>
          </select>
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Queuing…' : 'Run the suite'}
        </button>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}

/** The condition grid CSV. The API wants the key in a header, which a plain link cannot send, so the link
 *  fetches it and hands the browser the bytes as a download under the same name the API gives. */
function ConditionGridLink({ id }: { id: string }) {
  const [error, setError] = useState<string | null>(null);
  const path = `/v1/suite-runs/${id}/condition-grid.csv`;
  const download = async () => {
    setError(null);
    try {
      const blob = await (await apiFetch(path)).blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `suite-condition-grid-${id}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    }
  };
  return (
    <p>
      <a
        className="button"
        href={path}
        data-testid="suite-condition-grid-link"
        onClick={(e) => {
          e.preventDefault();
          void download();
        }}
      >
        Download the condition grid (CSV)
      </a>{' '}
      <span className="small">one row per workload × scenario, with the report's figures</span>
      {error && (
        <span className="error-text" role="alert">
          {' '}
          {error}
        </span>
      )}
    </p>
  );
}

function ReportSummary({ id }: { id: string }) {
  const [report, reload] = useAsync(() => apiJson<SuiteReport>(`/v1/suite-runs/${id}/report`), [id]);
  return (
    <Loaded value={report} what="the suite report" retry={reload}>
      {(r) => (
        <article className="card" data-testid="suite-report">
          <h3>Signed suite report</h3>
          <p className="small">
            Statement <code className="hash">sha256:{r.statementDigest}</code> over {r.predicate.workloads.reduce((n, w) => n + w.scenarios.length, 0)} workload reports and the suite digest.
          </p>
          <ConditionGridLink id={id} />
          <ul>
            {r.predicate.workloads.map((w) => (
              <li key={w.id} data-testid={`suite-report-${w.id}`} data-status={w.status}>
                <strong>{w.id}</strong>: {w.status}
                {w.model && ` · ${w.model.division} division`}
                {w.quality &&
                  (w.quality.measured
                    ? ` · ${w.quality.metric} ${w.quality.candidate} vs reference ${w.quality.reference}: ${w.quality.meetsTarget ? 'meets' : 'misses'} the target`
                    : ` · quality ${w.quality.note ?? 'not measured'}`)}
              </li>
            ))}
          </ul>
        </article>
      )}
    </Loaded>
  );
}

/** While the run is RUNNING: re-read it on every change of one of its jobs (progress, phase, status), from the
 *  job event stream, coalescing bursts. A resubmitted entry has a new job, which changes `jobIds` and so
 *  reopens the stream with it; a slow re-read covers a stream that cannot connect. */
function useLiveSuiteRun(jobIds: string | null, reload: () => void): void {
  useEffect(() => {
    if (jobIds === null) return;
    const watched = new Set(jobIds.split(','));
    let pending: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        reload();
      }, 250);
    };
    const close = openEventStream<JobStreamEvents>('/v1/jobs/events', ['job'], {
      onEvent: (message) => {
        if (message.event === 'job' && watched.has(message.data.id)) soon();
      },
    });
    const fallback = setInterval(reload, 15_000);
    return () => {
      close();
      clearInterval(fallback);
      if (pending) clearTimeout(pending);
    };
  }, [jobIds, reload]);
}

export function SuiteRunPage({ id }: { id: string }) {
  const [run, reload] = useAsync(() => apiJson<SuiteRun>(`/v1/suite-runs/${id}`), [id]);
  // The jobs to watch, kept while a re-read is on its way so the stream stays open.
  const watched = useRef<string | null>(null);
  if (run.state === 'ready') watched.current = run.data.status === 'RUNNING' ? run.data.workloads.flatMap((w) => w.entries.map((e) => e.jobId)).join(',') : null;
  useLiveSuiteRun(watched.current, reload);
  return (
    <section>
      <PageTitle sub="Each workload × scenario is one job on the device; a job lost with its agent is queued again, and finished ones are never rerun.">Suite run</PageTitle>
      <Loaded value={run} what={`suite run ${id}`} retry={reload}>
        {(r) => (
          <div data-testid="suite-run" data-status={r.status}>
            <p>
              <code>{r.suite.id}</code> on <Link to={`/devices/${r.device}`}>{r.device}</Link> · started {date(r.createdAt)} · <StatusBadge status={r.status} /> {pct(r.progress)}
            </p>
            {!r.conforming && (
              <div className="card warning" data-testid="suite-run-deviations">
                <strong>Does not conform to the suite:</strong>
                <ul>
                  {r.deviations.map((d) => (
                    <li key={d}>{d}</li>
                  ))}
                </ul>
              </div>
            )}
            <ul className="jobs">
              {r.workloads.map((w) => (
                <li key={w.id} className="card" data-testid={`suite-run-workload-${w.id}`}>
                  <label className="progress-label">
                    <strong>{w.id}</strong> ({pct(w.progress)})
                    <progress max={1} value={w.progress} />
                  </label>
                  <ul className="small">
                    {w.entries.map((e) => (
                      <li key={e.scenario} data-testid={`suite-run-entry-${w.id}-${e.scenario}`} data-status={e.status}>
                        {e.scenario}: <StatusBadge status={e.status} /> {e.phase ?? ''} {pct(e.progress)}
                        {e.jobs > 1 && ` · resubmitted (${e.jobs} jobs)`}
                        {e.error && <span className="error-text"> {e.error.code}: {e.error.message}</span>}
                        {e.reportId && (
                          <>
                            {' '}
                            · <Link to={`/reports/${e.reportId}`}>report</Link>
                          </>
                        )}
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
            {r.status === 'FINISHED' && <ReportSummary id={r.id} />}
          </div>
        )}
      </Loaded>
    </section>
  );
}
