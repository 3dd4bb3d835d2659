// `npubench keys generate` writes a key the API then signs with (NPUBENCH_SIGNING_KEY_FILE), and a
// key rotation keeps the previous key in the JWKS as retired.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createQueuePrefix, createTempDir, createTestDatabase } from '../helpers/isolated-resources.js';
import { freePort, runNpubench, startNpubench } from '../helpers/processes.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';
import { loadSigningKeyFile } from '../../src/lib/crypto/signing-keys.js';

describe('npubench keys generate', () => {
  it('writes a mode-600 key, refuses to overwrite it, and the API serves it (and the retired one) in its JWKS', async () => {
    const dir = await createTempDir('npubench-keys');
    const first = join(dir, 'first.pem');
    const second = join(dir, 'second.pem');
    const made = await runNpubench(['keys', 'generate', '--out', first], {});
    expect(made.code, made.stderr).toBe(0);
    expect(statSync(first).mode & 0o777).toBe(0o600);
    const again = await runNpubench(['keys', 'generate', '--out', first], {});
    expect(again.code).toBe(2);
    expect((await runNpubench(['keys', 'generate', '--out', second], {})).code).toBe(0);

    const env = {
      DATABASE_URL: await createTestDatabase(),
      REDIS_URL: TEST_REDIS_URL,
      NPUBENCH_QUEUE_PREFIX: createQueuePrefix(),
      NPUBENCH_DATA_DIR: dir,
      NPUBENCH_LOCAL_AGENT: 'false',
      NPUBENCH_SAMPLE_BENCHMARK: 'false',
      LOG_LEVEL: 'warn',
    };
    const jwksOf = async (keyFile: string) => {
      const port = await freePort();
      const api = startNpubench(['serve'], { ...env, PORT: String(port), NPUBENCH_SIGNING_KEY_FILE: keyFile });
      await api.waitForOutput(/npubench is running/);
      const jwks = (await (await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)).json()) as { keys: { kid: string; status: string }[] };
      expect(await api.stop()).toBe(0);
      return jwks;
    };
    const [k1, k2] = [await loadSigningKeyFile(first), await loadSigningKeyFile(second)];
    expect((await jwksOf(first)).keys).toEqual([expect.objectContaining({ kid: k1.keyId, status: 'active' })]);
    const rotated = await jwksOf(second);
    expect(rotated.keys).toEqual(expect.arrayContaining([expect.objectContaining({ kid: k1.keyId, status: 'retired' }), expect.objectContaining({ kid: k2.keyId, status: 'active' })]));
  });
});
