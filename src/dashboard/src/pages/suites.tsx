import { apiJson } from '../api';
import { Loaded, PageTitle, useAsync } from '../components';
import { Link } from '../router';
import type { SuiteDocument, SuiteList, SuiteWorkload } from '../../../contracts/suites';

const mb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function floorText(floor: SuiteWorkload['quality']['fidelityFloor']): string {
  const parts = [floor.minCosine !== undefined && `cosine ≥ ${floor.minCosine}`, floor.minTop1Agreement !== undefined && `top-1 agreement ≥ ${pct(floor.minTop1Agreement)}`, floor.minTokenAgreement !== undefined && `token agreement ≥ ${pct(floor.minTokenAgreement)}`];
  return parts.filter(Boolean).join(', ');
}

function WorkloadCard({ w }: { w: SuiteWorkload }) {
  return (
    <article className="card" data-testid={`suite-workload-${w.id}`}>
      <h3>{w.title}</h3>
      <dl className="kv">
        <dt>Workload</dt>
        <dd>
          <code>{w.id}</code> · {w.task}
        </dd>
        <dt>Reference model (FP32)</dt>
        <dd>
          {w.referenceModel.name} — {w.referenceModel.description}
          <ul className="small">
            {w.referenceModel.files.map((f) => (
              <li key={f.path}>
                <code>{f.path}</code> ({mb(f.size)}) <code className="hash">sha256:{f.sha256}</code>
              </li>
            ))}
          </ul>
          <span className="muted small">
            {w.referenceModel.source.kind === 'npm' ? `npm ${w.referenceModel.source.package}@${w.referenceModel.source.version}` : w.referenceModel.source.description} · {w.referenceModel.licence.spdx}: {w.referenceModel.licence.note}
          </span>
        </dd>
        <dt>Dataset</dt>
        <dd>
          <code>{w.dataset.id}</code>, {w.dataset.samples} samples — {w.dataset.description}
          <div className="small">
            <code className="hash">sha256:{w.dataset.sha256}</code>
          </div>
          <div className="muted small">Ground truth: {w.dataset.groundTruth}</div>
          <div className="muted small">
            {w.dataset.licence.spdx}: {w.dataset.provenance}
          </div>
        </dd>
        <dt>Quality target</dt>
        <dd>
          {w.quality.metric} ≥ {pct(w.quality.minRelativeToReference)} of the FP32 reference's, on ≥ {w.quality.minSamples} samples; fidelity floor: {floorText(w.quality.fidelityFloor)}
        </dd>
        <dt>Scenarios</dt>
        <dd>
          {w.scenarios.map((s) => `${s.scenario}${s.settings.preset ? ` (${s.settings.preset})` : ''}`).join(', ')}
          {w.serverLatencyBoundMs !== null && ` · Server bound ${w.serverLatencyBoundMs} ms`}
          {w.llmLengths && ` · LLM ${w.llmLengths.promptTokens} prompt / ${w.llmLengths.outputTokens} output tokens`}
        </dd>
        <dt>Power</dt>
        <dd>{w.power.required ? `required — ${w.power.note}` : 'not required'}</dd>
      </dl>
    </article>
  );
}

function SuiteDetail({ id }: { id: string }) {
  const [suite, reload] = useAsync(() => apiJson<SuiteDocument>(`/v1/suites/${encodeURIComponent(id)}`, { auth: false }), [id]);
  return (
    <Loaded value={suite} what={`suite ${id}`} retry={reload}>
      {(s) => (
        <section data-testid={`suite-${s.id}`}>
          <h2>
            {s.title} <code>{s.id}</code>
          </h2>
          <p>{s.description}</p>
          <p>
            <Link to="/vendor/suite-runs/new" className="button" data-testid="run-suite-link">
              Run this suite on a device
            </Link>
          </p>
          <p className="small">
            Digest <code className="hash">{s.digest}</code> (sha256 of the RFC 8785 canonical JSON of <code>GET /v1/suites/{s.id}</code> without <code>digest</code>)
          </p>
          <dl className="kv">
            <dt>Closed division</dt>
            <dd>{s.divisions.closed}</dd>
            <dt>Open division</dt>
            <dd>{s.divisions.open}</dd>
          </dl>
          {s.workloads.map((w) => (
            <WorkloadCard key={w.id} w={w} />
          ))}
        </section>
      )}
    </Loaded>
  );
}

export function SuitesPage() {
  const [list, reload] = useAsync(() => apiJson<SuiteList>('/v1/suites', { auth: false }), []);
  return (
    <section>
      <PageTitle sub="Versioned suites pin a reference model, a dataset with ground truth and a quality target per workload: results are comparable within one workload only.">Suites</PageTitle>
      <Loaded value={list} what="suites" retry={reload}>
        {({ items }) => (
          <>
            {items.map((s) => (
              <SuiteDetail key={s.id} id={s.id} />
            ))}
          </>
        )}
      </Loaded>
    </section>
  );
}
