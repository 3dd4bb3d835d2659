// Start-up order a script can rely on: /readyz says ready only after start-up work is done, and a port
// that is taken is reported before the database is started or migrated.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startApiServer } from '../../src/api/server.js';
import { createLogger } from '../../src/lib/logger.js';
import { createQueuePrefix, createTempDir, createTestDatabase } from '../helpers/isolated-resources.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';
import { runNpubench } from '../helpers/processes.js';

describe('serve start-up', () => {
  it('answers /readyz 503 service.starting until start-up marks it ready, then 200', async () => {
    const config = loadConfig({
      DATABASE_URL: await createTestDatabase(),
      REDIS_URL: TEST_REDIS_URL,
      NPUBENCH_QUEUE_PREFIX: createQueuePrefix(),
      NPUBENCH_DATA_DIR: await createTempDir('npubench-readyz'),
      HOST: '127.0.0.1',
      PORT: '0',
    });
    const server = await startApiServer(config, { log: createLogger('silent'), deferReadiness: true });
    try {
      const before = await fetch(`${server.url}/readyz`);
      expect(before.status).toBe(503);
      expect(before.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await before.json()) as { code: string }).code).toBe('service.starting');
      // Start-up takes seconds: the route's own hint, not the generic 5 s of a 503.
      expect(before.headers.get('retry-after')).toBe('1');
      // Liveness is not readiness: the process is alive while it starts.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      server.markReady();
      const after = await fetch(`${server.url}/readyz`);
      expect(after.status).toBe(200);
      expect(((await after.json()) as { status: string }).status).toBe('ready');
    } finally {
      await server.stop();
    }
  });

  it('refuses a taken port before it starts the embedded database or runs migrations', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    const dataDir = await createTempDir('npubench-port-taken');
    try {
      const run = await runNpubench(['serve'], { NPUBENCH_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: '', REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'warn' });
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(run.stderr).toContain('PORT');
      // Nothing was created: no database cluster, no signing key.
      expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
      expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
      expect(existsSync(join(dataDir, 'signing-key.pem'))).toBe(false);
    } finally {
      squatter.close();
    }
  });
});
