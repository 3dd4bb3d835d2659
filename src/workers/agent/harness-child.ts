// Entry point of the harness child process. Receives one run request over IPC, runs it, writes the
// raw samples to the requested file, sends the summary back, and exits.
import { AppError, errorMessage, type ErrorCode } from '../../lib/errors.js';
import { executeRunRequest } from './harness-run.js';
import { malformedMessage, runRequestSchema, type ChildMessage } from './harness-messages.js';

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(msg, undefined, undefined, () => resolve()) ?? resolve());
}

// The agent died (kill -9, OOM killer): a run nobody will read must not keep the device busy and
// disturb the next run's measurements.
process.once('disconnect', () => process.exit(70));

process.once('message', (message: unknown) => {
  void (async () => {
    const parsed = runRequestSchema.safeParse(message);
    if (!parsed.success) {
      await send({ type: 'error', code: 'harness.malformed_message' satisfies ErrorCode, message: malformedMessage('run request', parsed.error) });
      process.exit(1);
    }
    const req = parsed.data;
    try {
      void send({ type: 'started', at: performance.timeOrigin + performance.now() });
      const outcome = await executeRunRequest(req, (p) => void send({ type: 'progress', ...p }));
      await send({ type: 'result', ...outcome });
      process.exit(0);
    } catch (err) {
      await send({ type: 'error', code: err instanceof AppError ? err.code : ('harness.failed' satisfies ErrorCode), message: errorMessage(err) });
      process.exit(1);
    }
  })();
});
