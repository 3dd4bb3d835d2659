import type { Logger } from '../lib/logger.js';

// Graceful shutdown on SIGINT/SIGTERM: run `stop` once, with a deadline after which the process exits
// anyway; a second signal exits at once.
export function onShutdown(log: Logger, stop: () => Promise<void>, deadlineMs = 45_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown deadline passed, exiting');
      process.exit(1);
    }, deadlineMs).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
