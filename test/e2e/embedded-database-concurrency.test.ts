// `npm start` with no DATABASE_URL, under concurrent load: 8 clients, jobs running on the in-process
// agent, more than 5,000 reads and writes. Each answer is checked against what the test itself knows
// (which key asked, which job it created, which model it uploaded), so a query that ran with another
// request's parameters, or rows that reached the wrong caller, count as wrong answers. PGlite failed
// this (one session multiplexed over every connection); the embedded default must give 0.
import { describe, expect, it } from 'vitest';
import { createQueuePrefix, createTempDir } from '../helpers/isolated-resources.js';
import { freePort, startNpubench, waitUntil } from '../helpers/processes.js';
import { TEST_REDIS_URL } from '../helpers/test-env.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';

const CLIENTS = 8;
const REQUESTS = 5_200;
const SUBMIT_EVERY = 200; // 26 smoke jobs queued while the reads go on

interface JobAnswer {
  id: string;
  orgId: string;
  modelId: string;
  status: string;
}

describe('embedded database under concurrent load', () => {
  it('is ready only once first-start setup is done, then gives 0 wrong answers to 5,200 concurrent requests while jobs run', async () => {
    const dataDir = await createTempDir('npubench-embedded-load');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = startNpubench(['serve'], {
      NPUBENCH_DATA_DIR: dataDir,
      PORT: String(port),
      REDIS_URL: TEST_REDIS_URL,
      NPUBENCH_QUEUE_PREFIX: createQueuePrefix(),
      DATABASE_URL: '',
      NPUBENCH_SAMPLE_BENCHMARK: 'false',
      LOG_LEVEL: 'warn',
    });

    // /readyz says ready only after the host-cpu device (and the keys) exist.
    await waitUntil(
      'readiness',
      async () => {
        if (server.child.exitCode !== null) throw new Error(`npubench serve exited (${server.child.exitCode}):\n${server.output()}`);
        const ready = await fetch(`${url}/readyz`).catch(() => undefined);
        return ready?.status === 200 ? true : null;
      },
      120_000,
    );
    const device = await fetch(`${url}/v1/devices/host-cpu`);
    expect(device.status).toBe(200);

    const [, adminKey] = await server.waitForOutput(/admin key\s+\(lab, role admin\):\s+(\S+)/, 30_000);
    const [, vendorKey] = await server.waitForOutput(/vendor key \(demo-vendor, role vendor\):\s+(\S+)/, 30_000);
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    const vendorMe = (await (await fetch(`${url}/v1/me`, { headers: as(vendorKey!) })).json()) as { org: { id: string; slug: string } };
    const adminMe = (await (await fetch(`${url}/v1/me`, { headers: as(adminKey!) })).json()) as { org: { id: string; slug: string } };
    expect(vendorMe.org.slug).toBe('demo-vendor');
    expect(adminMe.org.id).not.toBe(vendorMe.org.id);

    const uploaded = await fetch(`${url}/v1/models`, { method: 'POST', headers: as(vendorKey!), body: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
    expect(uploaded.status).toBe(201);
    const model = (await uploaded.json()) as { id: string };

    const jobIds: string[] = [];
    const wrong: string[] = [];
    let issued = 0;
    const submit = async (n: number) => {
      const res = await fetch(`${url}/v1/jobs`, {
        method: 'POST',
        headers: { ...as(vendorKey!), 'content-type': 'application/json', 'idempotency-key': `load-${n}` },
        body: JSON.stringify({ modelId: model.id, device: 'host-cpu', suite: { preset: 'smoke' } }),
      });
      const body = (await res.json()) as JobAnswer;
      if (res.status !== 201 || body.orgId !== vendorMe.org.id || body.modelId !== model.id) return `submit ${n}: ${res.status} ${JSON.stringify(body)}`;
      jobIds.push(body.id);
      return undefined;
    };
    await submit(-1);

    // Each request's expected answer is decided from n alone, before it is sent.
    const check = async (n: number): Promise<string | undefined> => {
      if (n % SUBMIT_EVERY === 0) return submit(n);
      const kind = n % 6;
      if (kind === 0) {
        const id = jobIds[n % jobIds.length]!;
        const res = await fetch(`${url}/v1/jobs/${id}`, { headers: as(vendorKey!) });
        const body = (await res.json()) as JobAnswer;
        return res.status === 200 && body.id === id && body.orgId === vendorMe.org.id ? undefined : `job ${id}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`;
      }
      if (kind === 1) {
        const res = await fetch(`${url}/v1/jobs?limit=20`, { headers: as(vendorKey!) });
        const body = (await res.json()) as { items?: JobAnswer[] };
        // A job whose creation answer this test has not read yet may already be listed: check owner and model.
        const ok = res.status === 200 && Array.isArray(body.items) && body.items.length > 0 && body.items.every((j) => j.orgId === vendorMe.org.id && j.modelId === model.id);
        return ok ? undefined : `job list: ${res.status} ${JSON.stringify(body).slice(0, 200)}`;
      }
      if (kind === 2 || kind === 3) {
        const [key, org] = kind === 2 ? [vendorKey!, vendorMe.org] : [adminKey!, adminMe.org];
        const res = await fetch(`${url}/v1/me`, { headers: as(key) });
        const body = (await res.json()) as { org?: { id: string } };
        return res.status === 200 && body.org?.id === org.id ? undefined : `me (${org.slug}): ${res.status} ${JSON.stringify(body).slice(0, 200)}`;
      }
      if (kind === 4) {
        const res = await fetch(`${url}/v1/models/${model.id}`, { headers: as(vendorKey!) });
        const body = (await res.json()) as { id?: string };
        return res.status === 200 && body.id === model.id ? undefined : `model: ${res.status} ${JSON.stringify(body).slice(0, 200)}`;
      }
      // The lab's admin sees every organization's jobs: the vendor's job, as it is.
      const id = jobIds[(n * 7) % jobIds.length]!;
      const res = await fetch(`${url}/v1/jobs/${id}`, { headers: as(adminKey!) });
      const body = (await res.json()) as JobAnswer;
      return res.status === 200 && body.id === id && body.orgId === vendorMe.org.id ? undefined : `job ${id} as lab admin: ${res.status} ${JSON.stringify(body).slice(0, 200)}`;
    };

    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (issued < REQUESTS) {
          const n = issued++;
          const problem = await check(n).catch((err: unknown) => `request ${n}: ${(err as Error).message}`);
          if (problem) wrong.push(problem);
        }
      }),
    );
    expect(issued).toBeGreaterThanOrEqual(5_000);
    expect(wrong).toEqual([]);

    // The jobs ran beside the load and all of them finished correctly.
    const finished = await waitUntil(
      'all jobs to finish',
      async () => {
        const states = await Promise.all(jobIds.map(async (id) => ((await (await fetch(`${url}/v1/jobs/${id}`, { headers: as(vendorKey!) })).json()) as JobAnswer).status));
        return states.every((s) => ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(s)) ? states : null;
      },
      300_000,
    );
    expect(finished.filter((s) => s !== 'SUCCEEDED')).toEqual([]);
    expect(server.output()).not.toMatch(/prepared statement|portal .* does not exist/);
    expect(await server.stop()).toBe(0);
  }, 600_000);
});
