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

export interface HarnessRunOptions {
  request: Omit<RunRequest, 'type'>;
  timeoutMs: number;
  onProgress?: (p: { phase: string; fraction: number; queries: number }) => void;
  onSpawn?: (child: ChildProcess) => void;
  signal?: AbortSignal;
}

export type HarnessRunResult = Omit<Extract<ChildMessage, { type: 'result' }>, 'type'>;

export function runHarnessInChild(opts: HarnessRunOptions): Promise<HarnessRunResult> {
  if (opts.signal?.aborted) return Promise.reject(new HarnessError('job.canceled', 'The job was canceled.'));
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_ENTRY, [], { execArgv: childExecArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
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
      else if (msg.type === 'result') result = { summary: msg.summary, environment: msg.environment, resourceUsage: msg.resourceUsage, profile: msg.profile };
      else if (msg.type === 'error') failure = new HarnessError(msg.code, msg.message);
    });
    child.once('spawn', () => {
      opts.onSpawn?.(child);
      child.send({ type: 'run', ...opts.request } satisfies RunRequest);
    });
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
