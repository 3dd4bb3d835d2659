import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, apiJson, postJson } from '../api';
import { Empty, ErrorState, Loaded, PageTitle, StatusBadge, date, useAsync } from '../components';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session-context';
import { openEventStream } from '../sse';
import type { DeviceView } from '../../../contracts/devices';
import type { Job, JobStreamEvents } from '../../../contracts/jobs';
import type { ModelPage } from '../../../contracts/models';
import { isTerminalJobStatus, SCENARIOS, SUITE_PRESET_NAMES } from '../../../contracts/job-vocabulary';

export function LoginPage() {
  const { signIn, me, signOut } = useSession();
  const { search } = useLocation();
  const [key, setKey] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const who = await signIn(key.trim());
      setKey('');
      navigate(search.get('next') ?? (who.role === 'VENDOR' ? '/vendor/jobs' : '/lab'));
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  if (me)
    return (
      <section>
        <PageTitle>Signed in</PageTitle>
        <p>
          {me.org.name} as {me.role.toLowerCase()}.{' '}
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </p>
      </section>
    );
  return (
    <section className="narrow">
      <PageTitle sub="Your key stays in this tab's session storage and is sent only in the Authorization header. Closing the tab signs you out.">Sign in</PageTitle>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label>
          API key
          <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder="npb_…" required name="apiKey" />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {error && <ErrorState error={error} />}
    </section>
  );
}

export function ModelsPage() {
  const [models, reload] = useAsync(() => apiJson<ModelPage>('/v1/models?mine=true&limit=200'), []);
  return (
    <section>
      <PageTitle sub="Models your organization uploaded (npubench submit, or POST /v1/models).">My models</PageTitle>
      <Loaded value={models} what="models" retry={reload}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty title="No models yet">
              <p>
                Upload one with <code>npubench submit model.onnx --device host-cpu</code> or POST /v1/models.
              </p>
            </Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">Task</th>
                    <th scope="col">Visibility</th>
                    <th scope="col">Uploaded</th>
                    <th scope="col" />
                  </tr>
                </thead>
                <tbody>
                  {items.map((m) => (
                    <tr key={m.id}>
                      <td>{`${m.name}@${m.version}`}</td>
                      <td>{m.task ?? '—'}</td>
                      <td>{m.visibility.toLowerCase()}</td>
                      <td>{date(m.createdAt)}</td>
                      <td>
                        <Link to={`/vendor/submit?model=${m.id}`}>Benchmark…</Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}

/** "smoke preset", "smoke preset, changed: minQueryCount", or "custom suite". */
export function presetText(suite: Job['suite']): string {
  if (!suite.preset) return 'custom suite';
  if (suite.preset === 'custom' && suite.basedOn) return `${suite.basedOn} preset, changed: ${(suite.overriddenFields ?? []).join(', ')}`;
  return `${suite.preset} preset`;
}

/** Jobs of the signed-in organization, kept live by the SSE stream. */
export function JobsPage() {
  const [jobs, setJobs] = useState<Map<string, Job>>(new Map());
  const [connection, setConnection] = useState<{ state: string; detail?: string }>({ state: 'connecting' });
  const [loaded, setLoaded] = useState(false);
  useEffect(
    () =>
      openEventStream<JobStreamEvents>('/v1/jobs/events', ['snapshot', 'job'], {
        onEvent(message) {
          if (message.event === 'snapshot') {
            setJobs(new Map(message.data.items.map((j) => [j.id, j])));
            setLoaded(true);
          } else {
            const job = message.data;
            setJobs((prev) => {
              const known = prev.get(job.id);
              // Events can arrive out of order around a reconnect; a finished job never goes back to running.
              if (known && isTerminalJobStatus(known.status) && !isTerminalJobStatus(job.status)) return prev;
              return new Map(prev).set(job.id, { ...known, ...job });
            });
          }
        },
        onState: (state, detail) => setConnection({ state, ...(detail !== undefined && { detail }) }),
      }),
    [],
  );
  const list = [...jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  // Jobs carry ids; the cards name the model and device the way the rest of the dashboard does.
  const [models] = useAsync(() => apiJson<ModelPage>('/v1/models?limit=200'), []);
  const [devices] = useAsync(() => apiJson<{ items: DeviceView[] }>('/v1/devices'), []);
  const modelName = (id: string) => {
    const m = models.state === 'ready' ? models.data.items.find((x) => x.id === id) : undefined;
    return m ? `${m.name}@${m.version}` : `model ${id.slice(0, 8)}`;
  };
  const deviceName = (slug: string | undefined) => (devices.state === 'ready' ? devices.data.items.find((d) => d.slug === slug)?.name : undefined) ?? slug ?? 'unknown device';
  return (
    <section>
      <PageTitle sub="Progress arrives live from the agents over server-sent events.">My jobs</PageTitle>
      <p className={`connection connection-${connection.state}`} role="status" data-testid="sse-state">
        Live updates: {connection.state === 'open' ? 'connected' : connection.state === 'retrying' ? `reconnecting (${connection.detail ?? ''})` : 'connecting…'}
      </p>
      <p>
        <Link to="/vendor/submit" className="button">
          Submit a job
        </Link>
      </p>
      {!loaded ? (
        <p role="status">Loading jobs…</p>
      ) : list.length === 0 ? (
        <Empty title="No jobs yet">
          <p>Submit one to see its progress here.</p>
        </Empty>
      ) : (
        <ul className="jobs" data-testid="jobs">
          {list.map((j) => (
            <li key={j.id} className="card" data-testid={`job-${j.id}`} data-status={j.status}>
              <div className="job-head">
                <StatusBadge status={j.status} />
                <h3>
                  {modelName(j.modelId)} <span className="muted">on</span> {deviceName(j.device)}
                </h3>
              </div>
              <p className="muted small job-meta">
                {presetText(j.suite)}
                {j.suite?.scenario ? ` · ${j.suite.scenario}` : ''} · submitted {date(j.createdAt)}
              </p>
              <label className="progress-label">
                {j.phase ?? 'waiting'} ({Math.round(j.progress * 100)} %)
                <progress max={1} value={j.progress} />
              </label>
              {j.error && (
                <p className="error-text">
                  {j.error.code}: {j.error.message}
                </p>
              )}
              {j.reportId && (
                <p>
                  <Link to={`/reports/${j.reportId}`} data-testid="job-report-link">
                    Open the report
                  </Link>
                </p>
              )}
              <p className="muted small">job {j.id}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function SubmitPage() {
  const { search } = useLocation();
  const [models] = useAsync(() => apiJson<ModelPage>('/v1/models?limit=200'), []);
  const [devices] = useAsync(() => apiJson<{ items: DeviceView[] }>('/v1/devices'), []);
  const [form, setForm] = useState({ modelId: search.get('model') ?? '', device: '', preset: 'smoke', scenario: 'single-stream', extra: '' });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      let extra: Record<string, unknown> = {};
      if (form.extra.trim()) {
        try {
          extra = JSON.parse(form.extra) as Record<string, unknown>;
        } catch {
          throw new ApiError(400, 'client.invalid_json', 'Extra suite fields must be a JSON object.');
        }
      }
      await postJson<Job>('/v1/jobs', { modelId: form.modelId, device: form.device, suite: { preset: form.preset, scenario: form.scenario, ...extra } });
      navigate('/vendor/jobs');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="narrow">
      <PageTitle sub="Queue a benchmark of one of your models on a device. The lab's agent for that device runs it.">Submit a job</PageTitle>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label>
          Model
          <select required value={form.modelId} onChange={(e) => setForm({ ...form, modelId: e.target.value })} name="model">
            <option value="">Choose a model…</option>
            {models.state === 'ready' &&
              models.data.items.map((m) => (
                <option key={m.id} value={m.id}>
                  {`${m.name}@${m.version}`}
                </option>
              ))}
          </select>
        </label>
        {models.state === 'ready' && models.data.items.length === 0 && <p className="muted">No models yet: upload one first (see My models).</p>}
        <label>
          Device
          <select required value={form.device} onChange={(e) => setForm({ ...form, device: e.target.value })} name="device">
            <option value="">Choose a device…</option>
            {devices.state === 'ready' &&
              devices.data.items.map((d) => (
                <option key={d.slug} value={d.slug}>
                  {d.name} ({d.slug})
                </option>
              ))}
          </select>
        </label>
        <label>
          Suite preset
          <select value={form.preset} onChange={(e) => setForm({ ...form, preset: e.target.value })} name="preset">
            {SUITE_PRESET_NAMES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Scenario
          <select value={form.scenario} onChange={(e) => setForm({ ...form, scenario: e.target.value })} name="scenario">
            {SCENARIOS.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Extra suite fields (JSON, optional)
          <textarea rows={3} value={form.extra} onChange={(e) => setForm({ ...form, extra: e.target.value })} placeholder='{"minQueryCount": 64}' spellCheck={false} name="extra" />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit'}
        </button>
      </form>
      {(models.state === 'error' || devices.state === 'error') && <ErrorState error={models.state === 'error' ? models.error : (devices as { error: ApiError }).error} />}
      {error && (
        <div className="state error" role="alert">
          <h2>The job was not accepted</h2>
          <p>{error.message}</p>
          <p className="muted">Code: {error.code}</p>
        </div>
      )}
    </section>
  );
}
