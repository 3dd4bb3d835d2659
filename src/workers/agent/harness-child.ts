// Entry point of the harness child process. Receives one run request over IPC, runs it, writes the
// raw samples to the requested file, sends the summary back, and exits.
import { writeFile } from 'node:fs/promises';
import { AppError, errorMessage } from '../../lib/errors.js';
import { createOnnxRuntimeBackend, runBenchmark } from '../../harness/index.js';
import type { ChildMessage, RunRequest } from './harness-messages.js';

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(msg, undefined, undefined, () => resolve()) ?? resolve());
}

process.once('message', (req: RunRequest) => {
  void (async () => {
    try {
      const result = await runBenchmark({
        modelPath: req.modelPath,
        spec: req.spec,
        backend: createOnnxRuntimeBackend(req.backend),
        onProgress: (p) => void send({ type: 'progress', phase: p.phase, fraction: p.fraction, queries: p.queries }),
      });
      await writeFile(req.rawSamplesPath, JSON.stringify(result.rawSamples));
      await send({ type: 'result', summary: result.summary as unknown as Record<string, unknown>, environment: result.environment as unknown as Record<string, unknown> });
      process.exit(0);
    } catch (err) {
      await send({ type: 'error', code: err instanceof AppError ? err.code : 'harness.failed', message: errorMessage(err) });
      process.exit(1);
    }
  })();
});
