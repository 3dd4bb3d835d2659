import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { apiJson } from '../api';
import { Empty, ErrorState, Loading, ms, num, PageTitle, useAsync, date } from '../components';
import { Link, navigate, useLocation } from '../router';
import type { ApiError } from '../api';
import type { LeaderboardFacets as Facets, LeaderboardPage as Page, LeaderboardRow } from '../../../contracts/leaderboard';

const ParetoChart = lazy(() => import('../charts').then((m) => ({ default: m.ParetoChart })));

export type { LeaderboardRow };

const FILTERS = [
  ['profile', 'Profile', 'profiles'],
  ['task', 'Task', 'tasks'],
  ['device', 'Device', 'devices'],
  ['vendor', 'Vendor', 'vendors'],
  ['precision', 'Precision', 'precisions'],
  ['ep', 'Execution provider', 'executionProviders'],
] as const;

// The figures, each sortable. On a phone each row is a card and these show as "label: value" pairs.
const COLUMNS: { key: string; label: string; render: (r: LeaderboardRow) => string }[] = [
  { key: 'targetLatencyNs', label: 'Target latency', render: (r) => ms(r.targetLatencyNs) },
  { key: 'p50Ns', label: 'p50', render: (r) => ms(r.p50Ns) },
  { key: 'p99Ns', label: 'p99', render: (r) => ms(r.p99Ns) },
  { key: 'qps', label: 'Throughput', render: (r) => num(r.qps, 1, '/s') },
  { key: 'energyPerInferenceMj', label: 'Energy / inference', render: (r) => num(r.energyPerInferenceMj, 3, 'mJ') },
  { key: 'accuracy', label: 'Accuracy', render: (r) => (r.accuracy === null ? '—' : r.accuracy.toFixed(4)) },
];
const SORTS: [string, string][] = [...COLUMNS.map((c) => [c.key, c.label] as [string, string]), ['issuedAt', 'Issue date']];

export function LeaderboardPage({ fixedDevice }: { fixedDevice?: string }) {
  const { search } = useLocation();
  const query = useMemo(() => {
    const q = new URLSearchParams();
    for (const key of [...FILTERS.map(([k]) => k), 'workload']) {
      const v = key === 'device' && fixedDevice ? fixedDevice : search.get(key);
      if (v) q.set(key, v);
    }
    q.set('sort', search.get('sort') ?? 'targetLatencyNs');
    if (search.get('order')) q.set('order', search.get('order')!);
    if (search.get('demo') === 'show') q.set('demo', 'show');
    q.set('limit', '50');
    return q.toString();
  }, [search, fixedDevice]);
  const [facets] = useAsync(() => apiJson<Facets>('/v1/leaderboard/facets', { auth: false }), []);
  const [rows, setRows] = useState<LeaderboardRow[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [state, setState] = useState<{ loading: boolean; error: ApiError | null }>({ loading: true, error: null });
  const [order, setOrder] = useState<'asc' | 'desc'>('asc');

  const load = async (cursor: string | null) => {
    setState({ loading: true, error: null });
    try {
      const page = await apiJson<Page>(`/v1/leaderboard?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { auth: false });
      setRows((prev) => (cursor ? [...prev, ...page.items] : page.items));
      setNext(page.nextCursor);
      setOrder(page.order);
      setState({ loading: false, error: null });
    } catch (err) {
      setState({ loading: false, error: err as ApiError });
    }
  };
  useEffect(() => {
    void load(null);
  }, [query]);

  const setParam = (key: string, value: string) => {
    const q = new URLSearchParams(search);
    if (value) q.set(key, value);
    else q.delete(key);
    if (key === 'sort') q.delete('order');
    navigate(`${window.location.pathname}?${q.toString()}`, true);
  };
  const sort = search.get('sort') ?? 'targetLatencyNs';
  const showDemo = search.get('demo') === 'show';
  const hiddenDemo = !showDemo && facets.state === 'ready' ? facets.data.demoResults : 0;
  // The API answers one ranking per workload, workload after workload: rank numbers restart in each.
  const groups = useMemo(() => {
    const out: { workload: LeaderboardRow['workload']; rows: LeaderboardRow[] }[] = [];
    for (const r of rows) {
      const last = out.at(-1);
      if (last && last.workload.id === r.workload.id) last.rows.push(r);
      else out.push({ workload: r.workload, rows: [r] });
    }
    return out;
  }, [rows]);
  const sortBy = (key: string) => {
    if (key === sort) setParam('order', order === 'asc' ? 'desc' : 'asc');
    else setParam('sort', key);
  };

  return (
    <section>
      {!fixedDevice && <PageTitle sub="Every row is a valid, unrevoked certificate with the figures of the report it certifies.">Leaderboard of certified results</PageTitle>}
      <form className="filters" aria-label="Filter the leaderboard" onSubmit={(e) => e.preventDefault()}>
        {FILTERS.filter(([key]) => !(fixedDevice && key === 'device')).map(([key, label, facet]) => (
          <label key={key}>
            {label}
            <select value={search.get(key) ?? ''} onChange={(e) => setParam(key, e.target.value)} name={key}>
              <option value="">All</option>
              {(facets.state === 'ready' ? facets.data[facet] : []).map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
        ))}
        <label>
          Workload
          <select value={search.get('workload') ?? ''} onChange={(e) => setParam('workload', e.target.value)} name="workload">
            <option value="">All, one ranking each</option>
            {(facets.state === 'ready' ? facets.data.workloads : []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort by
          <select value={sort} onChange={(e) => setParam('sort', e.target.value)} name="sort">
            {SORTS.map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={showDemo} onChange={(e) => setParam('demo', e.target.checked ? 'show' : '')} name="demo" />
          Show demo and smoke-test results{hiddenDemo > 0 ? ` (${hiddenDemo} hidden)` : ''}
        </label>
      </form>
      {state.error && rows.length === 0 ? (
        <ErrorState error={state.error} retry={() => void load(null)} />
      ) : rows.length === 0 && state.loading ? (
        <Loading what="certified results" />
      ) : rows.length === 0 ? (
        <Empty title="No certified results yet">
          <p>Results appear here once a report passes a certification profile and the lab issues its certificate.{search.toString() ? ' Try removing some filters.' : ''}</p>
          {hiddenDemo > 0 && (
            <p>
              {hiddenDemo === 1 ? '1 demo or smoke-test result is hidden' : `${hiddenDemo} demo or smoke-test results are hidden`}: they prove the service works, not the device. Tick “Show demo and smoke-test results” above to see them.
            </p>
          )}
        </Empty>
      ) : (
        <>
          {groups.length === 1 && groups[0] && (
            <p className="muted small" data-testid="leaderboard-workload">
              Ranking for workload: {groups[0].workload.label}
            </p>
          )}
          <div className="table-wrap">
            <table className="leaderboard" data-testid="leaderboard-table">
              <caption className="visually-hidden">Certified results, one ranking per workload, sorted by {COLUMNS.find((c) => c.key === sort)?.label ?? 'issue date'}</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Model</th>
                  <th scope="col">Device / vendor</th>
                  {COLUMNS.map((c) => (
                    <th key={c.key} scope="col" aria-sort={sort === c.key ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}>
                      <button type="button" className="sort" onClick={() => sortBy(c.key)}>
                        {c.label}
                        {sort === c.key ? (order === 'asc' ? ' ▲' : ' ▼') : ''}
                      </button>
                    </th>
                  ))}
                  <th scope="col">Certificate</th>
                </tr>
              </thead>
              {groups.map((g) => (
                <tbody key={g.workload.id}>
                  {groups.length > 1 && (
                    <tr className="workload-heading">
                      <th scope="rowgroup" colSpan={COLUMNS.length + 4}>
                        Workload: {g.workload.label}
                        <span className="muted small"> · a ranking of its own</span>
                      </th>
                    </tr>
                  )}
                  {g.rows.map((r, i) => (
                    <tr key={r.certificateId} className={r.demo ? 'demo-row' : undefined}>
                      <td className="rank">{i + 1}</td>
                      <td className="model">
                        {r.reportId ? <Link to={`/reports/${r.reportId}`}>{`${r.model.name}@${r.model.version}`}</Link> : `${r.model.name}@${r.model.version}`}
                        {r.demo && (
                          <>
                            {' '}
                            <span className="badge badge-demo" data-testid="demo-badge" title="A smoke test or demo: it proves the service works, not the device">
                              smoke test / demo
                            </span>
                          </>
                        )}
                        <div className="muted small">
                          {r.profileId} · {r.scenario}
                          {r.task ? ` · ${r.task}` : ''}
                        </div>
                        <div className="muted small">
                          {r.precision} / {r.executionProvider}
                        </div>
                      </td>
                      <td className="device">
                        <Link to={`/devices/${r.device.slug}`}>{r.device.name}</Link>
                        <div className="muted small">{r.vendor}</div>
                      </td>
                      {COLUMNS.map((c) => (
                        <td key={c.key} className="num" data-label={c.label} title={c.key === 'accuracy' && r.accuracy === null ? 'not measured' : undefined}>
                          {c.render(r)}
                        </td>
                      ))}
                      <td className="cert">
                        <Link to={`/certificates/${r.certificateId}`} aria-label={`Certificate issued ${date(r.issuedAt)}`}>
                          view
                        </Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              ))}
            </table>
          </div>
          <p className="muted small">— : not measured (no power meter on the device, or no accuracy run).</p>
          {state.error && <ErrorState error={state.error} retry={() => void load(next)} />}
          {next && (
            <button type="button" onClick={() => void load(next)} disabled={state.loading}>
              {state.loading ? 'Loading…' : 'Load more'}
            </button>
          )}
          <h2>Pareto view</h2>
          {groups.length === 1 ? (
            <ParetoSection rows={rows} />
          ) : (
            <Empty title="Pick a workload for the Pareto view">
              <p>A Pareto view compares results of one workload; these rows measure {groups.length} workloads. Choose one in “Workload” above.</p>
            </Empty>
          )}
        </>
      )}
    </section>
  );
}

function ParetoSection({ rows }: { rows: LeaderboardRow[] }) {
  const points = rows.map((r) => ({ label: `${r.model.name}@${r.model.version} on ${r.device.name}`, latencyMs: r.targetLatencyNs / 1e6, energyMj: r.energyPerInferenceMj, accuracy: r.accuracy }));
  const placed = points.filter((p) => p.energyMj !== null || p.accuracy !== null).length;
  if (placed < 2)
    return (
      <Empty title="Not enough data for a Pareto view">
        <p>
          The Pareto view plots latency against energy per inference (and accuracy once reports carry it). {points.length - placed} of {points.length} results shown have neither: power was not measured.
        </p>
      </Empty>
    );
  return (
    <Suspense fallback={<Loading what="chart" />}>
      <p className="muted">
        {points.some((p) => p.accuracy !== null) ? 'Frontier on latency and accuracy (and energy where measured).' : 'No accuracy in these reports yet: the frontier is drawn on latency and energy per inference.'}{' '}
        {points.length - placed} result(s) without the data are left out.
      </p>
      <ParetoChart points={points} />
    </Suspense>
  );
}

export default LeaderboardPage;
