// `npubench submit model.onnx --device <slug>`: upload (or reuse) the model, submit a job, follow it
// with a progress bar and print the report summary. Exit codes: 0 succeeded, 1 job failed/canceled,
// 2 usage or API error.
import { randomUUID } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { z } from 'zod';
import { ApiHttpClient, ApiRequestError } from '../../lib/http-client.js';
import { deviceListSchema, deviceViewSchema, type DeviceView } from '../../contracts/devices.js';
import { modelPageSchema, modelSchema, type Model as ModelView } from '../../contracts/models.js';
import { jobSchema } from '../../contracts/jobs.js';
import { isTerminalJobStatus } from '../../contracts/job-vocabulary.js';
import { reportSchema } from '../../contracts/reports.js';
import { resolveSuiteSpec, type SuiteSpec } from '../../harness/index.js';
import { sniffArchiveKind } from '../../lib/bundles/archive-extract.js';
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


/** A file `submit` can upload, or an error naming the flag it came from. */
async function checkUploadable(path: string, what: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new Error(`${what} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!info.isFile()) throw new Error(`${what} ${path} is not a file: submit uploads an .onnx file or an LLM bundle archive (zip/tar)`);
}

/** The job's suite from --suite, --preset and --scenario, checked with the API's own schema. */
async function checkedSuite(modelPath: string, opts: SubmitOptions): Promise<{ suite: Record<string, unknown>; spec: SuiteSpec }> {
  let suite: Record<string, unknown> = {};
  if (opts.suite !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(opts.suite);
    } catch (err) {
      throw new Error(`--suite is not valid JSON (${(err as Error).message}); pass an object, e.g. --suite '{"minQueryCount":500}'`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`--suite must be a JSON object, e.g. --suite '{"minQueryCount":500}'`);
    suite = parsed as Record<string, unknown>;
  }
  if (opts.preset) suite.preset = opts.preset;
  if (opts.scenario) suite.scenario = opts.scenario;
  if (opts.reference !== undefined && suite.accuracy === undefined) suite.accuracy = {};
  let spec: SuiteSpec;
  try {
    spec = resolveSuiteSpec(suite);
  } catch (err) {
    if (err instanceof z.ZodError) throw new Error(`--suite${opts.preset || opts.scenario ? ' (with --preset/--scenario)' : ''} is not a valid suite spec:\n${z.prettifyError(err)}`);
    throw err;
  }
  // The API's rules on the accuracy fields, in the flags' terms (see createJob in src/services/jobs).
  if (spec.accuracy?.reference) throw new Error('--suite: name the reference model with --reference <file>, not suite.accuracy.reference');
  if (spec.accuracy?.gate && opts.reference === undefined) throw new Error('--suite: an accuracy gate compares with a reference model: pass --reference <file> (the FP32 original)');
  if ((spec.accuracy?.mmlu || spec.llm) && (await sniffArchiveKind(modelPath)) === null) {
    throw new Error(`--suite: ${spec.llm ? 'LLM latency' : 'MMLU'} needs an LLM bundle (zip/tar of model.onnx, tokenizer.json, tokenizer_config.json, config.json); ${modelPath} is a single model file`);
  }
  return { suite, spec };
}

/** The target device, which also proves the API answers (and takes the key, when one is given). Null:
 *  not found without a key, which may be a private device; the caller asks for the key first. */
async function findDevice(api: ApiHttpClient, slug: string, withKey: boolean): Promise<DeviceView | null> {
  try {
    return await api.request(deviceViewSchema, 'GET', `/v1/devices/${encodeURIComponent(slug)}`);
  } catch (err) {
    if (!(err instanceof ApiRequestError) || err.status !== 404) throw err;
    if (!withKey) return null;
    const known = await api.request(deviceListSchema, 'GET', '/v1/devices').then(
      (list) => list.items.map((d) => d.slug),
      () => [],
    );
    throw new Error(`--device ${slug}: ${api.baseUrl} has no such device${known.length > 0 ? `; its devices: ${known.join(', ')}` : ''}`);
  }
}

export async function submitCommand(modelPath: string, opts: SubmitOptions): Promise<number> {
  // Everything that can fail is checked before anything is uploaded: a refused submit stores nothing.
  await checkUploadable(modelPath, 'model');
  if (opts.reference !== undefined) await checkUploadable(opts.reference, '--reference');
  const { suite } = await checkedSuite(modelPath, opts);
  const creds = resolveCliCredentials(opts);
  const api = new ApiHttpClient(creds.apiUrl, creds.apiKey);
  const device = await findDevice(api, opts.device, creds.apiKey !== undefined);
  if (!creds.apiKey || !device) {
    console.error(`No API key for ${creds.apiUrl}: pass --api-key, set NPUBENCH_API_KEY, or run \`npm start\` once on this machine (it saves the demo vendor key).`);
    return 2;
  }
  const out = (s: string) => {
    if (!opts.json) console.log(s);
  };

  // Versions default to the content digest, so submitting the same file again reuses its model.
  const upload = async (path: string, name: string | undefined, version: string | undefined): Promise<ModelView> => {
    const digest = await fileSha256(path);
    const modelName = name ?? basename(path).replace(/\.(onnx|zip|tar|tar\.gz|tgz)$/i, '').replace(/[^A-Za-z0-9._-]/g, '-');
    const modelVersion = version ?? `sha256-${digest.slice(0, 12)}`;
    const existing = await api.request(modelPageSchema, 'GET', `/v1/models?name=${encodeURIComponent(modelName)}&version=${encodeURIComponent(modelVersion)}&mine=true`);
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
    const uploaded = await api.request(modelSchema, 'POST', '/v1/models', { form, timeoutMs: 60 * 60_000 });
    out(`Uploaded model ${modelName}@${modelVersion} (${uploaded.id})`);
    return uploaded;
  };
  const model = await upload(modelPath, opts.name, opts.version);
  const reference = opts.reference === undefined ? undefined : await upload(opts.reference, undefined, undefined);

  const body = { modelId: model.id, device: opts.device, suite, ...(reference && { referenceModelId: reference.id }) };
  let job = await api.request(jobSchema, 'POST', '/v1/jobs', { json: body, headers: { 'idempotency-key': randomUUID() } });
  out(`Submitted job ${job.id} to ${opts.device}`);
  if (!opts.wait) {
    if (opts.json) console.log(JSON.stringify(job));
    return 0;
  }

  const bar = opts.json || !process.stdout.isTTY ? undefined : new SingleBar({ format: '  {bar} {percentage}% | {status} {phase}', hideCursor: true }, Presets.shades_classic);
  bar?.start(100, 0, { status: job.status, phase: '' });
  let lastLine = '';
  while (!isTerminalJobStatus(job.status)) {
    await new Promise((r) => setTimeout(r, 500));
    job = await api.request(jobSchema, 'GET', `/v1/jobs/${job.id}`);
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
  const report = await api.request(reportSchema, 'GET', `/v1/reports/${job.reportId}`);
  const url = `${creds.apiUrl}/v1/reports/${report.id}`;
  if (opts.json) console.log(JSON.stringify({ job, report }));
  else out(`\nReport ${report.id}\n${formatReportSummary(report, url)}`);
  return 0;
}
