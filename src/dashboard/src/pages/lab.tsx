import { useState, type FormEvent } from 'react';
import { ApiError, apiJson, postJson } from '../api';
import { Empty, ErrorState, Loaded, PageTitle, useAsync } from '../components';
import { Link, navigate } from '../router';
import type { TestbedHealth } from '../../../contracts/devices';
import type { Profile, ProfileList } from '../../../contracts/profiles';
import type { CertificateBundle } from '../../../contracts/certificates';


export function LabPage() {
  const [health, reloadHealth] = useAsync(() => apiJson<TestbedHealth>('/v1/lab/health'), []);
  const [profiles, reloadProfiles] = useAsync(() => apiJson<ProfileList>('/v1/profiles', { auth: false }), []);
  const [issue, setIssue] = useState({ reportId: '', profileId: '' });
  const [issueError, setIssueError] = useState<ApiError | null>(null);
  const submitIssue = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const bundle = await postJson<CertificateBundle>('/v1/certificates', issue);
      navigate(`/certificates/${bundle.certificateId}`);
    } catch (err) {
      setIssueError(err as ApiError);
    }
  };
  return (
    <section>
      <PageTitle sub="Agents, queues, certificates and profiles (certifier role).">Lab</PageTitle>
      <h2>Devices and agents</h2>
      <button type="button" onClick={reloadHealth}>
        Refresh
      </button>
      <Loaded value={health} what="testbed health" retry={reloadHealth}>
        {(h) =>
          h.devices.length === 0 ? (
            <Empty title="No devices registered" />
          ) : (
            <div className="table-wrap">
              <table data-testid="lab-health">
                <thead>
                  <tr>
                    <th scope="col">Device</th>
                    <th scope="col">Queued / running (DB)</th>
                    <th scope="col">Queue waiting / active / delayed</th>
                    <th scope="col">Agents (heartbeat age; online within {h.onlineWithinSeconds} s)</th>
                  </tr>
                </thead>
                <tbody>
                  {h.devices.map((d) => (
                    <tr key={d.slug}>
                      <td>
                        <Link to={`/devices/${d.slug}`}>{d.name}</Link>
                      </td>
                      <td className="num">
                        {d.jobs.queued} / {d.jobs.running}
                      </td>
                      <td className="num">{d.queue ? `${d.queue.waiting} / ${d.queue.active} / ${d.queue.delayed}` : 'queue unreachable'}</td>
                      <td>
                        {d.agents.length === 0
                          ? 'no agent'
                          : d.agents.map((a) => (
                              <div key={a.id} className={a.online ? 'ok' : 'bad'}>
                                {a.online ? '● online' : '○ offline'} {a.name}
                                {a.hostname ? ` on ${a.hostname}` : ''} — {a.heartbeatAgeSeconds === null ? 'never seen' : `${Math.round(a.heartbeatAgeSeconds)} s ago`}
                                {a.revoked ? ' (revoked)' : ''}
                              </div>
                            ))}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      <h2>Issue a certificate</h2>
      <form className="inline-form" onSubmit={(e) => void submitIssue(e)}>
        <label>
          Report id
          <input value={issue.reportId} onChange={(e) => setIssue({ ...issue, reportId: e.target.value.trim() })} required />
        </label>
        <label>
          Profile
          <select value={issue.profileId} onChange={(e) => setIssue({ ...issue, profileId: e.target.value })} required>
            <option value="">Choose…</option>
            {profiles.state === 'ready' &&
              profiles.data.items.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.id}
                </option>
              ))}
          </select>
        </label>
        <button type="submit">Issue</button>
      </form>
      {issueError && <ErrorState error={issueError} />}
      <p className="muted">To revoke, open the certificate (leaderboard or transparency log) and use its revoke form.</p>
      <h2>Certification profiles</h2>
      <NewProfileForm onCreated={reloadProfiles} />
      <Loaded value={profiles} what="profiles" retry={reloadProfiles}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty title="No profiles" />
          ) : (
            <ul className="cards">
              {items.map((p) => (
                <li key={p.id} className="card">
                  <h3>
                    {p.title} <span className="muted">({p.id})</span>
                  </h3>
                  <p>{p.description}</p>
                  <p className="muted small">
                    valid {p.validityDays} days{p.autoIssue ? ' · issued automatically' : ''}
                  </p>
                  <pre className="rules">{JSON.stringify(p.rules, null, 2)}</pre>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

/** Profiles are immutable: a changed rule set is published as a new version of the same name. */
function NewProfileForm({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ name: '', version: '1', title: '', description: '', rules: '{\n  "minQueryCount": 1024,\n  "requireValidResult": true\n}', validityDays: '365', autoIssue: false });
  const [error, setError] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      let rules: unknown;
      try {
        rules = JSON.parse(form.rules);
      } catch {
        throw new ApiError(400, 'client.invalid_json', 'The rules are not valid JSON.');
      }
      const profile = await postJson<Profile>('/v1/profiles', {
        name: form.name,
        version: Number(form.version),
        title: form.title,
        description: form.description,
        rules,
        validityDays: Number(form.validityDays),
        autoIssue: form.autoIssue,
      });
      setCreated(profile.id);
      onCreated();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <details className="card">
      <summary>Publish a new profile or profile version</summary>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <div className="inline-form">
          <label>
            Name
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required pattern="[a-z0-9][a-z0-9-]*" />
          </label>
          <label>
            Version
            <input type="number" min={1} value={form.version} onChange={(e) => setForm({ ...form, version: e.target.value })} required />
          </label>
          <label>
            Validity (days)
            <input type="number" min={1} max={1825} value={form.validityDays} onChange={(e) => setForm({ ...form, validityDays: e.target.value })} required />
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={form.autoIssue} onChange={(e) => setForm({ ...form, autoIssue: e.target.checked })} /> Issue automatically to passing reports
          </label>
        </div>
        <label>
          Title
          <input value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} required />
        </label>
        <label>
          Description
          <textarea rows={2} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
        </label>
        <label>
          Rules (JSON, see docs/certification.md)
          <textarea rows={6} value={form.rules} onChange={(e) => setForm({ ...form, rules: e.target.value })} spellCheck={false} required />
        </label>
        <button type="submit">Publish</button>
      </form>
      {created && <p role="status">Published {created}.</p>}
      {error && <ErrorState error={error} />}
    </details>
  );
}
