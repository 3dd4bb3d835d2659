// `npubench suite run <suite> --device <slug> [--model workload=modelId]… [--wait]` and `npubench suite
// show <id>`: a suite run through the API (POST /v1/suite-runs), followed with a progress bar per workload
// and, once finished, the signed suite report's verdicts per workload. Exit codes: 0 every workload
// succeeded, 1 some failed, 2 usage or API error. `suite show <id> --grid [file]`: the finished run's
// condition grid CSV (GET /v1/suite-runs/{id}/condition-grid.csv).
import { writeFile } from 'node:fs/promises';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { ApiHttpClient } from '../../lib/http-client.js';
import { REDUCED_PRESETS, suiteReportSchema, suiteRunSchema, type SuiteReport, type SuiteRun, type SuiteRunRequest } from '../../contracts/suite-runs.js';
import { resolveCliCredentials } from '../cli-credentials.js';

export interface SuiteRunOptions {
  device: string;
  model?: string[];
  workload?: string[];
  reducedPreset?: string;
  wait: boolean;
  json?: boolean;
  apiUrl?: string;
  apiKey?: string;
}

/** --model workload=modelId, repeatable. */
export function parseModelFlags(flags: readonly string[]): Record<string, string> {
  const models: Record<string, string> = {};
  for (const flag of flags) {
    const m = /^([a-z0-9][a-z0-9-]*)=(\S+)$/.exec(flag);
    if (!m) throw new Error(`--model ${flag}: write it as <workload>=<model id>, e.g. --model image-classification=3f2a…`);
    if (models[m[1]!] !== undefined) throw new Error(`--model names ${m[1]} twice`);
    models[m[1]!] = m[2]!;
  }
  return models;
}

const entryLine = (run: SuiteRun) =>
  run.workloads.map((w) => `${w.id} ${Math.round(w.progress * 100)}% [${w.entries.map((e) => `${e.scenario}:${e.status}${e.jobs > 1 ? `(x${e.jobs})` : ''}`).join(' ')}]`).join('\n  ');

/** One line per workload of the signed report: status, quality against the target, energy. */
export function formatSuiteReport(report: SuiteReport): string {
  const p = report.predicate;
  const lines = [`Suite report ${report.statementDigest} (${p.suite.id}, ${p.suite.digest}) on ${p.device.slug}`];
  lines.push(p.conformance.conforming ? 'Conforms to the suite.' : `Does NOT conform to the suite:\n${p.conformance.deviations.map((d) => `  - ${d}`).join('\n')}`);
  for (const w of p.workloads) {
    if (w.status === 'not-run') {
      lines.push(`${w.id}: not run`);
      continue;
    }
    const q = w.quality;
    const quality = !q ? 'quality: no accuracy pass' : !q.measured ? `quality: ${q.note}` : `quality ${q.metric} ${q.candidate} vs reference ${q.reference} (${((q.relative ?? 0) * 100).toFixed(2)}%, target ${q.target.minRelativeToReference * 100}%): ${q.meetsTarget ? 'meets' : 'MISSES'} target${q.meetsFidelityFloor === false ? ', BELOW fidelity floor' : ''}`;
    lines.push(`${w.id}: ${w.status} (${w.model?.division ?? '?'} division) ${quality}`);
    for (const s of w.scenarios) {
      const f = s.facts;
      const latency = f ? `p${f.latency.targetPercentile} ${(percentileNs(f) / 1e6).toFixed(3)} ms, ${f.latency.qps.toFixed(1)} QPS, ${f.latency.result}` : (s.error?.code ?? s.status);
      const energy = f?.power.measured ? `, ${f.power.energyPerQueryMj.toFixed(3)} mJ/query (${f.power.meterClass} meter)` : '';
      lines.push(`  ${s.scenario}: ${latency}${energy}`);
      const search = s.serverSearch;
      if (search) {
        const steps = search.steps.map((st) => `${st.targetQps} QPS ${(st.percentileLatencyNs / 1e6).toFixed(1)} ms ${st.result}`).join(', ');
        lines.push(`    rate searched against ${(search.targetLatencyNs / 1e6).toFixed(0)} ms: ${search.foundQps === null ? 'no rate met the bound' : `found ${search.foundQps} QPS`} (${search.stopReason}); reported at ${search.finalQps} QPS; steps ${steps}`);
      }
    }
  }
  return lines.join('\n');
}

function percentileNs(f: NonNullable<SuiteReport['predicate']['workloads'][number]['scenarios'][number]['facts']>): number {
  const p = f.latency.percentiles;
  const at: Record<number, number> = { 50: p.p50Ns, 90: p.p90Ns, 95: p.p95Ns, 97: p.p97Ns, 99: p.p99Ns, 99.9: p.p999Ns };
  return at[f.latency.targetPercentile] ?? p.p90Ns;
}

async function follow(api: ApiHttpClient, run: SuiteRun, json: boolean | undefined): Promise<SuiteRun> {
  const multi = json || !process.stdout.isTTY ? undefined : new MultiBar({ format: '  {workload} {bar} {percentage}% | {entries}', hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
  const bars = new Map<string, SingleBar>();
  let last = '';
  for (;;) {
    for (const w of run.workloads) {
      const entries = w.entries.map((e) => `${e.scenario}:${e.status}`).join(' ');
      const bar = bars.get(w.id) ?? multi?.create(100, 0, { workload: w.id.padEnd(22), entries });
      if (bar && !bars.has(w.id)) bars.set(w.id, bar);
      bar?.update(Math.round(w.progress * 100), { workload: w.id.padEnd(22), entries });
    }
    if (!multi && !json) {
      const line = entryLine(run);
      if (line !== last) console.log(`  ${(last = line)}`);
    }
    if (run.status === 'FINISHED') break;
    await new Promise((r) => setTimeout(r, 1_000));
    run = await api.request(suiteRunSchema, 'GET', `/v1/suite-runs/${run.id}`);
  }
  multi?.stop();
  return run;
}

async function printReport(api: ApiHttpClient, run: SuiteRun, json: boolean | undefined): Promise<number> {
  const report = await api.request(suiteReportSchema, 'GET', `/v1/suite-runs/${run.id}/report`);
  if (json) console.log(JSON.stringify({ run, report }));
  else console.log(`\n${formatSuiteReport(report)}`);
  return report.predicate.workloads.some((w) => w.status === 'failed') ? 1 : 0;
}

export async function suiteRunCommand(suite: string, opts: SuiteRunOptions): Promise<number> {
  const models = parseModelFlags(opts.model ?? []);
  if (opts.reducedPreset !== undefined && !(REDUCED_PRESETS as readonly string[]).includes(opts.reducedPreset)) throw new Error(`--reduced-preset must be one of ${REDUCED_PRESETS.join(', ')}`);
  const creds = resolveCliCredentials(opts);
  if (!creds.apiKey) {
    console.error(`No API key for ${creds.apiUrl}: pass --api-key, set NPUBENCH_API_KEY, or run \`npm start\` once on this machine (it saves the demo vendor key).`);
    return 2;
  }
  const api = new ApiHttpClient(creds.apiUrl, creds.apiKey);
  const body: SuiteRunRequest = {
    suite,
    device: opts.device,
    ...(Object.keys(models).length > 0 && { models }),
    ...(opts.workload?.length && { workloads: opts.workload }),
    ...(opts.reducedPreset !== undefined && { reducedPreset: opts.reducedPreset as SuiteRunRequest['reducedPreset'] }),
  };
  let run = await api.request(suiteRunSchema, 'POST', '/v1/suite-runs', { json: body, timeoutMs: 10 * 60_000 });
  if (!opts.json) {
    console.log(`Suite run ${run.id}: ${run.suite.id} on ${run.device}, ${run.workloads.reduce((n, w) => n + w.entries.length, 0)} jobs`);
    if (!run.conforming) console.log(`Not conforming: ${run.deviations.join('; ')}`);
  }
  if (!opts.wait) {
    if (opts.json) console.log(JSON.stringify(run));
    return 0;
  }
  run = await follow(api, run, opts.json);
  return printReport(api, run, opts.json);
}

export async function suiteShowCommand(id: string, opts: { json?: boolean; grid?: string | true; apiUrl?: string; apiKey?: string }): Promise<number> {
  const creds = resolveCliCredentials(opts);
  const api = new ApiHttpClient(creds.apiUrl, creds.apiKey);
  if (opts.grid !== undefined) {
    // The API refuses a run still running (409 suite_run.not_finished): the grid is the signed report's.
    const csv = await api.requestText('GET', `/v1/suite-runs/${encodeURIComponent(id)}/condition-grid.csv`);
    if (opts.grid === true) process.stdout.write(csv);
    else {
      await writeFile(opts.grid, csv);
      console.error(`Condition grid of suite run ${id} written to ${opts.grid} (${csv.split('\r\n').length - 2} rows).`);
    }
    return 0;
  }
  const run = await api.request(suiteRunSchema, 'GET', `/v1/suite-runs/${encodeURIComponent(id)}`);
  if (run.status === 'FINISHED') return printReport(api, run, opts.json);
  if (opts.json) console.log(JSON.stringify(run));
  else console.log(`Suite run ${run.id}: ${run.suite.id} on ${run.device}, RUNNING ${Math.round(run.progress * 100)}%\n  ${entryLine(run)}`);
  return 0;
}
