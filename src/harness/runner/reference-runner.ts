// Reference runner: runner protocol v1 answered by onnxruntime-node on the CPU. It is the model vendors
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
import { onnxRuntimeBackendConfigSchema, onnxRuntimeSessionOptions, toOnnxRuntimeFeeds, toSignature } from '../backends/onnxruntime.js';
import type { ElementType, HostTensor } from '../tensors.js';
import { LineSplitter } from './json-lines.js';
import {
  MAX_LINE_BYTES,
  RUNNER_ERROR_CODES,
  RUNNER_PROTOCOL_VERSION,
  TensorDecodeError,
  decodeTensor,
  encodeTensors,
  requestSchema,
  type HelloResult,
  type LoadResult,
  type RunResult,
  type RunnerRequest,
  type RunnerResponse,
  type WireTensor,
} from './protocol.js';

export const REFERENCE_RUNNER_NAME = 'npubench-reference-runner';
const REFERENCE_RUNNER_VERSION = '1.0.0';

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

const ORT_TO_ELEMENT_TYPE: Partial<Record<Tensor.Type, ElementType>> = {
  float32: 'float32',
  float16: 'float16',
  float64: 'double',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  bool: 'bool',
  string: 'string',
};

function toHostTensor(name: string, tensor: Tensor): HostTensor {
  const elementType = ORT_TO_ELEMENT_TYPE[tensor.type];
  if (elementType === undefined) throw new RequestFailure(RUNNER_ERROR_CODES.runFailed, `output '${name}' has element type ${tensor.type}, which protocol v1 cannot carry`);
  return { name, elementType, dims: tensor.dims, data: tensor.data };
}

class ReferenceRunner {
  private session: InferenceSession | null = null;
  private spillDirectory: string | null = null;
  closed = false;

  async respond(line: string): Promise<RunnerResponse> {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return { id: null, ok: false, error: { code: RUNNER_ERROR_CODES.badRequest, message: 'the line is not JSON' } };
    }
    const parsed = requestSchema.safeParse(message);
    if (!parsed.success) {
      const id = z.object({ id: z.int().min(1) }).safeParse(message).data?.id ?? null;
      return { id, ok: false, error: { code: RUNNER_ERROR_CODES.badRequest, message: z.prettifyError(parsed.error) } };
    }
    const request = parsed.data;
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
    await session?.release();
    if (this.spillDirectory !== null) rmSync(this.spillDirectory, { recursive: true, force: true });
    this.spillDirectory = null;
  }

  private async handle(request: RunnerRequest): Promise<HelloResult | LoadResult | RunResult | Record<string, never>> {
    switch (request.op) {
      case 'hello':
        return this.hello(request.protocolVersions);
      case 'load':
        return this.load(request.modelPath, request.options);
      case 'run':
        return this.run(request.inputs, request.iterations, request.returnOutputs);
      case 'close':
        await this.release();
        this.closed = true;
        return {};
    }
  }

  private hello(protocolVersions: number[]): HelloResult {
    if (!protocolVersions.includes(RUNNER_PROTOCOL_VERSION)) {
      throw new RequestFailure(RUNNER_ERROR_CODES.unsupportedProtocol, `this runner speaks protocol ${RUNNER_PROTOCOL_VERSION}, not ${protocolVersions.join(', ')}`);
    }
    const cores = cpus();
    return {
      protocolVersion: RUNNER_PROTOCOL_VERSION,
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
    const outputs = session.outputNames.map((name) => {
      const tensor = results[name];
      if (tensor === undefined) throw new RequestFailure(RUNNER_ERROR_CODES.runFailed, `onnxruntime returned no output '${name}'`);
      return toHostTensor(name, tensor);
    });
    return { outputs: encodeTensors(outputs, (tensor, bytes) => this.spill(outputs.indexOf(tensor), bytes)), deviceTimesNs };
  }

  /** Output files are rewritten each run: the host reads them before it sends the next request. */
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

/** Answers runner protocol requests from `input` until a close request or the end of `input`. */
export async function serveRunnerProtocol(input: Readable, output: Writable): Promise<void> {
  const runner = new ReferenceRunner();
  const lines: (string | null)[] = []; // null marks a line over the limit
  const splitter = new LineSplitter(MAX_LINE_BYTES, { onLine: (line) => lines.push(line), onOversizedLine: () => lines.push(null) });
  try {
    for await (const chunk of input) {
      splitter.push(chunk as Buffer);
      for (const line of lines.splice(0)) {
        const response: RunnerResponse =
          line === null ? { id: null, ok: false, error: { code: RUNNER_ERROR_CODES.lineTooLong, message: `a request line exceeded ${MAX_LINE_BYTES} bytes` } } : await runner.respond(line);
        await writeLine(output, response);
        if (runner.closed) return;
      }
    }
  } finally {
    await runner.release();
  }
}
