// CLI failures that say what to do: `verify` with the issuer down names the URL and the offline way
// (--jwks), a model with symbolic dims left at 1 names them and how to size them, and comparing runs
// of different scenarios is refused unless forced.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jwksOf, makeBundle, newIssuerKey, newLogKey } from '../helpers/certificate-corpus.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { freePort, runNpubench } from '../helpers/processes.js';

describe('npubench verify with the API down', () => {
  /** A genuine bundle of an issuer where nothing listens, its key set saved to a file, and an empty trust store. */
  async function bundleOfDownApi() {
    const dir = await createTempDir('npubench-verify-down');
    const api = `http://127.0.0.1:${await freePort()}`;
    const key = newIssuerKey();
    const bundle = makeBundle({ issuerUrl: api, key, log: newLogKey() });
    const file = join(dir, 'cert.json');
    const jwks = join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify(bundle));
    await writeFile(jwks, JSON.stringify(jwksOf(key)));
    return { file, jwks, api, id: bundle.certificateId, env: { NPUBENCH_TRUST_DIR: join(dir, 'trust') } };
  }

  it('--online names the URL it could not fetch and suggests verifying offline with --jwks', async () => {
    const { file, jwks, api, id, env } = await bundleOfDownApi();
    const res = await runNpubench(['verify', file, '--jwks', jwks, '--online'], env);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stderr).toContain(`${api}/v1/certificates/${id}`);
    expect(res.stderr).toContain('--jwks');
  });

  it('--issuer names the key set URL it could not fetch and suggests --jwks', async () => {
    const { file, api, env } = await bundleOfDownApi();
    const res = await runNpubench(['verify', file, '--issuer', api], env);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stderr).toContain(`${api}/.well-known/jwks.json`);
    expect(res.stderr).toContain('--jwks');
  });
});

describe('npubench bench of a model with symbolic dims', () => {
  // symbolic-dims.onnx reshapes x [batch, width] to [-1, 4]: it runs only when batch × width is a multiple of 4.
  it('names the dims that ran at 1 and how to set them, and the sizes it names make it run', async () => {
    const model = fixtureModel('symbolic-dims.onnx');
    const failed = await runNpubench(['bench', model, '--preset', 'smoke'], {});
    expect(failed.code, failed.stdout + failed.stderr).toBe(2);
    expect(failed.stderr).toMatch(/\bbatch\b/);
    expect(failed.stderr).toMatch(/\bwidth\b/);
    expect(failed.stderr).toContain(`--suite '{"dynamicDims":{"batch":`);
    expect(failed.stderr).toContain('suite.dynamicDims');

    const sized = await runNpubench(['bench', model, '--preset', 'smoke', '--suite', '{"dynamicDims":{"batch":1,"width":4}}'], {});
    expect(sized.code, sized.stdout + sized.stderr).toBe(0);
  });
});

describe('npubench compare across scenarios', () => {
  it('refuses two reports of different scenarios unless --force, which warns', async () => {
    const dir = await createTempDir('npubench-compare-scenarios');
    const base = join(dir, 'single-stream.json');
    const first = await runNpubench(['bench', fixtureModel('tiny-cnn.onnx'), '--preset', 'smoke', '--out', base], {});
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(await readFile(base, 'utf8')) as { summary: { spec: { scenario: string } } };
    expect(report.summary.spec.scenario).toBe('single-stream');
    report.summary.spec.scenario = 'offline';
    const offline = join(dir, 'offline.json');
    await writeFile(offline, JSON.stringify(report));

    const refused = await runNpubench(['compare', base, offline], {});
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/single-stream/);
    expect(refused.stderr).toMatch(/offline/);
    expect(refused.stderr).toContain('--force');
    expect(refused.stdout).not.toMatch(/latency p50/);

    const forced = await runNpubench(['compare', base, offline, '--force'], {});
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/warning: .*single-stream.*offline/);
    expect(forced.stdout).toMatch(/latency p50/);
  });
});
