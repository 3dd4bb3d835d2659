// Reference runner: runner protocol v2 (and v1) answered by onnxruntime-node on the CPU. It is the model vendors
// copy for their own SDK, the conformance partner of runner-process.ts, and the way to measure what
// the protocol itself costs per query. Its per-iteration times are taken in this process around
// session.run, so it declares them 'runner'-measured, never 'device'.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { InferenceSession, env, type Tensor } from 'onnxruntime-node';
import { z } from 'zod';
import { errorMessage } from '../../lib/errors.js';
import { CausalLm, allLogitsOf, type KvCache } from '../accuracy/causal-lm.js';
import { fromOnnxRuntimeTensor, onnxRuntimeBackendConfigSchema, onnxRuntimeSessionOptions, toOnnxRuntimeFeeds, toSignature } from '../backends/onnxruntime.js';
import type { HostTensor } from '../tensors.js';
import { LineSplitter } from './json-lines.js';
import {
  MAX_IN_FLIGHT,
  MAX_LM_CACHES,
  OPTIONAL_RUNNER_OPS,
  MAX_LINE_BYTES,
  RUNNER_ERROR_CODES,
  RUNNER_PROTOCOL_VERSIONS,
  TensorDecodeError,
  decodeTensor,
  encodeTensors,
  fastRunSamplesRequest,
  outputDigest,
  requestSchema,
  type HelloResult,
  type LoadResult,
  type LmForwardRequest,
  type LmForwardResult,
  type LmReleaseResult,
  type LoadSamplesResult,
  type RunResult,
  type RunSamplesResult,
  type RunnerProtocolVersion,
  type RunnerRequest,
  type RunnerResponse,
  type WireTensor,
} from './protocol.js';

export const REFERENCE_RUNNER_NAME = 'npubench-reference-runner';
const REFERENCE_RUNNER_VERSION = '2.0.0';

/** What the command line may change: the versions spoken (to exercise v1 hosts and runners) and requests in flight. */
export const referenceRunnerOptionsSchema = z.strictObject({
  protocolVersions: z.array(z.union([z.literal(1), z.literal(2)])).min(1).default([...RUNNER_PROTOCOL_VERSIONS]),
  maxInFlight: z.int().min(1).max(MAX_IN_FLIGHT).default(1),
});
export type ReferenceRunnerOptions = z.input<typeof referenceRunnerOptionsSchema>;

/** Parses `--protocol 1[,2]` and `--max-in-flight N`. */
export function parseReferenceRunnerArgs(args: readonly string[]): ReferenceRunnerOptions {
  const options: { protocolVersions?: number[]; maxInFlight?: number } = {};
  for (let i = 0; i < args.length; i += 2) {
    const value = args[i + 1] ?? '';
    if (args[i] === '--protocol') options.protocolVersions = value.split(',').map(Number);
    else if (args[i] === '--max-in-flight') options.maxInFlight = Number(value);
    else throw new Error(`unknown argument '${args[i]}' (known: --protocol 1|2|1,2, --max-in-flight N)`);
  }
  const parsed = referenceRunnerOptionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`bad reference runner arguments: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The CPU session knobs of the onnxruntime backend, so both can be configured alike. */
const loadOptionsSchema = onnxRuntimeBackendConfigSchema.pick({ intraOpNumThreads: true, interOpNumThreads: true, graphOptimizationLevel: true });

const MAIN_FILE = fileURLToPath(new URL(`./reference-runner-main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

/** How to start the reference runner as a child process, from TypeScript sources (through tsx) or the build. */
export function referenceRunnerCommand(): { command: string; args: string[] } {
  const loader = MAIN_FILE.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  return { command: process.execPath, args: [...loader, MAIN_FILE] };
}

/** A request the runner refuses; becomes an ok:false response. */
class RequestFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function toHostTensor(name: string, tensor: Tensor): HostTensor {
  const host = fromOnnxRuntimeTensor(name, tensor);
  if (host === undefined) throw new RequestFailure(RUNNER_ERROR_CODES.runFailed, `output '${name}' has element type ${tensor.type}, which the protocol cannot carry`);
  return host;
}

class ReferenceRunner {
  private session: InferenceSession | null = null;
  private spillDirectory: string | null = null;
  private protocolVersion: RunnerProtocolVersion | null = null;
  /** v2 sample library: onnxruntime feeds made once by load_samples. */
  private library: InferenceSession.FeedsType[] = [];
  private outputFiles = 0;
  /** Causal LM ops: the loaded session seen as an LM (made on the first lm_forward), and its live caches. */
  private lm: CausalLm | null = null;
  private readonly lmCaches = new Map<number, KvCache>();
  private nextCacheHandle = 1;
  closed = false;

  constructor(private readonly options: z.output<typeof referenceRunnerOptionsSchema>) {}

  /** A request, or the error response to a line that is not one. */
  parse(line: string): RunnerRequest | RunnerResponse {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return { id: null, ok: false, error: { code: RUNNER_ERROR_CODES.badRequest, message: 'the line is not JSON' } };
    }
    // The timed loop's request, checked by hand (protocol.ts); anything else through the schema's union.
    const run = fastRunSamplesRequest(message);
    if (run !== undefined) return run;
    const parsed = requestSchema.safeParse(message);
    if (!parsed.success) {
      const id = z.object({ id: z.int().min(1) }).safeParse(message).data?.id ?? null;
      return { id, ok: false, error: { code: RUNNER_ERROR_CODES.badRequest, message: z.prettifyError(parsed.error) } };
    }
    return parsed.data;
  }

  async respond(request: RunnerRequest): Promise<RunnerResponse> {
    try {
      return { id: request.id, ok: true, result: await this.handle(request) };
    } catch (err) {
      const code = err instanceof RequestFailure ? err.code : RUNNER_ERROR_CODES.internal;
      return { id: request.id, ok: false, error: { code, message: errorMessage(err) } };
    }
  }

  async release(): Promise<void> {
    const session = this.session;
    this.session = null;
    this.lm = null;
    this.lmCaches.clear();
    await session?.release();
    if (this.spillDirectory !== null) rmSync(this.spillDirectory, { recursive: true, force: true });
    this.spillDirectory = null;
  }

  private async handle(
    request: RunnerRequest,
  ): Promise<HelloResult | LoadResult | LoadSamplesResult | RunResult | RunSamplesResult | LmForwardResult | LmReleaseResult | Record<string, never>> {
    if (request.op !== 'hello' && this.protocolVersion === null) throw new RequestFailure(RUNNER_ERROR_CODES.badRequest, `'${request.op}' before hello`);
    const v2Only = request.op === 'load_samples' || request.op === 'lm_forward' || request.op === 'lm_release' || (request.op === 'run' && 'samples' in request);
    const v1Only = request.op === 'run' && 'inputs' in request;
    if ((v2Only && this.protocolVersion !== 2) || (v1Only && this.protocolVersion !== 1)) {
      throw new RequestFailure(RUNNER_ERROR_CODES.badRequest, `this request is not part of protocol v${this.protocolVersion}`);
    }
    switch (request.op) {
      case 'hello':
        return this.hello(request.protocolVersions);
      case 'load':
        return this.load(request.modelPath, request.options);
      case 'load_samples':
        return this.loadSamples(request.samples);
      case 'run':
        if ('samples' in request) return this.runSamples(request.samples, request.returnOutputs);
        return this.run(request.inputs, request.iterations, request.returnOutputs);
      case 'lm_forward':
        return this.lmForward(request);
      case 'lm_release':
        return { released: this.releaseCaches(request.caches) };
      case 'close':
        await this.release();
        this.closed = true;
        return {};
    }
  }

  private hello(protocolVersions: number[]): HelloResult {
    const spoken = this.options.protocolVersions;
    const chosen = Math.max(...spoken.filter((version) => protocolVersions.includes(version)));
    if (chosen !== 1 && chosen !== 2) {
      throw new RequestFailure(RUNNER_ERROR_CODES.unsupportedProtocol, `this runner speaks protocol ${spoken.join(', ')}, not ${protocolVersions.join(', ')}`);
    }
    this.protocolVersion = chosen;
    const cores = cpus();
    return {
      protocolVersion: chosen,
      ...(chosen === 2 && { maxInFlight: this.options.maxInFlight, deterministicOutputs: true, ops: [...OPTIONAL_RUNNER_OPS] }),
      runner: { name: REFERENCE_RUNNER_NAME, version: REFERENCE_RUNNER_VERSION },
      // A vendor runner reports its NPU here: SoC, driver and firmware versions from the SDK.
      device: {
        name: cores[0]?.model.trim() || 'unknown CPU', // empty on some ARM boards
        vendor: 'host-cpu',
        properties: { arch: arch(), logicalCores: cores.length, runtime: 'onnxruntime-node', runtimeVersion: env.versions.node ?? env.versions.common, executionProvider: 'cpu' },
      },
      deviceTiming: 'runner',
    };
  }

  private async load(modelPath: string, options: Record<string, unknown>): Promise<LoadResult> {
    if (this.session !== null) throw new RequestFailure(RUNNER_ERROR_CODES.badRequest, 'a model is already loaded');
    const parsedOptions = loadOptionsSchema.safeParse(options);
    if (!parsedOptions.success) throw new RequestFailure(RUNNER_ERROR_CODES.badRequest, `bad load options: ${z.prettifyError(parsedOptions.error)}`);
    const start = process.hrtime.bigint();
    try {
      this.session = await InferenceSession.create(modelPath, onnxRuntimeSessionOptions({ executionProvider: 'cpu', ...parsedOptions.data }));
    } catch (err) {
      throw new RequestFailure(RUNNER_ERROR_CODES.loadFailed, errorMessage(err));
    }
    const loadTimeMs = Number(process.hrtime.bigint() - start) / 1e6;
    return { inputs: this.session.inputMetadata.map(toSignature), outputs: this.session.outputMetadata.map(toSignature), loadTimeMs };
  }

  private async run(wireInputs: WireTensor[], iterations: number, returnOutputs: boolean): Promise<RunResult> {
    const session = this.session;
    if (session === null) throw new RequestFailure(RUNNER_ERROR_CODES.notLoaded, 'run before load');
    let inputs: HostTensor[];
    try {
      inputs = wireInputs.map((wire) => decodeTensor(wire, (path) => readFileSync(path)));
    } catch (err) {
      const code = err instanceof TensorDecodeError ? RUNNER_ERROR_CODES.badRequest : RUNNER_ERROR_CODES.internal;
      throw new RequestFailure(code, errorMessage(err));
    }
    const feeds = toOnnxRuntimeFeeds(inputs);
    const deviceTimesNs: number[] = [];
    let results: InferenceSession.ReturnType = {};
    for (let i = 0; i < iterations; i++) {
      const start = process.hrtime.bigint();
      try {
        results = await session.run(feeds);
      } catch (err) {
        throw new RequestFailure(RUNNER_ERROR_CODES.runFailed, errorMessage(err));
      }
      deviceTimesNs.push(Number(process.hrtime.bigint() - start));
    }
    if (!returnOutputs) return { deviceTimesNs };
    const outputs = this.outputsOf(session, results);
    return { outputs: encodeTensors(outputs, (tensor, bytes) => this.spill(outputs.indexOf(tensor), bytes)), deviceTimesNs };
  }

  private loadSamples(samples: { inputs: WireTensor[] }[]): LoadSamplesResult {
    if (this.session === null) throw new RequestFailure(RUNNER_ERROR_CODES.notLoaded, 'load_samples before load');
    try {
      // Decoded and turned into onnxruntime tensors here, once, so a timed run touches no input bytes.
      this.library = samples.map((sample) => toOnnxRuntimeFeeds(sample.inputs.map((wire) => decodeTensor(wire, (path) => readFileSync(path)))));
    } catch (err) {
      const code = err instanceof TensorDecodeError ? RUNNER_ERROR_CODES.badRequest : RUNNER_ERROR_CODES.internal;
      throw new RequestFailure(code, errorMessage(err));
    }
    return { sampleCount: this.library.length };
  }

  private async runSamples(indices: number[], returnOutputs: boolean): Promise<RunSamplesResult> {
    const session = this.session;
    if (session === null) throw new RequestFailure(RUNNER_ERROR_CODES.notLoaded, 'run before load');
    const feeds = indices.map((index) => {
      const sample = this.library[index];
      if (sample === undefined) throw new RequestFailure(RUNNER_ERROR_CODES.badRequest, `sample ${index} is not in the library of ${this.library.length}`);
      return sample;
    });
    const deviceTimesNs: number[] = [];
    const results: RunSamplesResult['results'] = [];
    for (const sampleFeeds of feeds) {
      const start = process.hrtime.bigint();
      let outputs: InferenceSession.ReturnType;
      try {
        outputs = await session.run(sampleFeeds);
      } catch (err) {
        throw new RequestFailure(RUNNER_ERROR_CODES.runFailed, errorMessage(err));
      }
      deviceTimesNs.push(Number(process.hrtime.bigint() - start));
      const tensors = this.outputsOf(session, outputs);
      const digests = tensors.map(outputDigest);
      results.push(returnOutputs ? { digests, outputs: encodeTensors(tensors, (_tensor, bytes) => this.spill(this.outputFiles++, bytes)) } : { digests });
    }
    return { results, deviceTimesNs };
  }

  /** The loaded model as a causal LM; unsupported_op when it is not one (a vision model). */
  private causalLm(): CausalLm {
    if (this.session === null) throw new RequestFailure(RUNNER_ERROR_CODES.notLoaded, 'lm_forward before load');
    if (this.lm === null) {
      try {
        // The host reads config.json itself; the runner needs only the graph.
        this.lm = CausalLm.fromSession(this.session, {});
      } catch (err) {
        throw new RequestFailure(RUNNER_ERROR_CODES.unsupportedOp, `the loaded model is not a causal LM: ${errorMessage(err)}`);
      }
    }
    return this.lm;
  }

  private releaseCaches(handles: readonly number[]): number {
    let released = 0;
    for (const handle of handles) if (this.lmCaches.delete(handle)) released++;
    return released;
  }

  private async lmForward(request: LmForwardRequest): Promise<LmForwardResult> {
    const lm = this.causalLm();
    let cache: KvCache | undefined;
    if (request.cache !== null) {
      const held = this.lmCaches.get(request.cache);
      if (held === undefined) throw new RequestFailure(RUNNER_ERROR_CODES.badRequest, `no KV cache ${request.cache} (never made, or released)`);
      const keep = request.keep ?? held.length;
      if (keep > held.length) throw new RequestFailure(RUNNER_ERROR_CODES.badRequest, `cannot keep ${keep} of the ${held.length} positions of cache ${request.cache}`);
      cache = keep === held.length ? held : lm.truncateCache(held, keep);
    } else if (request.keep !== undefined) {
      throw new RequestFailure(RUNNER_ERROR_CODES.badRequest, 'keep needs a cache');
    }
    // Released before the pass, so a decode loop holds two caches at most.
    this.releaseCaches(request.release ?? []);
    if (this.lmCaches.size >= MAX_LM_CACHES) throw new RequestFailure(RUNNER_ERROR_CODES.badRequest, `${MAX_LM_CACHES} KV caches are held; release some`);
    let result;
    try {
      result = await lm.forward(request.tokens, cache);
    } catch (err) {
      throw new RequestFailure(RUNNER_ERROR_CODES.runFailed, errorMessage(err));
    }
    const handle = this.nextCacheHandle++;
    this.lmCaches.set(handle, result.cache);
    const rows = request.logits === 'all' ? request.tokens.length : 1;
    const logits: HostTensor = { name: 'logits', elementType: 'float32', dims: [rows, result.vocabSize], data: request.logits === 'all' ? allLogitsOf(result) : result.lastLogits };
    const [wire] = encodeTensors([logits], (_tensor, bytes) => this.spill(this.outputFiles++, bytes));
    return { cacheHandle: handle, cacheLength: result.cache.length, logits: wire!, digest: outputDigest(logits) };
  }

  private outputsOf(session: InferenceSession, results: InferenceSession.ReturnType): HostTensor[] {
    return session.outputNames.map((name) => {
      const tensor = results[name];
      if (tensor === undefined) throw new RequestFailure(RUNNER_ERROR_CODES.runFailed, `onnxruntime returned no output '${name}'`);
      return toHostTensor(name, tensor);
    });
  }

  /** v1 rewrites the same files each run: the host reads them before it sends the next request. v2
   *  names them afresh, since with several requests in flight the host may read them later. */
  private spill(outputIndex: number, bytes: Buffer): string {
    this.spillDirectory ??= mkdtempSync(join(tmpdir(), 'npubench-reference-runner-'));
    const file = join(this.spillDirectory, `output-${outputIndex}.bin`);
    writeFileSync(file, bytes);
    return file;
  }
}

async function writeLine(output: Writable, response: RunnerResponse): Promise<void> {
  // Honour backpressure: a host that reads slowly must not make this process buffer whole outputs.
  if (!output.write(`${JSON.stringify(response)}\n`)) await once(output, 'drain');
}

/** Answers runner protocol requests from `input` until a close request or the end of `input`. With
 *  maxInFlight > 1, run requests are answered as they finish (matched by id), up to that many at once. */
export async function serveRunnerProtocol(input: Readable, output: Writable, options: ReferenceRunnerOptions = {}): Promise<void> {
  const resolved = referenceRunnerOptionsSchema.parse(options);
  const runner = new ReferenceRunner(resolved);
  const lines: (string | null)[] = []; // null marks a line over the limit
  const splitter = new LineSplitter(MAX_LINE_BYTES, { onLine: (line) => lines.push(line), onOversizedLine: () => lines.push(null) });
  const inFlight = new Set<Promise<void>>();
  let writes: Promise<void> = Promise.resolve();
  const answer = (response: RunnerResponse) => (writes = writes.then(() => writeLine(output, response)));
  try {
    for await (const chunk of input) {
      splitter.push(chunk as Buffer);
      for (const line of lines.splice(0)) {
        if (line === null) {
          await answer({ id: null, ok: false, error: { code: RUNNER_ERROR_CODES.lineTooLong, message: `a request line exceeded ${MAX_LINE_BYTES} bytes` } });
          continue;
        }
        const request = runner.parse(line);
        if (!('op' in request)) {
          await answer(request);
          continue;
        }
        // Only runs overlap; everything else waits for the runs before it, so load_samples and close see a quiet session.
        const concurrent = resolved.maxInFlight > 1 && request.op === 'run';
        if (!concurrent) await Promise.all(inFlight);
        const handled = runner.respond(request).then(answer);
        if (concurrent) {
          inFlight.add(handled);
          void handled.finally(() => inFlight.delete(handled));
          if (inFlight.size >= resolved.maxInFlight) await Promise.race(inFlight);
        } else {
          await handled;
        }
        if (runner.closed) return;
      }
    }
    await Promise.all(inFlight);
  } finally {
    await writes;
    await runner.release();
  }
}
