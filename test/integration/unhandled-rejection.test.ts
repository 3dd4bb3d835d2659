// A promise rejection nobody handled does not end the API process (issue #19 item 2): it is logged
// and counted, and the process goes on serving. A child process, since the test runner has its own
// handler for rejections in the test's process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createQueuePrefix, createTempDir, createTestDatabase } from '../helpers/isolated-resources.js';
import { REPO_ROOT } from '../helpers/processes.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';

const SCRIPT = fileURLToPath(new URL('../helpers/api-process-with-stray-rejection.ts', import.meta.url));

describe('an unhandled rejection in the API process', () => {
  it('is counted, and the API keeps serving', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: await createTestDatabase(),
      REDIS_URL: TEST_REDIS_URL,
      NPUBENCH_QUEUE_PREFIX: createQueuePrefix(),
      NPUBENCH_DATA_DIR: await createTempDir('npubench-rejection'),
      NPUBENCH_RECONCILE_INTERVAL_MS: '0',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(out).toContain('healthz 200');
    expect(out).toContain('npubench_background_failures_total{task="unhandled_rejection"} 1');
    expect(out).toContain('stopped');
    expect(code, out).toBe(0);
  });
});
