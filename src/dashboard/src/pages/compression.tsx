import { useState, type FormEvent } from 'react';
import { apiJson } from '../api';
import { Empty, ErrorState, PageTitle, ms, useAsync } from '../components';
import { Link, navigate, useLocation } from '../router';
import type { CompressionRun, CompressionView } from '../../../contracts/compression';

const ratio = (v: number, digits = 2) => `${v.toFixed(digits)}×`;
const interval = (ci: [number, number] | null, fmt: (v: number) => string) => (ci ? `95 % CI ${fmt(ci[0])} – ${fmt(ci[1])}` : 'no raw samples');
const pct = (v: number) => `${(v * 100).toFixed(2)} %`;

function RunCell({ run }: { run: CompressionRun }) {
  return (
    <>
      <Link to={`/reports/${run.reportId}`}>{`${run.name}@${run.version}`}</Link>
      <div className="muted small">
        {run.scenario}, {run.result}, {run.queries} queries
      </div>
      <span className={run.division === 'closed' ? 'badge' : 'badge badge-demo'}>{run.division} division</span>
      {run.variantTechnique && <span className="badge">{run.variantTechnique}</span>}
    </>
  );
}

function CompressionTable({ view }: { view: CompressionView }) {
  const ref = view.reference;
  if (!ref)
    return (
      <Empty title="The reference has not run on this device">
        <p>Benchmark the reference model on {view.device} first; variants are compared with its run.</p>
      </Empty>
    );
  return (
    <div className="table-wrap">
      <table data-testid="compression-table" className="compression">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Median latency</th>
            <th scope="col">Speedup vs reference</th>
            <th scope="col">Size</th>
            <th scope="col">Energy / query</th>
            <th scope="col">Quality retained</th>
          </tr>
        </thead>
        <tbody>
          <tr className="reference">
            <th scope="row">
              <RunCell run={ref} />
              <span className="badge">reference</span>
            </th>
            <td className="num" data-label="Median latency">
              {ms(ref.medianLatencyNs)}<span className="small">{interval(ref.medianLatencyCi95Ns, (x) => ms(x, 4))}</span>
            </td>
            <td className="num" data-label="Speedup">1×</td>
            <td className="num" data-label="Size">{(ref.sizeBytes / 1024).toFixed(1)} KiB</td>
            <td className="num" data-label="Energy / query">{ref.energyPerQueryMj === null ? <span title={ref.energyNotMeasured ?? ''}>not measured</span> : `${ref.energyPerQueryMj.toFixed(3)} mJ`}</td>
            <td className="num" data-label="Quality">100 % (FP32)</td>
          </tr>
          {view.variants.map((v) => (
            <tr key={v.run.reportId} data-testid="compression-variant">
              <th scope="row">
                <RunCell run={v.run} />
              </th>
              <td className="num" data-label="Median latency">
                {ms(v.run.medianLatencyNs)}<span className="small">{interval(v.run.medianLatencyCi95Ns, (x) => ms(x, 4))}</span>
              </td>
              <td className="num" data-label="Speedup">
                {ratio(v.speedup)}
                <span className="small">{interval(v.speedupCi95, (x) => ratio(x, 3))}</span>
                {v.indistinguishable === false && <span className="small">{v.speedup > 1 ? 'faster' : 'slower'} than the reference</span>}
                {v.indistinguishable && (
                  <span className="badge badge-demo" title="The medians' 95 % intervals overlap: no measured speed difference">
                    indistinguishable
                  </span>
                )}
              </td>
              <td className="num" data-label="Size">
                {ratio(v.sizeRatio)}
                <span className="small">{(v.run.sizeBytes / 1024).toFixed(1)} KiB</span>
              </td>
              <td className="num" data-label="Energy / query">
                {v.energyRatio === null ? <span title={v.energyNotMeasured ?? ''}>not measured</span> : ratio(v.energyRatio)}
                {v.run.energyPerQueryMj !== null && <span className="small">{v.run.energyPerQueryMj.toFixed(3)} mJ</span>}
              </td>
              <td className="num" data-label="Quality">
                {v.quality ? (
                  <>
                    {pct(v.quality.retained)}
                    <span className="small">
                      {v.quality.metric} on {v.quality.samples}
                      {v.quality.minCosine !== null && `; min cosine ${v.quality.minCosine.toFixed(5)}`}
                    </span>
                  </>
                ) : (
                  'not measured'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {view.variants.length === 0 && <p className="muted">No variant has run on this device with this reference's fidelity pass (referenceModelId).</p>}
      <p className="muted small">
        Intervals: percentile bootstrap, {view.bootstrap.resamples} resamples of the raw query latencies (seed {view.bootstrap.seed}). Speedup is the reference's median ÷ the variant's; size and energy are variant ÷ reference; quality as measured by each variant's accuracy pass against
        reference digest <code>{view.referenceModelDigest.slice(0, 12)}…</code>.
      </p>
    </div>
  );
}

export function CompressionPage() {
  const { search } = useLocation();
  const device = search.get('device') ?? '';
  const reference = search.get('reference') ?? '';
  const [form, setForm] = useState({ device, reference });
  const [view, reload] = useAsync(
    async () => (device && reference ? apiJson<CompressionView>(`/v1/compression?device=${encodeURIComponent(device)}&referenceModelId=${encodeURIComponent(reference)}`) : null),
    [device, reference],
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/vendor/compression?device=${encodeURIComponent(form.device.trim())}&reference=${encodeURIComponent(form.reference.trim())}`);
  };
  return (
    <section>
      <PageTitle sub="Quantized, pruned or compiled variants beside their FP32 reference on one device: speedup, size, energy and quality retained, as measured.">Compression</PageTitle>
      <form onSubmit={submit} className="inline-form">
        <label>
          Device slug
          <input value={form.device} onChange={(e) => setForm({ ...form, device: e.target.value })} required />
        </label>
        <label>
          Reference model id
          <input value={form.reference} onChange={(e) => setForm({ ...form, reference: e.target.value })} required />
        </label>
        <button type="submit">Show</button>
      </form>
      {view.state === 'error' ? (
        <ErrorState error={view.error} retry={reload} />
      ) : view.state === 'ready' && view.data ? (
        <CompressionTable view={view.data} />
      ) : view.state === 'loading' && device && reference ? (
        <p role="status">Loading the compression view…</p>
      ) : (
        <Empty title="Pick a device and a reference model">
          <p>Variants are the models benchmarked on the device with the reference named as referenceModelId.</p>
        </Empty>
      )}
    </section>
  );
}
