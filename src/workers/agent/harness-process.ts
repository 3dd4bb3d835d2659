// Runs the harness in a child process: a model that crashes onnxruntime, exhausts memory or hangs
// takes down only the child, the job fails with a specific code, and the agent keeps serving.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HarnessError } from '../../lib/errors.js';
import type { ChildMessage, RunRequest } from './harness-messages.js';

const CHILD_ENTRY = fileURLToPath(new URL(`./harness-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

// From TypeScript sources the child needs tsx's loader; the compiled build runs plain node.
function childExecArgv(): string[] {
  return CHILD_ENTRY.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
}

/** A harness process, loaded and waiting for its one run request. */
export function forkHarnessChild(): ChildProcess {
  return fork(CHILD_ENTRY, [], { execArgv: childExecArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
}

/**
 * Keeps one harness process started ahead of the next job. Loading node, tsx and onnxruntime takes
 * hundreds of milliseconds, which would otherwise sit between a job's claim and its run (dispatch
 * latency). Every process still serves exactly one run, so crash isolation and a clean process per
 * job are unchanged. The spare is started only when the agent is between jobs (refill after a job),
 * so its start-up never competes with a measured run of this agent's device.
 */
export class SpareHarnessProcess {
  private spare: { child: ChildProcess; forget: () => void } | undefined;
  private closed = false;

  /** The waiting spare when it is alive, otherwise a fresh process; either way no longer the spare. */
  take(): ChildProcess {
    const spare = this.spare;
    this.spare = undefined;
    spare?.forget();
    if (spare && spare.child.exitCode === null && spare.child.signalCode === null && spare.child.connected) return spare.child;
    spare?.child.kill('SIGKILL');
    return forkHarnessChild();
  }

  /** Starts a spare if none is waiting. */
  refill(): void {
    if (this.closed || this.spare) return;
    const child = forkHarnessChild();
    // A spare that dies while idle (killed by an operator, out of memory) is replaced on take().
    const onError = () => undefined;
    const onExit = () => {
      if (this.spare?.child === child) this.spare = undefined;
    };
    child.on('error', onError);
    child.on('exit', onExit);
    this.spare = {
      child,
      forget: () => {
        child.off('error', onError);
        child.off('exit', onExit);
      },
    };
  }

  close(): void {
    this.closed = true;
    this.spare?.forget();
    this.spare?.child.kill('SIGKILL');
    this.spare = undefined;
  }
}

export interface HarnessRunOptions {
  request: Omit<RunRequest, 'type'>;
  timeoutMs: number;
  onProgress?: (p: { phase: string; fraction: number; queries: number }) => void;
  onSpawn?: (child: ChildProcess) => void;
  /** The child has loaded and begun the run; `at` is its wall-clock time in ms. */
  onStarted?: (at: number) => void;
  signal?: AbortSignal;
  /** A harness process to use (from SpareHarnessProcess); a fresh one is started when absent. */
  child?: ChildProcess;
}

export type HarnessRunResult = Omit<Extract<ChildMessage, { type: 'result' }>, 'type'>;

export function runHarnessInChild(opts: HarnessRunOptions): Promise<HarnessRunResult> {
  if (opts.signal?.aborted) {
    opts.child?.kill('SIGKILL');
    return Promise.reject(new HarnessError('job.canceled', 'The job was canceled.'));
  }
  return new Promise((resolve, reject) => {
    const child = opts.child ?? forkHarnessChild();
    let settled = false;
    let result: HarnessRunResult | undefined;
    let failure: HarnessError | undefined;
    let killedFor: HarnessError | undefined;

    const kill = (reason: HarnessError) => {
      killedFor ??= reason;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(new HarnessError('harness.timeout', `The benchmark did not finish within ${Math.round(opts.timeoutMs / 1000)} s and was stopped.`)), opts.timeoutMs);
    const onAbort = () => kill(new HarnessError('job.canceled', 'The job was canceled.'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (msg: ChildMessage) => {
      if (msg.type === 'progress') opts.onProgress?.(msg);
      else if (msg.type === 'started') opts.onStarted?.(msg.at);
      else if (msg.type === 'result') result = { summary: msg.summary, environment: msg.environment, resourceUsage: msg.resourceUsage, profile: msg.profile };
      else if (msg.type === 'error') failure = new HarnessError(msg.code, msg.message);
    });
    const start = () => {
      opts.onSpawn?.(child);
      child.send({ type: 'run', ...opts.request } satisfies RunRequest);
    };
    // A spare process has spawned long ago; a fresh one has not yet.
    if (child.pid !== undefined) start();
    else child.once('spawn', start);
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else if (result) resolve(result);
      else reject(new HarnessError('harness.no_result', 'The harness process ended without a result.'));
    };
    child.once('error', (err) => finish(new HarnessError('harness.spawn_failed', `Could not start the harness process: ${err.message}`)));
    child.once('exit', (code, signal) => {
      if (killedFor) return finish(killedFor);
      if (failure) return finish(failure);
      if (result && code === 0) return finish(undefined);
      finish(
        new HarnessError(
          'harness.crashed',
          signal ? `The harness process was killed by ${signal} during the run.` : `The harness process exited with code ${code} during the run.`,
        ),
      );
    });
  });
}
