// The device agent: consumes the BullMQ queues of the devices it serves, runs each job's benchmark in
// a child process, and reports through the API (it never touches Postgres, and never holds a signing
// key). One job at a time per device: two benchmarks sharing an accelerator would measure each other.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { ApiHttpClient, ApiRequestError } from '../../lib/http-client.js';
import { AppError, HarnessError, errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { benchJobPayload, benchQueueName, type BenchJobPayload } from '../../queue/bench-jobs.js';
import { ModelCache } from './model-cache.js';
import { runHarnessInChild, SpareHarnessProcess, type HarnessRunOptions, type HarnessRunResult } from './harness-process.js';
import type { BackendChoice } from './harness-messages.js';
import type { PowerMeterConfig } from '../../harness/power/power-meter-config.js';
import type { DeviceBackendOptions } from '../../services/devices/devices.js';

export const AGENT_VERSION = '0.1.0';
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
  heartbeatIntervalMs: number;
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

export interface RunnerCommand {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** How long one request may take before the runner is killed (runner.timeout); default 60 s. */
  requestTimeoutMs?: number;
}

interface ClaimedJob {
  jobId: string;
  suite: BenchJobPayload['suite'];
  model: { id: string; digest: string; sizeBytes: number };
  device: { slug: string; backendKind: string; executionProvider: string; backendOptions: DeviceBackendOptions; powerMeter: PowerMeterConfig | null };
}

export interface AgentEvents {
  /** The harness child process exists. */
  'harness-started': [{ jobId: string; child: ChildProcess }];
  /** The harness child has loaded its code and begun the run; `at` is its wall clock in ms (dispatch latency). */
  'harness-running': [{ jobId: string; at: number }];
  'job-finished': [{ jobId: string; outcome: 'succeeded' | 'failed' | 'skipped' | 'canceled'; code?: string }];
}

export class Agent extends EventEmitter<AgentEvents> {
  private readonly api: ApiHttpClient;
  private readonly cache: ModelCache;
  private workers: Worker<BenchJobPayload>[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly spare: SpareHarnessProcess | undefined;

  constructor(private readonly opts: AgentOptions) {
    super();
    this.api = new ApiHttpClient(opts.apiUrl, opts.token);
    this.cache = new ModelCache(join(opts.cacheDir, 'models'), this.api);
    if (opts.spareHarness !== false && !opts.runHarness) this.spare = new SpareHarnessProcess();
  }

  async start(): Promise<void> {
    await this.api.request('POST', '/v1/agent/register', { json: { version: AGENT_VERSION, hostname: hostname(), devices: this.opts.devices } });
    await mkdir(join(this.opts.cacheDir, 'runs'), { recursive: true });
    this.spare?.refill();
    this.heartbeatTimer = setInterval(() => {
      this.api.request('POST', '/v1/agent/heartbeat').catch((err: unknown) => this.opts.log.warn({ err: errorMessage(err) }, 'heartbeat failed'));
    }, this.opts.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    for (const device of this.opts.devices) {
      const worker = new Worker<BenchJobPayload>(benchQueueName(device), (job) => this.process(job), {
        connection: this.opts.connection,
        prefix: this.opts.queuePrefix,
        concurrency: 1,
        // A benchmark can run for many minutes; the lock is renewed while it runs and a dead agent's
        // job returns to the queue after the lock expires.
        lockDuration: 60_000,
        maxStalledCount: 2,
      });
      worker.on('failed', (job, err) => {
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError)) {
          void this.recordFailure(job.data.jobId, 'agent.retries_exhausted', `Gave up after ${job.attemptsMade} attempts: ${err.message}`, this.jobLog(job.data));
        }
      });
      worker.on('error', (err) => this.opts.log.error({ err: errorMessage(err), device }, 'queue worker error'));
      this.workers.push(worker);
    }
    this.opts.log.info({ devices: this.opts.devices }, 'agent serving');
  }

  /** Stops taking jobs and waits for running ones to finish, up to `deadlineMs`. */
  async stop(deadlineMs = 30_000): Promise<void> {
    clearInterval(this.heartbeatTimer);
    const closing = Promise.all(this.workers.map((w) => w.close()));
    const timedOut = await Promise.race([closing.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), deadlineMs).unref())]);
    if (timedOut) await Promise.all(this.workers.map((w) => w.close(true)));
    this.workers = [];
    this.spare?.close();
  }

  private async process(bullJob: BullJob<BenchJobPayload>): Promise<string> {
    const parsed = benchJobPayload.safeParse(bullJob.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid job payload: ${parsed.error.message}`);
    const { jobId } = parsed.data;
    const log = this.jobLog(parsed.data);

    let claimed: ClaimedJob;
    try {
      claimed = await this.api.request<ClaimedJob>('POST', `/v1/agent/jobs/${jobId}/claim`);
    } catch (err) {
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
    try {
      // A cached model needs no download phase, and skipping its progress report saves a round trip
      // before the run starts; the run's own first progress report still answers a cancel.
      let modelPath = await this.cache.cached(claimed.model.digest);
      if (!modelPath) {
        await this.progress(jobId, 'download', 0, abort, log);
        modelPath = await this.cache.ensure(claimed.model.digest);
      }
      const rawSamplesPath = join(runDir, 'raw-samples.json');
      const backend = this.backendFor(claimed.device);
      let lastSent = 0;
      const result = await (this.opts.runHarness ?? runHarnessInChild)({
        request: {
          modelPath,
          spec: claimed.suite,
          backend,
          rawSamplesPath,
          powerMeter: this.opts.powerMeters?.[claimed.device.slug] ?? claimed.device.powerMeter,
          profileIterations: this.opts.profileIterations ?? DEFAULT_PROFILE_ITERATIONS,
        },
        timeoutMs: this.opts.harnessTimeoutMs,
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
      form.set('environment', JSON.stringify(result.environment));
      form.set('resourceUsage', JSON.stringify(result.resourceUsage));
      if (result.profile) form.set('profile', JSON.stringify(result.profile));
      form.set('raw', await openAsBlob(rawSamplesPath, { type: 'application/json' }), 'raw-samples.json');
      const uploaded = await this.api.request<{ reportId: string }>('POST', `/v1/agent/jobs/${jobId}/result`, { form, timeoutMs: 10 * 60_000 });
      log.info({ reportId: uploaded.reportId }, 'job succeeded');
      this.emit('job-finished', { jobId, outcome: 'succeeded' });
      return uploaded.reportId;
    } catch (err) {
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
      abort.abort();
      await rm(runDir, { recursive: true, force: true });
      // Between jobs: the next one finds a loaded harness process.
      this.spare?.refill();
    }
  }

  /** A job's log lines carry the submit request's id, so they can be found from the API's logs. */
  private jobLog(job: Pick<BenchJobPayload, 'jobId' | 'requestId'>): Logger {
    return this.opts.log.child({ jobId: job.jobId, ...(job.requestId !== undefined && { requestId: job.requestId }) });
  }

  private backendFor(device: ClaimedJob['device']): BackendChoice {
    const { loadOptions, ...ortOptions } = device.backendOptions;
    if (device.backendKind === 'onnxruntime') return { kind: 'onnxruntime', config: { executionProvider: device.executionProvider, ...ortOptions } };
    const runner = this.opts.runners?.[device.slug];
    if (!runner) throw new HarnessError('agent.runner_not_configured', `Device ${device.slug} needs a runner, and this agent has none configured for it (npubench agent --runner ${device.slug}=<command>).`);
    return { kind: 'runner', config: { ...runner, ...(loadOptions && { loadOptions }) } };
  }

  private async progress(jobId: string, phase: string, fraction: number, abort: AbortController, log: Logger): Promise<void> {
    try {
      const res = await this.api.request<{ continue: boolean }>('POST', `/v1/agent/jobs/${jobId}/progress`, { json: { phase, fraction } });
      if (!res.continue) abort.abort();
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'progress report failed');
    }
  }

  private async recordFailure(jobId: string, code: string, message: string, log: Logger): Promise<void> {
    try {
      await this.api.request('POST', `/v1/agent/jobs/${jobId}/fail`, { json: { code: code.slice(0, 64), message: message.slice(0, 4000) } });
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'could not record job failure');
    }
  }
}

