// `npubench submit model.onnx --device <slug>`: upload (or reuse) the model, submit a job, follow it
// with a progress bar and print the report summary. Exit codes: 0 succeeded, 1 job failed/canceled,
// 2 usage or API error.
import { randomUUID } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { ApiHttpClient } from '../../lib/http-client.js';
import { resolveCliCredentials } from '../cli-credentials.js';
import { formatReportSummary } from '../report-summary-table.js';
import { fileSha256 } from '../bench-report.js';

export interface SubmitOptions {
  device: string;
  scenario?: string;
  preset?: string;
  suite?: string;
  name?: string;
  version?: string;
  visibility?: string;
  /** A reference model file (the FP32 original), uploaded or reused like the model; needs suite.accuracy. */
  reference?: string;
  wait: boolean;
  json?: boolean;
  apiUrl?: string;
  apiKey?: string;
}

interface ModelView {
  id: string;
  name: string;
  version: string;
}
interface JobView {
  id: string;
  status: string;
  progress: number;
  phase: string | null;
  error: { code: string; message: string } | null;
  reportId?: string | null;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);

export async function submitCommand(modelPath: string, opts: SubmitOptions): Promise<number> {
  const creds = resolveCliCredentials(opts);
  if (!creds.apiKey) {
    console.error('No API key: pass --api-key, set NPUBENCH_API_KEY, or run `npm start` once on this machine (it saves the demo vendor key).');
    return 2;
  }
  const api = new ApiHttpClient(creds.apiUrl, creds.apiKey);
  const out = (s: string) => {
    if (!opts.json) console.log(s);
  };

  // Versions default to the content digest, so submitting the same file again reuses its model.
  const upload = async (path: string, name: string | undefined, version: string | undefined): Promise<ModelView> => {
    const digest = await fileSha256(path);
    const modelName = name ?? basename(path).replace(/\.(onnx|zip|tar|tar\.gz|tgz)$/i, '').replace(/[^A-Za-z0-9._-]/g, '-');
    const modelVersion = version ?? `sha256-${digest.slice(0, 12)}`;
    const existing = await api.request<{ items: ModelView[] }>('GET', `/v1/models?name=${encodeURIComponent(modelName)}&version=${encodeURIComponent(modelVersion)}&mine=true`);
    if (existing.items[0]) {
      out(`Model ${modelName}@${modelVersion} already uploaded (${existing.items[0].id})`);
      return existing.items[0];
    }
    const form = new FormData();
    form.set('name', modelName);
    form.set('version', modelVersion);
    if (opts.visibility) form.set('visibility', opts.visibility.toUpperCase());
    form.set('file', await openAsBlob(path), basename(path));
    out(`Uploading ${path} ...`);
    const uploaded = await api.request<ModelView>('POST', '/v1/models', { form, timeoutMs: 60 * 60_000 });
    out(`Uploaded model ${modelName}@${modelVersion} (${uploaded.id})`);
    return uploaded;
  };
  const model = await upload(modelPath, opts.name, opts.version);
  const reference = opts.reference === undefined ? undefined : await upload(opts.reference, undefined, undefined);

  const suite: Record<string, unknown> = opts.suite ? (JSON.parse(opts.suite) as Record<string, unknown>) : {};
  if (opts.preset) suite.preset = opts.preset;
  if (opts.scenario) suite.scenario = opts.scenario;
  if (reference && suite.accuracy === undefined) suite.accuracy = {};
  const body = { modelId: model.id, device: opts.device, suite, ...(reference && { referenceModelId: reference.id }) };
  let job = await api.request<JobView>('POST', '/v1/jobs', { json: body, headers: { 'idempotency-key': randomUUID() } });
  out(`Submitted job ${job.id} to ${opts.device}`);
  if (!opts.wait) {
    if (opts.json) console.log(JSON.stringify(job));
    return 0;
  }

  const bar = opts.json || !process.stdout.isTTY ? undefined : new SingleBar({ format: '  {bar} {percentage}% | {status} {phase}', hideCursor: true }, Presets.shades_classic);
  bar?.start(100, 0, { status: job.status, phase: '' });
  let lastLine = '';
  while (!TERMINAL.has(job.status)) {
    await new Promise((r) => setTimeout(r, 500));
    job = await api.request<JobView>('GET', `/v1/jobs/${job.id}`);
    bar?.update(Math.round(job.progress * 100), { status: job.status, phase: job.phase ?? '' });
    const line = `  ${job.status} ${job.phase ?? ''} ${Math.round(job.progress * 100)}%`;
    if (!bar && !opts.json && line !== lastLine) out((lastLine = line));
  }
  bar?.stop();
  if (job.status !== 'SUCCEEDED' || !job.reportId) {
    if (opts.json) console.log(JSON.stringify(job));
    else console.error(`Job ${job.status}${job.error ? `: ${job.error.code}: ${job.error.message}` : ''}`);
    return 1;
  }
  const report = await api.request<{ id: string; summary: unknown; environment: unknown; device: { slug: string } }>('GET', `/v1/reports/${job.reportId}`);
  const url = `${creds.apiUrl}/v1/reports/${report.id}`;
  if (opts.json) console.log(JSON.stringify({ job, report }));
  else out(`\nReport ${report.id}\n${formatReportSummary(report, url)}`);
  return 0;
}
