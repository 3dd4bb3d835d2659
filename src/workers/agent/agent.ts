// The device agent: consumes the BullMQ queues of the devices it serves, runs each job's benchmark in
// a child process, and reports through the API (it never touches Postgres, and never holds a signing
// key). One job at a time per device: two benchmarks sharing an accelerator would measure each other.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { UnrecoverableError, WaitingError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ApiHttpClient, ApiRequestError, UNEXPECTED_ANSWER } from '../../lib/http-client.js';
import { AppError, HarnessError, errorMessage, type ErrorCode } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { benchJobPayload, benchQueueName, type BenchJobPayload } from '../../queue/bench-jobs.js';
import {
  agentRegisteredSchema,
  claimedJobSchema,
  failureRecordedSchema,
  jobReleasedSchema,
  progressAcceptedSchema,
  resultRecordedSchema,
  type AgentRegistration,
  type JobFailure,
  type JobProgress,
} from '../../contracts/agent-protocol.js';
import { ModelCache } from './model-cache.js';
import { runHarnessInChild, SpareHarnessProcess, type HarnessRunOptions, type HarnessRunResult } from './harness-process.js';
import type { AccuracyFiles, BackendChoice } from './harness-messages.js';
import { DEFAULT_EXTRACT_LIMITS, extractArchive, sniffArchiveKind } from '../../lib/bundles/archive-extract.js';
import { openModelBundle } from '../../lib/bundles/model-bundle.js';
import { harnessVersionLabel, measureRunnerFiles, type RunnerIdentity, LABELLED_INPUTS_FILE, labelledInputsFileIn, powerMeterConfigSchema, resolvedSuiteSpecSchema, type PowerMeterConfig } from '../../harness/index.js';
import type { Config } from '../../config/index.js';

/** Package version plus the harness build digest (`0.1.0+<12 hex>`): a constant named no build. */
export const AGENT_VERSION = harnessVersionLabel();
/** Profiled inferences per job, after the measured run (operator table in the report). */
export const DEFAULT_PROFILE_ITERATIONS = 10;

export interface AgentOptions {
  apiUrl: string;
  token: string;
  devices: string[];
  /** A connection for BullMQ workers (maxRetriesPerRequest: null). */
  connection: Redis;
  queuePrefix: string;
  cacheDir: string;
  harnessTimeoutMs: number;
  /** Resident bytes a harness run (child + descendants) may use; 0 or unset = 75 % of physical memory. */
  harnessMemoryLimitBytes?: number;
  heartbeatIntervalMs: number;
  /** BullMQ lock on a running job; a dead agent's job returns to the queue after it expires. Default 60 s. */
  jobLockMs?: number;
  /** Profiled inferences after each measured run; 0 leaves the operator profile out. */
  profileIterations?: number;
  /** Keep a harness process loaded for the next job (default true): see SpareHarnessProcess. */
  spareHarness?: boolean;
  /**
   * Runs a job's harness; default: a child process per job (crash and timeout isolation). The queue
   * scale benchmark runs it in-process, so draining 10,000 jobs measures the service, not process starts.
   */
  runHarness?: (opts: HarnessRunOptions) => Promise<HarnessRunResult>;
  /** The runner command for each device whose backend kind is 'runner' (configured on the agent host). */
  runners?: Record<string, RunnerCommand>;
  /** Power meters configured on the agent host; they override the device record's (command meters live here). */
  powerMeters?: Record<string, PowerMeterConfig>;
  log: Logger;
}

/** The options the environment sets, alike for `npubench agent` and the in-process agent of `npubench serve`. */
export function agentOptionsFromConfig(config: Config) {
  return {
    queuePrefix: config.env.NPUBENCH_QUEUE_PREFIX,
    cacheDir: config.agentCacheDir,
    harnessTimeoutMs: config.env.NPUBENCH_HARNESS_TIMEOUT_MS,
    harnessMemoryLimitBytes: config.env.NPUBENCH_HARNESS_MEMORY_LIMIT_BYTES,
    heartbeatIntervalMs: config.env.NPUBENCH_HEARTBEAT_INTERVAL_MS,
    jobLockMs: config.env.NPUBENCH_AGENT_JOB_LOCK_MS,
  } satisfies Partial<AgentOptions>;
}

export interface RunnerCommand {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** How long one request may take before the runner is killed (runner.timeout); default 60 s. */
  requestTimeoutMs?: number;
}

/** What the runner said about itself in `hello` (the backend description carries it), kept as a claim. */
function claimedRunner(backend: HarnessRunResult['summary']['backend']): RunnerIdentity['claimed'] {
  if (!backend.device) return { runner: { name: backend.runtime, version: backend.runtimeVersion }, device: null };
  const { properties: _properties, ...device } = backend.device;
  return { runner: { name: backend.runtime, version: backend.runtimeVersion }, device };
}

/**
 * The claim answer as the agent runs it: the contract's ClaimedJob, with the suite and the power meter
 * checked in full by the harness schemas that will use them (the contract passes them as stored).
 */
const runnableClaimSchema = claimedJobSchema.extend({
  suite: resolvedSuiteSpecSchema,
  device: claimedJobSchema.shape.device.extend({ powerMeter: powerMeterConfigSchema.nullable() }),
});
type RunnableClaim = z.infer<typeof runnableClaimSchema>;

export interface AgentEvents {
  /** The harness child process exists. */
  'harness-started': [{ jobId: string; child: ChildProcess }];
  /** The harness child has loaded its code and begun the run; `at` is its wall clock in ms (dispatch latency). */
  'harness-running': [{ jobId: string; at: number }];
  'job-finished': [{ jobId: string; outcome: 'succeeded' | 'failed' | 'skipped' | 'canceled' | 'handed-back'; code?: string }];
}

export class Agent extends EventEmitter<AgentEvents> {
  private readonly api: ApiHttpClient;
  private readonly cache: ModelCache;
  private workers: Worker<BenchJobPayload>[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Aborts of the runs in progress, so a shutdown past its deadline can stop them. */
  private readonly running = new Map<string, AbortController>();
  private handingBack = false;
  private readonly spare: SpareHarnessProcess | undefined;

  constructor(private readonly opts: AgentOptions) {
    super();
    this.api = new ApiHttpClient(opts.apiUrl, opts.token);
    this.cache = new ModelCache(join(opts.cacheDir, 'models'), this.api);
    if (opts.spareHarness !== false && !opts.runHarness) this.spare = new SpareHarnessProcess();
  }

  async start(): Promise<void> {
    const registration: AgentRegistration = { version: AGENT_VERSION, hostname: hostname(), devices: this.opts.devices };
    await this.api.request(agentRegisteredSchema, 'POST', '/v1/agent/register', { json: registration });
    await mkdir(join(this.opts.cacheDir, 'runs'), { recursive: true });
    this.spare?.refill();
    this.heartbeatTimer = setInterval(() => {
      this.api.request(z.undefined(), 'POST', '/v1/agent/heartbeat').catch((err: unknown) => this.opts.log.warn({ err: errorMessage(err) }, 'heartbeat failed'));
    }, this.opts.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    for (const device of this.opts.devices) {
      const lockMs = this.opts.jobLockMs ?? 60_000;
      const worker = new Worker<BenchJobPayload>(benchQueueName(device), (job, token) => this.process(job, token), {
        connection: this.opts.connection,
        prefix: this.opts.queuePrefix,
        concurrency: 1,
        // A benchmark can run for many minutes; the lock is renewed while it runs and a dead agent's
        // job returns to the queue after the lock expires.
        lockDuration: lockMs,
        // How often a live agent looks for jobs whose lock expired (BullMQ's default is 30 s).
        stalledInterval: Math.min(lockMs, 30_000),
        maxStalledCount: 2,
      });
      worker.on('failed', (job, err) => {
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError)) {
          void this.recordFailure(job.data.jobId, 'agent.retries_exhausted' satisfies ErrorCode, `Gave up after ${job.attemptsMade} attempts: ${err.message}`, this.jobLog(job.data));
        }
      });
      worker.on('error', (err) => this.opts.log.error({ err: errorMessage(err), device }, 'queue worker error'));
      this.workers.push(worker);
    }
    this.opts.log.info({ devices: this.opts.devices }, 'agent serving');
  }

  /**
   * Graceful stop: takes no new jobs and lets the running ones finish for up to `deadlineMs`. Past the
   * deadline it stops those runs and hands their jobs back (QUEUED in the API, waiting in the queue),
   * so another agent, or this one restarted, runs them without waiting for a lock to expire.
   */
  async stop(deadlineMs = 30_000): Promise<void> {
    const sleep = (ms: number) => new Promise<false>((r) => setTimeout(() => r(false), ms).unref());
    const closing = Promise.all(this.workers.map((w) => w.close())).then(() => true as const);
    if (!(await Promise.race([closing, sleep(deadlineMs)]))) {
      this.handingBack = true;
      for (const abort of this.running.values()) abort.abort();
      if (!(await Promise.race([closing, sleep(15_000)]))) await Promise.all(this.workers.map((w) => w.close(true)));
    }
    clearInterval(this.heartbeatTimer);
    this.workers = [];
    this.spare?.close();
  }

  private async process(bullJob: BullJob<BenchJobPayload>, token?: string): Promise<string> {
    const parsed = benchJobPayload.safeParse(bullJob.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid job payload: ${parsed.error.message}`);
    const { jobId } = parsed.data;
    const log = this.jobLog(parsed.data);

    let claimed: RunnableClaim;
    try {
      claimed = await this.api.request(runnableClaimSchema, 'POST', `/v1/agent/jobs/${jobId}/claim`);
    } catch (err) {
      if (err instanceof ApiRequestError && err.code === UNEXPECTED_ANSWER) {
        // The API and this agent disagree about the protocol (a version skew, a broken proxy): the job
        // cannot be run from this answer, and retrying gets the same answer. The job is RUNNING for us now.
        log.error({ code: err.code, err: err.message }, 'claim answer unusable');
        await this.recordFailure(jobId, err.code, err.message, log);
        this.emit('job-finished', { jobId, outcome: 'failed', code: err.code });
        throw new UnrecoverableError(`${err.code}: ${err.message}`);
      }
      if (err instanceof ApiRequestError && !err.transient) {
        // Canceled or finished before we got to it, or no longer ours: nothing to run.
        log.info({ code: err.code }, 'job not claimable, skipping');
        this.emit('job-finished', { jobId, outcome: 'skipped', code: err.code });
        return 'skipped';
      }
      throw err;
    }

    const runDir = join(this.opts.cacheDir, 'runs', jobId);
    await mkdir(runDir, { recursive: true });
    const abort = new AbortController();
    this.running.set(jobId, abort);
    try {
      // A cached model needs no download phase, and skipping its progress report saves a round trip
      // before the run starts; the run's own first progress report still answers a cancel.
      if (!(await this.cache.cached(claimed.model.digest))) await this.progress(jobId, 'download', 0, abort, log);
      const { modelPath, accuracy } = await this.prepareModelFiles(claimed, runDir);
      const rawSamplesPath = join(runDir, 'raw-samples.json');
      const backend = this.backendFor(claimed.device);
      // Hashed by the host before the run: what its configuration starts, whatever the runner later says.
      const runnerFiles = backend.kind === 'runner' ? await measureRunnerFiles(backend.config) : null;
      let lastSent = 0;
      const result = await (this.opts.runHarness ?? runHarnessInChild)({
        request: {
          modelPath,
          spec: claimed.suite,
          backend,
          rawSamplesPath,
          powerMeter: this.opts.powerMeters?.[claimed.device.slug] ?? claimed.device.powerMeter,
          profileIterations: this.opts.profileIterations ?? DEFAULT_PROFILE_ITERATIONS,
          accuracy,
        },
        timeoutMs: this.opts.harnessTimeoutMs,
        memoryLimitBytes: this.opts.harnessMemoryLimitBytes ?? 0,
        signal: abort.signal,
        ...(this.spare && { child: this.spare.take() }),
        onSpawn: (child) => this.emit('harness-started', { jobId, child }),
        onStarted: (at) => this.emit('harness-running', { jobId, at }),
        onProgress: (p) => {
          const now = Date.now();
          if (now - lastSent < 500 && p.phase !== 'done') return;
          lastSent = now;
          void this.progress(jobId, p.phase, Math.min(0.99, p.fraction), abort, log);
          void bullJob.updateProgress({ phase: p.phase, fraction: p.fraction, queries: p.queries }).catch(() => undefined);
        },
      });
      const form = new FormData();
      form.set('summary', JSON.stringify(result.summary));
      const runner: RunnerIdentity | undefined = runnerFiles ? { ...runnerFiles, claimed: claimedRunner(result.summary.backend) } : undefined;
      form.set('environment', JSON.stringify({ ...result.environment, ...(runner && { runner }) }));
      form.set('resourceUsage', JSON.stringify(result.resourceUsage));
      if (result.profile) form.set('profile', JSON.stringify(result.profile));
      form.set('raw', await openAsBlob(rawSamplesPath, { type: 'application/json' }), 'raw-samples.json');
      const uploaded = await this.api.request(resultRecordedSchema, 'POST', `/v1/agent/jobs/${jobId}/result`, { form, timeoutMs: 10 * 60_000 });
      log.info({ reportId: uploaded.reportId }, 'job succeeded');
      this.emit('job-finished', { jobId, outcome: 'succeeded' });
      return uploaded.reportId;
    } catch (err) {
      if (err instanceof HarnessError && err.code === 'job.canceled' && this.handingBack) {
        await this.handBack(bullJob, token, log);
        throw new WaitingError();
      }
      if (err instanceof HarnessError && err.code === 'job.canceled') {
        log.info('job canceled while running');
        this.emit('job-finished', { jobId, outcome: 'canceled' });
        return 'canceled';
      }
      if (err instanceof AppError || (err instanceof ApiRequestError && !err.transient)) {
        // The model or the result is at fault, not the infrastructure: fail now, no retry.
        const code = err.code;
        log.warn({ code, err: err.message }, 'job failed');
        await this.recordFailure(jobId, code, err.message, log);
        this.emit('job-finished', { jobId, outcome: 'failed', code });
        throw new UnrecoverableError(`${code}: ${err.message}`);
      }
      log.warn({ err: errorMessage(err) }, 'job attempt failed, will retry');
      throw err;
    } finally {
      this.running.delete(jobId);
      abort.abort();
      await rm(runDir, { recursive: true, force: true });
      // Between jobs: the next one finds a loaded harness process.
      this.spare?.refill();
    }
  }

  /**
   * The model file to run and, for accuracy jobs, the unpacked bundle, reference and dataset. Archives
   * are unpacked into the run's folder (removed after the run) with the same checks the API applied at
   * upload, so the agent never trusts an archive more than the API did.
   */
  private async prepareModelFiles(claimed: RunnableClaim, runDir: string): Promise<{ modelPath: string; accuracy: AccuracyFiles }> {
    const unpackModel = async (digest: string, name: string): Promise<{ modelPath: string; bundleDir?: string }> => {
      const archive = await this.cache.ensure(digest);
      if ((await sniffArchiveKind(archive)) === null) return { modelPath: archive };
      const bundle = await openModelBundle(archive, join(runDir, name), DEFAULT_EXTRACT_LIMITS);
      return { modelPath: bundle.modelPath, bundleDir: bundle.root };
    };
    const model = await unpackModel(claimed.model.digest, 'model');
    const accuracy: AccuracyFiles = {};
    if (model.bundleDir) accuracy.bundleDir = model.bundleDir;
    const spec = claimed.suite.accuracy;
    if (spec?.reference) accuracy.reference = { ...(await unpackModel(spec.reference.modelDigest, 'reference')), digest: spec.reference.modelDigest };
    const datasetRef = spec?.mmlu?.dataset;
    if (datasetRef?.startsWith('sha256:')) {
      const archive = await this.cache.ensure(datasetRef.slice('sha256:'.length));
      const dir = join(runDir, 'dataset');
      const { files } = await extractArchive(archive, dir, DEFAULT_EXTRACT_LIMITS);
      accuracy.dataset = { ref: datasetRef, dir, files };
    }
    const labelledRef = spec?.classification?.dataset;
    if (labelledRef) {
      const archive = await this.cache.ensure(labelledRef.slice('sha256:'.length));
      if ((await sniffArchiveKind(archive)) === null) {
        accuracy.labelledInputs = { ref: labelledRef, path: archive };
      } else {
        const dir = join(runDir, 'labelled-inputs');
        const { files } = await extractArchive(archive, dir, DEFAULT_EXTRACT_LIMITS);
        const file = labelledInputsFileIn(files);
        if (!file) throw new HarnessError('harness.dataset_missing', `Dataset ${labelledRef} holds no ${LABELLED_INPUTS_FILE}.`);
        accuracy.labelledInputs = { ref: labelledRef, path: join(dir, file) };
      }
    }
    // A text-lines dataset is one JSON file (the API refuses it in an archive).
    const textLinesRef = spec?.textRecognition?.dataset;
    if (textLinesRef) accuracy.textLines = { ref: textLinesRef, path: await this.cache.ensure(textLinesRef.slice('sha256:'.length)) };
    const pagesRef = spec?.textDetection?.dataset;
    // A page set is one JSON file (the API refuses it in an archive), read by the harness child.
    if (pagesRef) accuracy.textPages = { ref: pagesRef, path: await this.cache.ensure(pagesRef.slice('sha256:'.length)) };
    const framesRef = spec?.voiceActivity?.dataset;
    if (framesRef) accuracy.vadFrames = { ref: framesRef, path: await this.cache.ensure(framesRef.slice('sha256:'.length)) };
    return { modelPath: model.modelPath, accuracy };
  }

  /** Returns a job this agent stopped to shut down: QUEUED again in the API, waiting again in the queue. */
  private async handBack(bullJob: BullJob<BenchJobPayload>, token: string | undefined, log: Logger): Promise<void> {
    const { jobId } = bullJob.data;
    try {
      await this.api.request(jobReleasedSchema, 'POST', `/v1/agent/jobs/${jobId}/release`);
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'could not release the job in the API; the next claim takes it over');
    }
    await bullJob.moveToWait(token);
    log.info('job handed back for shutdown');
    this.emit('job-finished', { jobId, outcome: 'handed-back' });
  }

  /** A job's log lines carry the submit request's id, so they can be found from the API's logs. */
  private jobLog(job: Pick<BenchJobPayload, 'jobId' | 'requestId'>): Logger {
    return this.opts.log.child({ jobId: job.jobId, ...(job.requestId !== undefined && { requestId: job.requestId }) });
  }

  private backendFor(device: RunnableClaim['device']): BackendChoice {
    const { loadOptions, ...ortOptions } = device.backendOptions;
    if (device.backendKind === 'onnxruntime') return { kind: 'onnxruntime', config: { executionProvider: device.executionProvider, ...ortOptions } };
    const runner = this.opts.runners?.[device.slug];
    if (!runner) throw new HarnessError('agent.runner_not_configured', `Device ${device.slug} needs a runner, and this agent has none configured for it (npubench agent --runner ${device.slug}=<command>).`);
    return { kind: 'runner', config: { ...runner, ...(loadOptions && { loadOptions }) } };
  }

  private async progress(jobId: string, phase: string, fraction: number, abort: AbortController, log: Logger): Promise<void> {
    try {
      const report: JobProgress = { phase, fraction };
      const res = await this.api.request(progressAcceptedSchema, 'POST', `/v1/agent/jobs/${jobId}/progress`, { json: report });
      if (!res.continue) abort.abort();
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'progress report failed');
    }
  }

  private async recordFailure(jobId: string, code: string, message: string, log: Logger): Promise<void> {
    try {
      const failure: JobFailure = { code: code.slice(0, 64), message: message.slice(0, 4000) };
      await this.api.request(failureRecordedSchema, 'POST', `/v1/agent/jobs/${jobId}/fail`, { json: failure });
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'could not record job failure');
    }
  }
}

