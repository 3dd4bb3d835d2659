// Read throughput of `npm start`'s embedded database beside a real Postgres (issue #19: the embedded
// default must reach at least half of the real-Postgres figure; PGlite served 230 req/s).
//
// Both sides run the very same thing: `npubench serve` (compiled, as deployed) from an empty data dir,
// first start included (keys, host-cpu, the sample benchmark on the in-process agent), then
// autocannon reads the sample report with the vendor key. Only DATABASE_URL differs: unset (the
// embedded Postgres under the data dir) or a fresh database on the machine's Postgres. Rounds alternate
// the order; the ratio is the median of the rounds' ratios. The client's CPU is printed so a run bound by
// autocannon's own core shows as such.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../src/lib/free-port.js';
import { loadAverage, NPUBENCH_BIN, POSTGRES_URL, REDIS_URL, REPO_ROOT, compileApi } from './support/bench-service.js';
import { machineLine, median, printTable } from './bench-utils.js';

const DURATION_S = Number(process.env.DURATION_S ?? 10);
const WARMUP_S = Number(process.env.WARMUP_S ?? 3);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const TARGET_RATIO = 0.5;

async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Side {
  name: string;
  url: string;
  api: ChildProcess;
  path: string;
  headers: Record<string, string>;
  stop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(sql).finally(() => client.end());
}

async function startSide(name: string, databaseUrl: string, cleanup: () => Promise<void>): Promise<Side> {
  const dataDir = await mkdtemp(join(tmpdir(), 'npubench-bench-embedded-'));
  const port = await freePort();
  const queuePrefix = `npubench-bench-${randomBytes(4).toString('hex')}`;
  const api = spawn(process.execPath, [NPUBENCH_BIN, 'serve'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL, NPUBENCH_QUEUE_PREFIX: queuePrefix, NPUBENCH_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  api.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  api.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => api.once('exit', () => resolve()));
  const deadline = Date.now() + 300_000;
  let report: RegExpMatchArray | null = null;
  while (!(report = output.match(/Sample benchmark done: (\S+)/))) {
    if (api.exitCode !== null) throw new Error(`${name}: the API exited (${api.exitCode}) during start-up:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${name}: no sample report within 300 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const vendorKey = output.match(/vendor key \(demo-vendor, role vendor\):\s+(\S+)/)![1]!;
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    url,
    api,
    path: new URL(report[1]!).pathname,
    headers: { authorization: `Bearer ${vendorKey}` },
    async stop() {
      api.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
      await cleanup();
    },
  };
}

async function measure(side: Side, durationS: number) {
  const [server0, client0, t0] = [await cpuSeconds(side.api.pid!), await cpuSeconds(process.pid), performance.now()];
  const result = await autocannon({ url: `${side.url}${side.path}`, headers: side.headers, connections: CONNECTIONS, duration: durationS });
  const wall = (performance.now() - t0) / 1000;
  const [server1, client1] = [await cpuSeconds(side.api.pid!), await cpuSeconds(process.pid)];
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${side.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  const rps = result.requests.average;
  return { rps, p99: result.latency.p99, cpuUsPerRequest: ((server1 - server0) * 1e6) / (rps * wall), clientCpuPct: ((client1 - client0) / wall) * 100 };
}

console.log(`Embedded database vs real Postgres, GET /v1/reports/:id with the vendor key; autocannon ${CONNECTIONS} connections, ${ROUNDS} x ${DURATION_S} s per side; ${machineLine()}`);
console.log(`load average at start: ${loadAverage()}`);
await compileApi();
const dbName = `npubench_bench_${randomBytes(5).toString('hex')}`;
await adminQuery(`CREATE DATABASE ${dbName}`);
const realUrl = new URL(POSTGRES_URL);
realUrl.pathname = `/${dbName}`;
const sides = [
  await startSide('embedded Postgres (npm start)', '', async () => undefined),
  await startSide('real Postgres (DATABASE_URL)', realUrl.toString(), () => adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)),
];
try {
  for (const side of sides) await measure(side, WARMUP_S);
  const runs = new Map(sides.map((s) => [s.name, [] as Awaited<ReturnType<typeof measure>>[]]));
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    const got = new Map<string, number>();
    for (const side of order) {
      const m = await measure(side, DURATION_S);
      runs.get(side.name)!.push(m);
      got.set(side.name, m.rps);
    }
    ratios.push(got.get(sides[0]!.name)! / got.get(sides[1]!.name)!);
  }
  const rows: (string | number)[][] = [['database', 'req/s (median)', 'p99 ms (median)', 'API CPU µs/request', 'client CPU %']];
  for (const side of sides) {
    const r = runs.get(side.name)!;
    rows.push([side.name, median(r.map((m) => m.rps)).toFixed(0), median(r.map((m) => m.p99)).toFixed(1), median(r.map((m) => m.cpuUsPerRequest)).toFixed(1), median(r.map((m) => m.clientCpuPct)).toFixed(0)]);
  }
  printTable(rows);
  const ratio = median(ratios);
  console.log(`embedded / real: ${ratio.toFixed(3)} (rounds: ${ratios.map((r) => r.toFixed(3)).join(', ')}); target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}`);
  console.log(`load average at end: ${loadAverage()}`);
} finally {
  for (const side of sides) await side.stop();
}
