// Work the API starts and does not wait for (automatic certification after a result upload), and
// promise rejections nobody handled. Neither may end the process (Node does on an unhandled rejection)
// nor pass unnoticed: each failure is logged and counted in npubench_background_failures_total. drain()
// waits for the work in flight, so a shutdown does not close the database under it.
import { Counter, type Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { errorMessage } from './errors.js';

export class BackgroundTasks {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly failures: Counter<'task'>;

  constructor(
    private readonly log: Logger,
    registry: Registry,
  ) {
    this.failures = new Counter({
      name: 'npubench_background_failures_total',
      help: 'Failures no caller waited for: background tasks by name, and unhandled promise rejections (task "unhandled_rejection").',
      labelNames: ['task'],
      registers: [registry],
    });
  }

  /** Starts `work` now; its failure is logged and counted under `task` (a fixed name, not data). */
  run(task: string, work: () => Promise<unknown>): void {
    const running: Promise<void> = Promise.resolve()
      .then(work)
      .then(
        () => undefined,
        (err: unknown) => this.failed(task, err),
      )
      .finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  /** Records a failure that reached nobody who could handle it. Never throws. */
  failed(task: string, err: unknown): void {
    try {
      this.failures.inc({ task });
      this.log.error({ task, err: errorMessage(err) }, 'background task failed');
    } catch {
      // A logger that throws must not turn one lost failure into a crash.
    }
  }

  /** Resolves when no task is running, including tasks started by the ones awaited. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/** Runs `work` on deps.background; without one (services used outside an API app), still logs its failure. */
export function runInBackground(deps: { log: Logger; background?: BackgroundTasks | undefined }, task: string, work: () => Promise<unknown>): void {
  if (deps.background) return deps.background.run(task, work);
  void Promise.resolve()
    .then(work)
    .catch((err: unknown) => deps.log.error({ task, err: errorMessage(err) }, 'background task failed'));
}

/**
 * Catches the promise rejections nobody handled, process-wide: Node would end the process at the first
 * one. Each is logged and counted as task "unhandled_rejection" and the process keeps serving. Returns
 * the function that removes the handler. Installed once, by the API process (api/server.ts).
 */
export function catchUnhandledRejections(tasks: BackgroundTasks): () => void {
  const onRejection = (reason: unknown) => tasks.failed('unhandled_rejection', reason);
  process.on('unhandledRejection', onRejection);
  return () => void process.off('unhandledRejection', onRejection);
}
