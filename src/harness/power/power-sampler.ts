// Main-thread handle on the sampler worker (power-sampler-worker.ts).
//
// How the worker is loaded: from the build (node dist/...) it is the compiled .js sibling, started as a
// file. From TypeScript sources (tsx dev runs, vitest; import.meta.url ends in .ts) a worker gets a fresh
// module loader that neither vitest's transform nor a tsx `register()` reaches, and on Node 20
// `execArgv: ['--import', 'tsx']` does not apply to a worker's entry file ("Unknown file extension
// .ts"). So the worker starts as a one-line eval that loads the .ts file through tsx's tsImport (about
// 0.4 s once per meter, dev and tests only).
import { Worker } from 'node:worker_threads';
import { errorMessage } from '../../lib/errors.js';
import type { RawWindow, SamplerRequest, SamplerResponse, SamplerSource, SamplerWorkerData } from './power-sampler-worker.js';

export type { RawTick, RawWindow, SamplerSource } from './power-sampler-worker.js';

const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./power-sampler-worker.${FROM_SOURCES ? 'ts' : 'js'}`, import.meta.url);

export const MIN_INTERVAL_MS = 10;
export const DEFAULT_INTERVAL_MS = 100;

type Pending = { expect: SamplerResponse['type']; resolve: (message: SamplerResponse) => void; reject: (err: Error) => void };

export class PowerSampler {
  private worker: Worker | null = null;
  private pending: Pending | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly source: SamplerSource,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    await this.request({ type: 'start' }, 'started');
    // Hold the process open only while a window is open: a meter left unclosed must not hang the exit.
    this.worker?.ref();
  }

  /** Ends the window. A worker that died yields an empty window with the failure as its error. */
  async stop(): Promise<RawWindow> {
    try {
      const message = await this.request({ type: 'stop' }, 'stopped');
      return message.type === 'stopped' ? message.window : { ticks: [], errors: ['sampler answered out of turn'] };
    } catch (err) {
      return { ticks: [], errors: [`power sampler failed: ${errorMessage(err)}`] };
    } finally {
      this.worker?.unref();
    }
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === null) return;
    try {
      await this.request({ type: 'close' }, 'closed');
    } catch {
      // A dead worker has nothing left to release but the thread itself.
    }
    this.worker = null;
    await worker.terminate();
  }

  private request(message: SamplerRequest, expect: SamplerResponse['type']): Promise<SamplerResponse> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.pending !== null) return Promise.reject(new Error(`power sampler is busy (waiting for '${this.pending.expect}')`));
    const worker = this.worker ?? this.spawn();
    return new Promise((resolve, reject) => {
      this.pending = { expect, resolve, reject };
      worker.ref();
      worker.postMessage(message);
    });
  }

  private spawn(): Worker {
    const workerData: SamplerWorkerData = { source: this.source, intervalMs: this.intervalMs };
    const worker = FROM_SOURCES
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.tsImport(${JSON.stringify(WORKER_URL.href)}, ${JSON.stringify(import.meta.url)}))`, {
          eval: true,
          workerData,
        })
      : new Worker(WORKER_URL, { workerData });
    worker.on('message', (message: SamplerResponse) => {
      const pending = this.pending;
      this.pending = null;
      worker.unref();
      if (pending === null) return;
      if (message.type === pending.expect) pending.resolve(message);
      else pending.reject(new Error(`power sampler answered '${message.type}' to '${pending.expect}'`));
    });
    const fail = (err: Error) => {
      this.failure = err;
      this.worker = null;
      this.pending?.reject(err);
      this.pending = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`power sampler thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
