// Runs the harness in a child process: a model that crashes onnxruntime, exhausts memory or hangs
// takes down only the child, the job fails with a specific code, and the agent keeps serving.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { HarnessError, declaredFailure } from '../../lib/errors.js';
import { childMessageSchema, malformedMessage, type ChildMessage, type HarnessProgress, type RunRequestInput } from './harness-messages.js';

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
  request: Omit<RunRequestInput, 'type'>;
  timeoutMs: number;
  /** Resident bytes the child and its descendants may use together; 0 = 75 % of physical memory. */
  memoryLimitBytes?: number;
  onProgress?: (p: HarnessProgress) => void;
  onSpawn?: (child: ChildProcess) => void;
  /** The child has loaded and begun the run; `at` is its wall-clock time in ms. */
  onStarted?: (at: number) => void;
  signal?: AbortSignal;
  /** A harness process to use (from SpareHarnessProcess); a fresh one is started when absent. */
  child?: ChildProcess;
}

export type HarnessRunResult = Omit<Extract<ChildMessage, { type: 'result' }>, 'type'>;

const MEMORY_POLL_MS = 100;

export const defaultMemoryLimitBytes = () => Math.floor(totalmem() * 0.75);

/**
 * Resident memory of a process and all its descendants, from /proc (Linux). Node's
 * --max-old-space-size covers only the JS heap, not onnxruntime's native buffers or a runner's
 * process, and RLIMIT_AS cannot be used: V8 reserves far more address space than it touches.
 * Returns null where /proc is unavailable.
 */
export async function processTreeRssBytes(pid: number): Promise<number | null> {
  let total = 0;
  const pending = [pid];
  let seen = 0;
  while (pending.length > 0 && seen < 256) {
    const current = pending.pop()!;
    seen++;
    const status = await readFile(`/proc/${current}/status`, 'utf8').catch(() => null);
    if (status === null) {
      if (current === pid) return null;
      continue;
    }
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    total += kb ? Number(kb) * 1024 : 0;
    const children = await readFile(`/proc/${current}/task/${current}/children`, 'utf8').catch(() => '');
    for (const child of children.split(' ').filter(Boolean)) pending.push(Number(child));
  }
  return total;
}

/** Every descendant of `pid` (a runner and the helpers it started), read from /proc; [] elsewhere. */
function descendantPids(pid: number): number[] {
  const found: number[] = [];
  const pending = [pid];
  while (pending.length > 0 && found.length < 256) {
    const current = pending.pop()!;
    let children = '';
    try {
      children = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of children.split(' ').filter(Boolean).map(Number)) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

/** Kills the child and its descendants: once the child is gone they would be orphans nobody stops. */
function killTree(child: ChildProcess): void {
  const descendants = child.pid === undefined ? [] : descendantPids(child.pid);
  child.kill('SIGKILL');
  for (const pid of descendants) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

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
      killTree(child);
    };
    const timer = setTimeout(() => kill(new HarnessError('harness.timeout', `The benchmark did not finish within ${Math.round(opts.timeoutMs / 1000)} s and was stopped.`)), opts.timeoutMs);
    const limit = opts.memoryLimitBytes || defaultMemoryLimitBytes();
    let polling = false;
    const memoryWatch = setInterval(() => {
      if (polling || child.pid === undefined) return;
      polling = true;
      void processTreeRssBytes(child.pid)
        .then((rss) => {
          if (rss === null) return clearInterval(memoryWatch); // no /proc: the timeout still applies
          if (rss > limit) {
            kill(new HarnessError('harness.memory_limit', `The benchmark used ${Math.round(rss / 2 ** 20)} MiB of memory, over the agent's limit of ${Math.round(limit / 2 ** 20)} MiB, and was stopped.`));
          }
        })
        .finally(() => (polling = false));
    }, MEMORY_POLL_MS);
    const onAbort = () => kill(new HarnessError('job.canceled', 'The job was canceled.'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('message', (message: unknown) => {
      const parsed = childMessageSchema.safeParse(message);
      // A child that says something undeclared cannot be trusted with the rest of the run either.
      if (!parsed.success) return kill(new HarnessError('harness.malformed_message', malformedMessage('harness process message', parsed.error)));
      const msg = parsed.data;
      if (msg.type === 'progress') opts.onProgress?.({ phase: msg.phase, fraction: msg.fraction, queries: msg.queries });
      else if (msg.type === 'started') opts.onStarted?.(msg.at);
      else if (msg.type === 'result') result = { summary: msg.summary, environment: msg.environment, resourceUsage: msg.resourceUsage, profile: msg.profile };
      else if (msg.type === 'error') {
        const declared = declaredFailure(msg.code, msg.message, 'harness.failed');
        failure = new HarnessError(declared.code, declared.message);
      }
    });
    const start = () => {
      opts.onSpawn?.(child);
      child.send({ type: 'run', ...opts.request } satisfies RunRequestInput);
    };
    // A spare process has spawned long ago; a fresh one has not yet.
    if (child.pid !== undefined) start();
    else child.once('spawn', start);
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(memoryWatch);
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
