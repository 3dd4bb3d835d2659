// The README's quick start: `npm start` with nothing configured. Postgres is embedded (a real server under
// the data dir); nothing answers at REDIS_URL, so a private redis-server is started; the in-process
// agent serves host-cpu and the first start benchmarks the bundled sample model.
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../helpers/isolated-resources.js';
import { freePort, runNpubench, startNpubench } from '../helpers/processes.js';

describe('quick start on embedded defaults', () => {
  it('starts, prints keys once, benchmarks the sample model, and a submit from the CLI works with the saved login', async () => {
    const dataDir = await createTempDir('npubench-quickstart');
    const port = await freePort();
    const env = { NPUBENCH_DATA_DIR: dataDir, PORT: String(port), REDIS_URL: `redis://127.0.0.1:${await freePort()}`, DATABASE_URL: '', LOG_LEVEL: 'warn' };
    const server = startNpubench(['serve'], env);
    await server.waitForOutput(/vendor key/, 90_000);
    const reportUrl = (await server.waitForOutput(/Sample benchmark done: (\S+)/, 120_000))[1]!;
    const report = (await (await fetch(reportUrl)).json()) as { summary: { queryCount: number; scenario: string }; device: { slug: string } };
    expect(report.device.slug).toBe('host-cpu');
    expect(report.summary.queryCount).toBeGreaterThanOrEqual(128);

    // `npx npubench submit model.onnx --device host-cpu` with no key on the command line.
    const { fixtureModel } = await import('../helpers/fixtures.js');
    const submit = await runNpubench(['submit', fixtureModel('mlp-classifier.onnx'), '--device', 'host-cpu', '--preset', 'smoke'], {
      NPUBENCH_DATA_DIR: dataDir,
    });
    expect(submit.code, submit.stderr + submit.stdout).toBe(0);
    expect(submit.stdout).toMatch(/latency p99\s+\d+\.\d+ ms/);
    expect(submit.stdout).toContain(`http://127.0.0.1:${port}/v1/reports/`);
    expect(await server.stop()).toBe(0);

    // A second start reuses the data: no new keys are printed.
    const again = startNpubench(['serve'], env);
    await again.waitForOutput(/npubench is running/, 90_000);
    expect(again.output()).not.toMatch(/vendor key/);
    expect(await again.stop()).toBe(0);
  }, 180_000);
});
