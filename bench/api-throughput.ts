// API throughput: requests/s and latency of GET /v1/reports/:id on the real API (`npubench serve` as
// deployed, compiled: see bench-service.ts; its own process, real Postgres) versus a bare fastify route in its own process answering the very same
// bytes (bench/support/bare-server.ts), both driven by autocannon from this process, in one run.
// Target (issue #10): the API reaches >= 50% of the bare route's requests/s; p99 reported.
//
// The reports are real: a job runs through a real agent (smallest suite, operator profile included, so
// the report has its usual size) before the measurement. Two reads are measured:
//   - a vendor reading its own private report with its API key (authentication + visibility rule);
//   - an anonymous read of a public report.
// Rounds alternate the order (bare first, then API first, ...) so drift hits both; each target gets a
// warm-up first. The ratio is the median of the rounds' ratios (each round's two sides ran back to back).
// Each side's CPU per request is printed too: it is the client-independent form of the ratio.
import autocannon from 'autocannon';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { createDevice, deviceInput } from '../src/services/devices/devices.js';
import { loadAverage, REPO_ROOT, uploadModel, withBenchService, type BenchService } from './support/bench-service.js';
import { startBenchAgent, submitJob, watchJobs } from './support/bench-agent.js';
import { machineLine, median, printTable, startSupportServer } from './bench-utils.js';
import { seedCertifiedResults } from '../test/helpers/certified-results-seed.js';

const DURATION_S = Number(process.env.DURATION_S ?? 10);
const WARMUP_S = Number(process.env.WARMUP_S ?? 3);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const TARGET_RATIO = 0.5;
// ONLY=<regexp> measures the endpoints whose name matches (e.g. ONLY=key while working on one path).
const ONLY = process.env.ONLY ? new RegExp(process.env.ONLY, 'i') : null;
const MLP = fileURLToPath(new URL('../test/fixtures/models/mlp-classifier.onnx', import.meta.url));

interface Endpoint {
  name: string;
  /** Path on the API; the bare server answers the same path with the API's own answer bytes. */
  path: string;
  headers: Record<string, string>;
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  serverCpuPct: number;
  clientCpuPct: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * One autocannon run against `url` served by process `serverPid`. Also reports how busy the server
 * and this process (the client: autocannon parses responses in JavaScript) were, as % of one core, so
 * a run bounded by the client or by a starved machine shows as such.
 */
async function measure(url: string, serverPid: number, headers: Record<string, string>, durationS: number): Promise<Measured> {
  const [server0, client0, t0] = [await cpuSeconds(serverPid), await cpuSeconds(process.pid), performance.now()];
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: durationS });
  const wall = (performance.now() - t0) / 1000;
  const [server1, client1] = [await cpuSeconds(serverPid), await cpuSeconds(process.pid)];
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    serverCpuPct: ((server1 - server0) / wall) * 100,
    clientCpuPct: ((client1 - client0) / wall) * 100,
  };
}

/** Runs a real job to a stored, signed report; returns the report id. */
async function makeReport(service: BenchService, key: string, device: string, visibility: 'PRIVATE' | 'PUBLIC'): Promise<string> {
  const model = await uploadModel(service.url, key, MLP, { name: `mlp-${visibility.toLowerCase()}`, visibility });
  const { agent, stop } = await startBenchAgent(service, [device], { spareHarness: false });
  try {
    const jobs = watchJobs(agent);
    const jobId = await submitJob(service, key, { modelId: model.id, device, suite: { warmupQueries: 10, minQueryCount: 200, minDurationMs: 0 } });
    await jobs.succeeded(jobId);
  } finally {
    await stop();
  }
  const job = await service.db.job.findFirstOrThrow({ where: { modelId: model.id }, include: { report: true } });
  return job.report!.id;
}

console.log(`API throughput vs a bare fastify route answering the same bytes; autocannon ${CONNECTIONS} connections, ${ROUNDS} x ${DURATION_S} s per side after ${WARMUP_S} s warm-up; ${machineLine()}, ${cpus().length}x ${cpus()[0]?.model ?? ''}`);

await withBenchService({}, async (service) => {
  await createDevice(service.db, deviceInput.parse({ slug: 'bench-api', name: 'API bench (host CPU)', manufacturer: 'bench' }));
  const vendor = await service.createOrgWithKey('VENDOR');
  const privateReport = await makeReport(service, vendor.key, 'bench-api', 'PRIVATE');
  const publicReport = await makeReport(service, vendor.key, 'bench-api', 'PUBLIC');
  const endpoints: Endpoint[] = [
    { name: 'GET /v1/reports/:id (vendor key, private report)', path: `/v1/reports/${privateReport}`, headers: { authorization: `Bearer ${vendor.key}` } },
    { name: 'GET /v1/reports/:id (anonymous, public report)', path: `/v1/reports/${publicReport}`, headers: {} },
  ];
  // The leaderboard's first page (50 of 1,000 certified results, the dashboard's default view),
  // seeded straight into the service's database; the API's cache hears of it through the trigger.
  await seedCertifiedResults(service.databaseUrl, { count: 1_000, devices: 20, vendors: 8, energyEvery: 3 });
  endpoints.push({ name: 'GET /v1/leaderboard (first page, 1,000 results)', path: '/v1/leaderboard?limit=50', headers: {} });

  // The bare server answers each path with exactly the bytes the API answered.
  const bodies: Record<string, string> = {};
  const present: Endpoint[] = [];
  for (const [i, e] of endpoints.entries()) {
    if (ONLY && !ONLY.test(e.name)) continue;
    const res = await fetch(`${service.url}${e.path}`, { headers: e.headers });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) {
      console.log(`  ${e.name}: answered ${res.status}, not measured (${res.status === 404 ? 'not in this build' : body.toString().slice(0, 200)})`);
      continue;
    }
    const file = join(service.dataDir, `bare-body-${i}.json`);
    await writeFile(file, body);
    bodies[e.path.split('?')[0]!] = file;
    present.push(e);
    console.log(`  ${e.name}: ${body.length} bytes`);
  }
  const bare = await startSupportServer(
    join(REPO_ROOT, 'bench', 'support', 'bare-server.ts'),
    Object.entries(bodies).map(([path, file]) => `${path}=${file}`),
  );
  // The CPU ratio (bare server's CPU per request / the API's) does not depend on the client: when
  // autocannon saturates its core before the bare server does, the req/s ratio flatters the API.
  const rows: (string | number)[][] = [['endpoint', 'bare req/s', 'API req/s', 'ratio (median of rounds)', 'CPU µs/request bare/API (ratio)', 'bare p50/p99 ms', 'API p50/p99 ms', 'target', 'result']];
  try {
    for (const e of present) {
      await measure(`${bare.url}${e.path}`, bare.pid, e.headers, WARMUP_S);
      await measure(`${service.url}${e.path}`, service.api.pid!, e.headers, WARMUP_S);
      const sides = { bare: [] as Measured[], api: [] as Measured[] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const side of round % 2 === 0 ? (['bare', 'api'] as const) : (['api', 'bare'] as const)) {
          const m = side === 'bare' ? await measure(`${bare.url}${e.path}`, bare.pid, e.headers, DURATION_S) : await measure(`${service.url}${e.path}`, service.api.pid!, e.headers, DURATION_S);
          if (m.non2xx > 0 || m.errors > 0) throw new Error(`${side} ${e.name}: ${m.non2xx} non-2xx answers, ${m.errors} errors`);
          sides[side].push(m);
          console.log(
            `  round ${round + 1} ${side.padEnd(4)} ${e.name}: ${m.rps.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms; CPU server ${m.serverCpuPct.toFixed(0)}% (${((m.serverCpuPct / 100 / m.rps) * 1e6).toFixed(1)} µs/request), client ${m.clientCpuPct.toFixed(0)}% of a core (${loadAverage()})`,
          );
        }
      }
      const of = (ms: Measured[], k: keyof Measured) => median(ms.map((m) => m[k]));
      const cpuPerRequest = (ms: Measured[]) => median(ms.map((m) => (m.serverCpuPct / 100 / m.rps) * 1e6));
      const ratio = median(sides.api.map((m, i) => m.rps / sides.bare[i]!.rps));
      rows.push([
        e.name,
        of(sides.bare, 'rps').toFixed(0),
        of(sides.api, 'rps').toFixed(0),
        ratio.toFixed(3),
        `${cpuPerRequest(sides.bare).toFixed(1)}/${cpuPerRequest(sides.api).toFixed(1)} (${(cpuPerRequest(sides.bare) / cpuPerRequest(sides.api)).toFixed(3)})`,
        `${of(sides.bare, 'p50')}/${of(sides.bare, 'p99')}`,
        `${of(sides.api, 'p50')}/${of(sides.api, 'p99')}`,
        `>= ${TARGET_RATIO}`,
        ratio >= TARGET_RATIO ? 'PASS' : 'FAIL',
      ]);
    }
  } finally {
    bare.stop();
  }
  printTable(rows);
  console.log(`  (${loadAverage()} at end)`);
});
