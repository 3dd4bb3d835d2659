// Backend for NPUs that onnxruntime cannot drive: a vendor's runner process speaks runner protocol v2 or v1
// (docs/runner-protocol.md) over its stdin/stdout and calls the vendor SDK. The host still times every
// query itself, around the `run` request and its response; times the runner reports are kept apart.
// Any failure kills the runner's whole process group, because a half-working device session would
// publish numbers nobody can trust.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { HarnessError, errorMessage, type ErrorCode } from '../../lib/errors.js';
import { LineSplitter } from '../runner/json-lines.js';
import {
  MAX_LINE_BYTES,
  RUNNER_PROTOCOL_VERSIONS,
  closeResultSchema,
  decodeTensor,
  encodeTensors,
  fastOkResponse,
  fastRunSamplesResult,
  helloResultSchema,
  outputDigest,
  loadResultSchema,
  lmForwardResultSchema,
  lmReleaseResultSchema,
  loadSamplesResultSchema,
  responseSchema,
  runResultSchema,
  runSamplesResultSchema,
  type HelloResult,
  type LmForwardRequest,
  type LmForwardResult,
  type LoadResult,
  type RunnerOp,
  type WireTensor,
} from '../runner/protocol.js';
import type { HostTensor } from '../tensors.js';
import type { BackendDescription, DeviceTimings, InferenceBackend, LoadInfo, PreparedFeeds, SampleAnswer, SampleLibrary } from './backend.js';

export const runnerBackendConfigSchema = z.strictObject({
  /** The runner executable, looked up on PATH like a shell would. */
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Added to the host's environment (PATH and the vendor SDK's variables usually come from there). */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  /** Limit for hello, each run and close. A run exceeding it is a hung device, not a slow model. */
  requestTimeoutMs: z.int().positive().default(60_000),
  /** Limit for load, which may include on-device compilation. */
  loadTimeoutMs: z.int().positive().default(600_000),
  /** Passed untouched to the runner's `load` as `options` (e.g. { performanceMode: 'burst' }). */
  loadOptions: z.record(z.string(), z.unknown()).default({}),
});

export type RunnerBackendConfig = z.input<typeof runnerBackendConfigSchema>;
type ResolvedRunnerBackendConfig = z.output<typeof runnerBackendConfigSchema>;

export const RUNNER_BACKEND_NAME = 'runner-process';

export type RunnerFailureCode = Extract<ErrorCode, `runner.${string}`>;

export interface RunnerFailureDetails {
  /** How the runner process ended, once it has. */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** What the runner answered with ok:false (runner.error only). */
  runnerError?: { code: string; message: string };
}

export class RunnerFailure extends HarnessError {
  constructor(
    code: RunnerFailureCode,
    message: string,
    readonly details: RunnerFailureDetails & { stderrTail: string[] },
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'RunnerFailure';
  }
}

const STDERR_TAIL_LINES = 20;
const STDERR_LINE_CHARS = 1000;
/** How long to wait for a SIGKILLed runner to be reaped; a process stuck in a driver call may never be. */
const KILL_GRACE_MS = 5000;
/** Room for `{"id":…,"op":"run",…}` around the pre-encoded inputs. */
const RUN_REQUEST_OVERHEAD_BYTES = 256;

/** Hand-written checks for the timed loop's results (protocol.ts): a result they do not accept goes through the schema. */
const FAST_RESULT_CHECKS = new Map<z.ZodType, (result: Record<string, unknown>) => unknown>([[runSamplesResultSchema, fastRunSamplesResult]]);

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null } | undefined): string {
  if (exit === undefined) return 'ended';
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

interface PendingRequest {
  id: number;
  op: RunnerOp;
  resolve: (result: Record<string, unknown>) => void;
  reject: (error: RunnerFailure) => void;
  timer: NodeJS.Timeout;
}

/** One runner process: spawns it, exchanges requests (one at a time, or up to the v2 runner's
 *  maxInFlight, matched by id), and owns its death. */
class RunnerConnection {
  readonly started: Promise<void>;
  private readonly closed: Promise<void>;
  private hasClosed = false;
  private closing = false;
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  /** Requests allowed in flight; raised after a v2 hello. */
  private capacity = 1;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private failure: Promise<RunnerFailure> | null = null;
  private exit: RunnerFailureDetails['exit'];
  private readonly stderrTail: string[] = [];
  private stderrPartial = '';
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(config: ResolvedRunnerBackendConfig) {
    this.child = spawn(config.command, config.args, {
      cwd: config.cwd,
      env: { ...process.env, ...config.env },
      stdio: 'pipe',
      // Its own process group, so a kill also reaches helpers the runner started (a Python wrapper's child, a daemon).
      detached: process.platform !== 'win32',
    });
    const { child } = this;
    let markClosed: () => void = () => {};
    this.closed = new Promise((resolveClosed) => (markClosed = resolveClosed));
    this.started = new Promise((resolveStarted, rejectStarted) => {
      child.once('spawn', () => resolveStarted());
      child.on('error', (err) => {
        if (child.pid !== undefined) return; // a failed kill of a running process; its exit is reported below
        const failure = this.failureNow('runner.spawn_failed', `Could not start runner '${config.command}': ${err.message}`, {}, err);
        this.failure = Promise.resolve(failure);
        this.hasClosed = true;
        markClosed();
        rejectStarted(failure);
      });
    });
    // EPIPE after the runner died; its exit is what gets reported.
    child.stdin.on('error', () => {});
    const splitter = new LineSplitter(MAX_LINE_BYTES, {
      onLine: (line) => this.onLine(line),
      onOversizedLine: () => void this.abort('runner.protocol_error', `The runner wrote a line longer than ${MAX_LINE_BYTES} bytes; large tensors must travel by file.`),
    });
    child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => this.recordStderr(chunk));
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      // Helpers that inherited the pipes would otherwise keep them open and 'close' would never come.
      this.killGroup();
    });
    child.once('close', () => {
      this.hasClosed = true;
      markClosed();
      const inFlight = this.firstPending();
      if (inFlight !== undefined || !this.closing) {
        const during = inFlight === undefined ? '' : ` while handling '${inFlight.op}'`;
        void this.abort('runner.crashed', `The runner ${describeExit(this.exit)}${during}.`);
      }
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Lets a v2 runner have up to `maxInFlight` requests at once (called after hello, with none in flight). */
  allowInFlight(maxInFlight: number): void {
    this.capacity = maxInFlight;
  }

  /**
   * Sends one request; `encodedMembers` are extra JSON members already serialized (a run's inputs), so
   * a timed run writes prepared bytes instead of re-encoding tensors. With the runner's capacity in
   * flight, concurrent callers (MultiStream, Server, Offline) wait their turn here, in order, so the wait
   * counts as latency, as it does in front of a device with that many queues.
   */
  async request<T>(op: RunnerOp, members: Record<string, unknown>, resultSchema: z.ZodType<T>, timeoutMs: number, encodedMembers?: Buffer): Promise<T> {
    // A finished request hands its slot straight to the next waiter, so a newcomer cannot overtake.
    if (this.active >= this.capacity) await new Promise<void>((resolveTurn) => this.waiting.push(resolveTurn));
    else this.active++;
    try {
      return await this.send(op, members, resultSchema, timeoutMs, encodedMembers);
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.active--;
      else next();
    }
  }

  private firstPending(): PendingRequest | undefined {
    return this.pending.values().next().value;
  }

  private async send<T>(op: RunnerOp, members: Record<string, unknown>, resultSchema: z.ZodType<T>, timeoutMs: number, encodedMembers?: Buffer): Promise<T> {
    if (this.failure !== null) throw await this.failure;
    const id = this.nextId++;
    const result = new Promise<Record<string, unknown>>((resolveResult, rejectResult) => {
      const timer = setTimeout(() => void this.abort('runner.timeout', `The runner did not answer '${op}' within ${timeoutMs} ms and was killed.`), timeoutMs);
      this.pending.set(id, { id, op, resolve: resolveResult, reject: rejectResult, timer });
    });
    const head = JSON.stringify({ id, op, ...members });
    const { stdin } = this.child;
    if (encodedMembers === undefined) {
      stdin.write(`${head}\n`);
    } else {
      // One writev for the three parts, so the runner never sees half a line on its own.
      stdin.cork();
      stdin.write(`${head.slice(0, -1)},`);
      stdin.write(encodedMembers);
      stdin.write('}\n');
      stdin.uncork();
    }
    const raw = await result;
    const fast = FAST_RESULT_CHECKS.get(resultSchema)?.(raw);
    if (fast !== undefined) return fast as T;
    const parsed = resultSchema.safeParse(raw);
    if (!parsed.success) throw await this.abort('runner.protocol_error', `The runner's '${op}' result is malformed: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  /** Asks the runner to close, then makes sure it is gone. Never throws: closing must not hide the run's own error. */
  async close(timeoutMs: number): Promise<void> {
    if (this.failure === null && !this.hasClosed) {
      this.closing = true;
      await this.request('close', {}, closeResultSchema, timeoutMs).catch(() => {});
      this.child.stdin.end();
      await Promise.race([this.closed, delay(timeoutMs, undefined, { ref: false })]);
    }
    this.killGroup();
    await this.reaped();
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      void this.abort('runner.protocol_error', `The runner wrote a line that is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
      return;
    }
    // The common case, an ok answer to a request in flight, without the schema's union; the rest below.
    const ok = fastOkResponse(message);
    const answered = ok && this.pending.get(ok.id);
    if (ok && answered) {
      this.pending.delete(answered.id);
      clearTimeout(answered.timer);
      answered.resolve(ok.result);
      return;
    }
    const parsed = responseSchema.safeParse(message);
    if (!parsed.success) {
      void this.abort('runner.protocol_error', `The runner wrote a malformed response: ${z.prettifyError(parsed.error)}`);
      return;
    }
    const response = parsed.data;
    const pending = response.id === null ? undefined : this.pending.get(response.id);
    if (!response.ok && response.id === null) {
      void this.abort('runner.protocol_error', `The runner could not read a request: ${response.error.code}: ${response.error.message}`);
    } else if (pending === undefined) {
      const inFlight = [...this.pending.keys()];
      void this.abort('runner.protocol_error', `The runner answered request id ${response.id}, ${inFlight.length === 0 ? 'but no request was in flight' : `but ${inFlight.join(', ')} ${inFlight.length === 1 ? 'was' : 'were'} in flight`}.`);
    } else if (!response.ok) {
      void this.abort('runner.error', `The runner failed '${pending.op}': ${response.error.code}: ${response.error.message}`, undefined, response.error);
    } else {
      this.pending.delete(pending.id);
      clearTimeout(pending.timer);
      pending.resolve(response.result);
    }
  }

  /**
   * Records the first failure, kills the runner, and rejects the request in flight once it is gone.
   * Resolves to the error to throw: the first one recorded, since a crash noticed just before is the truer cause.
   */
  abort(code: RunnerFailureCode, message: string, cause?: unknown, runnerError?: RunnerFailureDetails['runnerError']): Promise<RunnerFailure> {
    if (this.failure !== null) return this.failure;
    this.killGroup();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const request of pending) clearTimeout(request.timer);
    // Built after the process is reaped, so the error carries its exit status and complete stderr.
    this.failure = this.reaped().then(() => this.failureNow(code, message, { ...(runnerError && { runnerError }) }, cause));
    void this.failure.then((error) => {
      for (const request of pending) request.reject(error);
    });
    // Callers waiting for a turn get the failure from send().
    for (const next of this.waiting.splice(0)) next();
    return this.failure;
  }

  private failureNow(code: RunnerFailureCode, message: string, details: RunnerFailureDetails, cause?: unknown): RunnerFailure {
    const stderrTail = [...this.stderrTail, ...(this.stderrPartial === '' ? [] : [this.stderrPartial])];
    const exit = this.exit;
    const fullMessage = stderrTail.length === 0 ? message : `${message}\nLast runner stderr lines:\n${stderrTail.join('\n')}`;
    return new RunnerFailure(code, fullMessage, { ...details, ...(exit && { exit }), stderrTail }, { cause });
  }

  private reaped(): Promise<void> {
    return Promise.race([this.closed, delay(KILL_GRACE_MS, undefined, { ref: false })]);
  }

  private killGroup(): void {
    const pid = this.child.pid;
    // After 'close' the group id may already belong to someone else.
    if (pid === undefined || this.hasClosed) return;
    try {
      if (process.platform === 'win32') this.child.kill('SIGKILL');
      else process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }

  private recordStderr(chunk: string): void {
    const lines = (this.stderrPartial + chunk).split('\n');
    this.stderrPartial = (lines.pop() ?? '').slice(-STDERR_LINE_CHARS);
    for (const line of lines) this.stderrTail.push(line.slice(0, STDERR_LINE_CHARS));
    this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - STDERR_TAIL_LINES));
  }
}

interface DeviceTimeSlot {
  ns: number[] | null;
}

/** lm_forward and lm_release over one runner connection, with the logits decoded. */
export interface RunnerLmChannel {
  forward(request: Omit<LmForwardRequest, 'id' | 'op'>): Promise<{ result: LmForwardResult; logits: Float32Array; dims: readonly number[] }>;
  release(caches: readonly number[]): Promise<void>;
  /** Kills the runner for an answer that breaks the protocol; resolves to the error to throw. */
  fail(message: string): Promise<HarnessError>;
}

class RunnerFeeds implements PreparedFeeds {
  readonly backendName = RUNNER_BACKEND_NAME;
  /** The `"inputs":[…]` member of a run request, encoded once. */
  constructor(readonly encodedInputs: Buffer) {}
}

export class RunnerProcessBackend implements InferenceBackend {
  readonly name = RUNNER_BACKEND_NAME;
  private readonly config: ResolvedRunnerBackendConfig;
  private connection: RunnerConnection | null = null;
  private hello: HelloResult | null = null;
  private model: LoadResult | null = null;
  /** Where inputs too large for a line are written; made on first need, removed on close. */
  private spillDirectory: string | null = null;
  private spilledFiles = 0;
  /** Device times per request, in the order requests were issued, so that with several in flight
   *  (Server, Offline) each query's times stay beside that query's host times, whatever order they end in. */
  private deviceTimeSlots: DeviceTimeSlot[] = [];
  private librarySize = 0;
  private answers: SampleAnswer[] = [];

  constructor(config: RunnerBackendConfig) {
    const parsed = runnerBackendConfigSchema.safeParse(config);
    if (!parsed.success) throw new HarnessError('harness.invalid_backend_config', `Invalid runner backend config: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
  }

  /** The protocol version the runner chose in hello. */
  get protocolVersion(): number {
    return this.loadedHello().protocolVersion;
  }

  /** The runner's process id, while one was started. */
  get pid(): number | undefined {
    return this.connection?.pid;
  }

  async load(modelPath: string): Promise<LoadInfo> {
    if (this.connection !== null) throw new Error('RunnerProcessBackend.load called twice');
    const connection = new RunnerConnection(this.config);
    this.connection = connection;
    await connection.started;
    const { requestTimeoutMs, loadTimeoutMs, loadOptions } = this.config;
    const hello = await connection.request('hello', { protocolVersions: [...RUNNER_PROTOCOL_VERSIONS] }, helloResultSchema, requestTimeoutMs);
    if (hello.protocolVersion !== 1 && hello.protocolVersion !== 2) {
      throw await connection.abort('runner.protocol_error', `The runner chose protocol version ${hello.protocolVersion}; this host speaks ${RUNNER_PROTOCOL_VERSIONS.join(' and ')}.`);
    }
    if (hello.protocolVersion === 1 && (hello.maxInFlight !== undefined || hello.deterministicOutputs !== undefined || hello.ops !== undefined)) {
      throw await connection.abort('runner.protocol_error', 'The runner chose protocol version 1 but answered hello with v2 members (maxInFlight, deterministicOutputs, ops).');
    }
    this.hello = hello;
    connection.allowInFlight(hello.maxInFlight ?? 1);
    // The runner's working directory may differ from ours.
    this.model = await connection.request('load', { modelPath: resolve(modelPath), options: loadOptions }, loadResultSchema, loadTimeoutMs);
    return { inputs: this.model.inputs, outputs: this.model.outputs };
  }

  prepareFeeds(tensors: readonly HostTensor[]): PreparedFeeds {
    const inputs = encodeTensors(tensors, (_tensor, bytes) => {
      this.spillDirectory ??= mkdtempSync(join(tmpdir(), 'npubench-runner-'));
      const file = join(this.spillDirectory, `input-${this.spilledFiles++}.bin`);
      writeFileSync(file, bytes);
      return file;
    });
    const encodedInputs = Buffer.from(`"inputs":${JSON.stringify(inputs)}`);
    if (encodedInputs.length + RUN_REQUEST_OVERHEAD_BYTES > MAX_LINE_BYTES) {
      throw new HarnessError('harness.input_too_large', `The inputs need ${encodedInputs.length} bytes inline (string tensors cannot travel by file); a runner line holds at most ${MAX_LINE_BYTES}.`);
    }
    return new RunnerFeeds(encodedInputs);
  }

  async run(feeds: PreparedFeeds): Promise<void> {
    await this.runIterations(feeds, 1, false);
  }

  /** Runs `iterations` times and returns the last iteration's outputs (for accuracy checks, untimed). */
  async runWithOutputs(feeds: PreparedFeeds, iterations = 1): Promise<HostTensor[]> {
    const outputs = await this.runIterations(feeds, iterations, true);
    if (outputs === undefined) throw await this.loadedConnection().abort('runner.protocol_error', 'The runner answered a run that asked for outputs without any.');
    return outputs;
  }

  /** What the runner's `load` said the model takes and gives. */
  loadedModel(): LoadResult {
    if (this.model === null) throw new Error('RunnerProcessBackend used before load');
    return this.model;
  }

  /** The runner's causal LM ops (runner-causal-lm.ts builds the LM on them), or undefined when its hello
   *  did not declare lm_forward and lm_release. Logits files become the host's: it deletes them once read. */
  causalLmChannel(): RunnerLmChannel | undefined {
    const ops = this.loadedHello().ops ?? [];
    if (!ops.includes('lm_forward') || !ops.includes('lm_release')) return undefined;
    const connection = this.loadedConnection();
    const timeoutMs = this.config.requestTimeoutMs;
    return {
      forward: async (request) => {
        const result = await connection.request('lm_forward', request, lmForwardResultSchema, timeoutMs);
        let logits: HostTensor;
        try {
          if (result.logits.dtype !== 'float32') throw new Error(`logits are ${result.logits.dtype}, not float32`);
          logits = decodeTensor(result.logits, (path) => readFileSync(path));
          if ('path' in result.logits) rmSync(result.logits.path, { force: true });
          if (outputDigest(logits) !== result.digest) throw new Error('their digest is not the sha256 of their bytes');
        } catch (err) {
          throw await connection.abort('runner.bad_output', `The runner returned bad logits: ${errorMessage(err)}`, err);
        }
        return { result, logits: logits.data as Float32Array, dims: logits.dims };
      },
      release: async (caches) => {
        await connection.request('lm_release', { caches: [...caches] }, lmReleaseResultSchema, timeoutMs);
      },
      fail: (message) => connection.abort('runner.protocol_error', message),
    };
  }

  sampleLibrary(): SampleLibrary | undefined {
    const hello = this.loadedHello();
    if (hello.protocolVersion < 2) return undefined;
    return {
      protocolVersion: hello.protocolVersion,
      deterministicOutputs: hello.deterministicOutputs ?? true,
      maxInFlight: hello.maxInFlight ?? 1,
      loadSamples: (samples) => this.loadSamples(samples),
      runSamples: (indices, returnOutputs = false) => this.runSamples(indices, returnOutputs),
      runSamplesWithOutputs: (indices) => this.runSamplesWithOutputs(indices),
      takeAnswers: () => this.answers.splice(0),
    };
  }

  /** Writes every numeric tensor to a file (strings go inline) and sends the library in one request. */
  private async loadSamples(samples: readonly (readonly HostTensor[])[]): Promise<void> {
    const connection = this.loadedConnection();
    this.spillDirectory ??= mkdtempSync(join(tmpdir(), 'npubench-runner-'));
    const directory = this.spillDirectory;
    const wire = samples.map((sample, s) => ({
      inputs: sample.map((tensor, t): WireTensor => {
        const shape = [...tensor.dims];
        if (Array.isArray(tensor.data)) return { name: tensor.name, dtype: 'string', shape, strings: tensor.data };
        const [encoded] = encodeTensors([tensor], (_tensor, bytes) => {
          const file = join(directory, `sample-${s}-input-${t}.bin`);
          writeFileSync(file, bytes);
          return file;
        });
        if (encoded === undefined) throw new Error('encodeTensors returned no tensor');
        if ('data' in encoded) {
          const file = join(directory, `sample-${s}-input-${t}.bin`);
          writeFileSync(file, Buffer.from(encoded.data, 'base64'));
          return { name: encoded.name, dtype: encoded.dtype, shape, path: file };
        }
        return encoded;
      }),
    }));
    const members = { samples: wire };
    if (Buffer.byteLength(JSON.stringify(members)) + RUN_REQUEST_OVERHEAD_BYTES > MAX_LINE_BYTES) {
      throw new HarnessError('harness.input_too_large', `The sample library does not fit one runner line of ${MAX_LINE_BYTES} bytes (string inputs travel inline).`);
    }
    const { sampleCount } = await connection.request('load_samples', members, loadSamplesResultSchema, this.config.loadTimeoutMs);
    if (sampleCount !== samples.length) {
      throw await connection.abort('runner.protocol_error', `The runner loaded ${sampleCount} samples of the ${samples.length} it was sent.`);
    }
    this.librarySize = samples.length;
  }

  private async requestSamples(indices: readonly number[], returnOutputs: boolean): Promise<SampleAnswer[]> {
    const connection = this.loadedConnection();
    if (this.librarySize === 0) throw new Error('runSamples before loadSamples');
    const slot = this.reserveDeviceTimes();
    const result = await connection.request('run', { samples: indices, returnOutputs }, runSamplesResultSchema, this.config.requestTimeoutMs);
    await this.recordDeviceTimes(connection, result.deviceTimesNs, indices.length, slot);
    if (result.results.length > indices.length) {
      throw await connection.abort('runner.protocol_error', `The runner answered a run of ${indices.length} sample(s) with ${result.results.length} results.`);
    }
    const outputCount = this.model?.outputs.length ?? 0;
    const answers: SampleAnswer[] = [];
    for (const [i, sampleIndex] of indices.entries()) {
      const answer = result.results[i];
      // Fewer results than samples: the rest were dropped, which the compliance check counts; not a protocol failure.
      if (answer === undefined) {
        answers.push({ sampleIndex, digests: null });
        continue;
      }
      if (answer.digests.length !== outputCount) {
        throw await connection.abort('runner.protocol_error', `The runner answered sample ${sampleIndex} with ${answer.digests.length} digests; the model has ${outputCount} outputs.`);
      }
      const outputs = answer.outputs && (await this.decodeOutputs(connection, answer.outputs));
      answers.push({ sampleIndex, digests: answer.digests, ...(outputs && { outputs }) });
    }
    return answers;
  }

  private async runSamples(indices: readonly number[], returnOutputs: boolean): Promise<void> {
    for (const answer of await this.requestSamples(indices, returnOutputs)) this.answers.push(answer);
  }

  private async runSamplesWithOutputs(indices: readonly number[]): Promise<SampleAnswer[]> {
    const answers = await this.requestSamples(indices, true);
    for (const answer of answers) {
      if (answer.digests !== null && answer.outputs === undefined) {
        throw await this.loadedConnection().abort('runner.protocol_error', `The runner answered sample ${answer.sampleIndex} of a run that asked for outputs without any.`);
      }
    }
    return answers;
  }

  /** Called before a run request's first await, so slots follow issue order. */
  private reserveDeviceTimes(): DeviceTimeSlot {
    const slot: DeviceTimeSlot = { ns: null };
    if (this.loadedHello().deviceTiming !== 'none') this.deviceTimeSlots.push(slot);
    return slot;
  }

  private async recordDeviceTimes(connection: RunnerConnection, times: number[] | undefined, expected: number, slot: DeviceTimeSlot): Promise<void> {
    const timing = this.loadedHello().deviceTiming;
    if ((timing === 'none') !== (times === undefined) || (times !== undefined && times.length !== expected)) {
      const got = times === undefined ? 'no deviceTimesNs' : `${times.length} deviceTimesNs`;
      throw await connection.abort('runner.protocol_error', `The runner declared deviceTiming '${timing}' and answered a run of ${expected} inference(s) with ${got}.`);
    }
    if (times !== undefined) slot.ns = times;
  }

  takeDeviceTimings(): DeviceTimings | undefined {
    const source = this.loadedHello().deviceTiming;
    if (source === 'none') return undefined;
    // Every slot is filled by now: the scenarios wait for their queries, and a failed request fails the run.
    const ns = this.deviceTimeSlots.flatMap((slot) => slot.ns ?? []);
    this.deviceTimeSlots = [];
    return { source, ns };
  }

  async close(): Promise<void> {
    await this.connection?.close(this.config.requestTimeoutMs);
    if (this.spillDirectory !== null) rmSync(this.spillDirectory, { recursive: true, force: true });
    this.spillDirectory = null;
  }

  describe(): BackendDescription {
    const { runner, device, protocolVersion, deviceTiming } = this.loadedHello();
    const provider = `runner:${runner.name}`;
    return {
      runtime: runner.name,
      runtimeVersion: runner.version,
      executionProvider: provider,
      registeredProviders: [provider],
      executionProviderOptions: this.config.loadOptions,
      // What the harness needs to read the runner's numbers; the command line stays out (it may hold paths and secrets).
      sessionOptions: { runnerProtocolVersion: protocolVersion, deviceTiming },
      device,
    };
  }

  private async runIterations(feeds: PreparedFeeds, iterations: number, returnOutputs: boolean): Promise<HostTensor[] | undefined> {
    if (!(feeds instanceof RunnerFeeds)) throw new Error(`feeds were prepared by backend '${feeds.backendName}', not ${this.name}`);
    const connection = this.loadedConnection();
    if (this.loadedHello().protocolVersion !== 1) throw new Error('tensors in run requests are protocol v1; a v2 runner runs samples from its library');
    const slot = this.reserveDeviceTimes();
    const result = await connection.request('run', { iterations, returnOutputs }, runResultSchema, this.config.requestTimeoutMs, feeds.encodedInputs);
    await this.recordDeviceTimes(connection, result.deviceTimesNs, iterations, slot);
    // Outputs are checked whenever they come, so a runner cannot hide bad tensors behind the timed path.
    return result.outputs && (await this.decodeOutputs(connection, result.outputs));
  }

  private async decodeOutputs(connection: RunnerConnection, wireOutputs: NonNullable<z.output<typeof runResultSchema>['outputs']>): Promise<HostTensor[]> {
    const expected = new Map((this.model?.outputs ?? []).map((output) => [output.name, output.elementType]));
    try {
      return wireOutputs.map((wire) => {
        const elementType = expected.get(wire.name);
        if (elementType === undefined) throw new Error(`the model has no output '${wire.name}'`);
        if (elementType !== wire.dtype) throw new Error(`output '${wire.name}' is ${wire.dtype}, but load said ${elementType}`);
        return decodeTensor(wire, (path) => readFileSync(path));
      });
    } catch (err) {
      throw await connection.abort('runner.bad_output', `The runner returned a bad output tensor: ${errorMessage(err)}`, err);
    }
  }

  private loadedConnection(): RunnerConnection {
    if (this.connection === null || this.model === null) throw new Error('RunnerProcessBackend used before load');
    return this.connection;
  }

  private loadedHello(): HelloResult {
    if (this.hello === null) throw new Error('RunnerProcessBackend used before load');
    return this.hello;
  }
}

export function createRunnerBackend(config: RunnerBackendConfig): RunnerProcessBackend {
  return new RunnerProcessBackend(config);
}
