// What crosses the agent ↔ harness child boundary is parsed on both sides (src/workers/agent/
// harness-messages.ts): a real child process that sends an undeclared message fails the run with
// harness.malformed_message, and the real harness child answers an undeclared run request the same way.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/lib/errors.js';
import { resolveSuiteSpec } from '../../src/harness/suite-spec.js';
import { forkHarnessChild, runHarnessInChild } from '../../src/workers/agent/harness-process.js';
import { createTempDir } from '../helpers/isolated-resources.js';

const UNDECLARED = fileURLToPath(new URL('../fixtures/harness/undeclared-message-child.mjs', import.meta.url));
const MLP = fileURLToPath(new URL('../fixtures/models/mlp-classifier.onnx', import.meta.url));

const fakeChild = (variant: string): ChildProcess => fork(UNDECLARED, [variant], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });

async function runWith(child: ChildProcess): Promise<unknown> {
  const dir = await createTempDir('npubench-harness-messages');
  return runHarnessInChild({
    child,
    // Long enough that only the malformed message, never the timeout, can end these runs.
    timeoutMs: 600_000,
    request: {
      modelPath: MLP,
      spec: resolveSuiteSpec({ preset: 'smoke' }),
      backend: { kind: 'onnxruntime', config: { executionProvider: 'cpu' } },
      rawSamplesPath: join(dir, 'raw.json'),
      powerMeter: null,
      profileIterations: 0,
    },
  }).catch((err: unknown) => err);
}

describe('harness child messages', () => {
  it('fails the run with harness.malformed_message when the child sends a result that is not a latency summary', async () => {
    const err = await runWith(fakeChild('result-without-summary'));
    expect(err).toBeInstanceOf(HarnessError);
    expect(err).toMatchObject({ code: 'harness.malformed_message' });
    expect((err as HarnessError).message).toMatch(/^The harness process message is not a declared message: summary/);
  });

  it('stops the child and fails the run with harness.malformed_message on undeclared progress', async () => {
    const child = fakeChild('progress-as-text');
    const err = await runWith(child);
    expect(err).toMatchObject({ code: 'harness.malformed_message' });
    expect((err as HarnessError).message).toMatch(/fraction/);
    expect(child.signalCode).toBe('SIGKILL');
  });

  it('the real harness child answers a run request that is not declared with harness.malformed_message', async () => {
    const child = forkHarnessChild();
    const answers: unknown[] = [];
    child.on('message', (m) => answers.push(m));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('spawn', () => child.send({ type: 'run', modelPath: 42 }));
    expect(await exited).toBe(1);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ type: 'error', code: 'harness.malformed_message' });
    expect((answers[0] as { message: string }).message).toMatch(/^The run request is not a declared message: modelPath/);
  });
});
