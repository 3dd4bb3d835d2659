import { lazy, Suspense } from 'react';
import { apiJson } from '../api';
import { Empty, KeyValues, Loaded, Loading, PageTitle, useAsync, ms } from '../components';
import { Link, useLocation } from '../router';
import { LeaderboardPage, type LeaderboardRow } from './leaderboard';
import { useSession, isLab } from '../session-context';
import type { DeviceStatus, DeviceView } from '../../../contracts/devices';

const EChart = lazy(() => import('../charts').then((m) => ({ default: m.EChart })));


export function DevicesPage() {
  const { me } = useSession();
  const [devices, reload] = useAsync(() => apiJson<{ items: DeviceView[] }>('/v1/devices'), [me?.keyId]);
  return (
    <section>
      <PageTitle sub="The hardware under test. Each device's page shows its certified results.">Devices</PageTitle>
      <Loaded value={devices} what="devices" retry={reload}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty title="No devices yet">
              <p>The lab registers devices with POST /v1/devices{isLab(me) ? '' : ' (certifier role)'}.</p>
            </Empty>
          ) : (
            <ul className="cards">
              {items.map((d) => (
                <li key={d.slug} className="card">
                  <h2>
                    <Link to={`/devices/${d.slug}`}>{d.name}</Link>
                  </h2>
                  <p className="muted">
                    {d.manufacturer}
                    {d.soc ? ` · ${d.soc}` : ''}
                    {d.npu ? ` · ${d.npu}` : ''} · EP {d.executionProvider}
                  </p>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

const DAY_MS = 86_400_000;

/** From the day before the first date to the day after the last, at UTC midnight. */
function dayRange(times: number[]): { min: number; max: number } {
  return { min: Math.floor(Math.min(...times) / DAY_MS) * DAY_MS - DAY_MS, max: Math.ceil(Math.max(...times) / DAY_MS) * DAY_MS + DAY_MS };
}

export function DevicePage({ slug }: { slug: string }) {
  // The history follows the leaderboard's switch for smoke-test and demo results below it.
  const demo = useLocation().search.get('demo') === 'show' ? 'show' : 'hide';
  const [device, reload] = useAsync(() => apiJson<DeviceView>(`/v1/devices/${encodeURIComponent(slug)}`), [slug]);
  const [status] = useAsync(() => apiJson<DeviceStatus>(`/v1/devices/${encodeURIComponent(slug)}/status`), [slug]);
  const [history] = useAsync(() => apiJson<{ items: LeaderboardRow[] }>(`/v1/leaderboard?device=${encodeURIComponent(slug)}&sort=issuedAt&order=asc&limit=200&demo=${demo}`, { auth: false }), [slug, demo]);
  return (
    <Loaded value={device} what="device" retry={reload}>
      {(d) => (
        <section>
          <PageTitle sub={`${d.manufacturer}${d.soc ? ` · ${d.soc}` : ''}`}>{d.name}</PageTitle>
          <div className="grid2">
            <div>
              <h2>Specification</h2>
              <KeyValues
                rows={[
                  ['Slug', d.slug],
                  ['Manufacturer', d.manufacturer],
                  ['SoC', d.soc ?? '—'],
                  ['NPU', d.npu ?? '—'],
                  ['Backend', d.backendKind],
                  ['Execution provider', d.executionProvider],
                  ['Power meter', d.measuresPower ? 'configured' : 'none: energy is not measured'],
                ]}
              />
            </div>
            <div>
              <h2>Agents</h2>
              <Loaded value={status} what="agent status">
                {(s) => (
                  <KeyValues
                    rows={[
                      ['Agents online', <strong key="o" data-testid="agents-online">{`${s.agentsOnline} of ${s.agents}`}</strong>],
                      ['Last heartbeat', s.lastHeartbeatAgeSeconds === null ? 'never' : `${Math.round(s.lastHeartbeatAgeSeconds)} s ago`],
                      ['Jobs queued / running', `${s.queued} / ${s.running}`],
                    ]}
                  />
                )}
              </Loaded>
            </div>
          </div>
          <h2>Certified results over time</h2>
          <Loaded value={history} what="results">
            {({ items }) =>
              items.length === 0 ? (
                <Empty title="No certified results on this device yet">{demo === 'hide' && <p>Smoke-test and demo results are hidden; the switch below shows them.</p>}</Empty>
              ) : (
                <Suspense fallback={<Loading what="chart" />}>
                  <EChart
                    label={`Target latency of ${items.length} certified results on this device by issue date`}
                    testId="chart-device-history"
                    option={{
                      grid: { left: 16, right: 40, top: 20, bottom: 16, outerBoundsMode: 'same', outerBoundsContain: 'all' },
                      tooltip: { trigger: 'item', formatter: (p: { data: { name: string } }) => p.data.name },
                      // Whole days: results are certified days apart, and a single one must not
                      // give an axis of hours or milliseconds around it.
                      xAxis: { type: 'time', ...dayRange(items.map((r) => Date.parse(r.issuedAt))), minInterval: DAY_MS, axisLabel: { formatter: '{yyyy}-{MM}-{dd}', hideOverlap: true } },
                      yAxis: { type: 'value', name: 'target latency (ms)', nameLocation: 'middle', nameRotate: 90, nameGap: 45, scale: true },
                      series: [{ type: 'scatter', symbolSize: 8, data: items.map((r) => ({ name: `${r.model.name}@${r.model.version}: ${ms(r.targetLatencyNs)}`, value: [r.issuedAt, r.targetLatencyNs / 1e6] })) }],
                    }}
                  />
                </Suspense>
              )
            }
          </Loaded>
          <h2>Leaderboard on this device</h2>
          <LeaderboardPage fixedDevice={slug} />
        </section>
      )}
    </Loaded>
  );
}
