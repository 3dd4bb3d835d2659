// Leaderboard query latency with 100,000 certified results (target: p99 < 50 ms per page). Seeds a
// fresh database (synthetic rows, see test/helpers/certified-results-seed.ts), then times the service's
// query for the pages the dashboard asks for: first pages under each sort, filtered pages, and a deep
// keyset page. Needs the test Postgres (TEST_POSTGRES_URL).
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import { createDb } from '../src/lib/database.js';
import { leaderboardFacets, leaderboardQuery, queryLeaderboard } from '../src/services/leaderboard/leaderboard.js';
import { seedCertifiedResults, seededWorkloadDigest } from '../test/helpers/certified-results-seed.js';
import { createBenchDatabase } from './bench-service.js';
import { machineLine, percentile, printTable } from './bench-utils.js';

const RESULTS = Number(process.env.LEADERBOARD_BENCH_ROWS ?? 100_000);
const ROUNDS = 200;
/** Workloads the results spread over (each page is one ranking per workload, docs/dashboard.md). */
const WORKLOADS = Number(process.env.LEADERBOARD_BENCH_WORKLOADS ?? 20);

const database = await createBenchDatabase();
try {
  const seedStart = performance.now();
  await seedCertifiedResults(database.url, { count: RESULTS, devices: 40, vendors: 12, energyEvery: 3, workloads: WORKLOADS });
  console.log(`seeded ${RESULTS} certified results over ${WORKLOADS} workloads in ${((performance.now() - seedStart) / 1000).toFixed(1)} s; ${machineLine()}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`);
  const db = createDb(database.url, 4);
  // As a long-lived table would be: vacuumed (visibility map set), so autovacuum does not start mid-measurement.
  await db.$executeRawUnsafe('VACUUM (ANALYZE) leaderboard_entries');

  // A cursor 50 pages deep, as "load more" clicked 50 times would hold.
  let deepCursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await queryLeaderboard(db, leaderboardQuery.parse({ limit: 50, ...(deepCursor && { cursor: deepCursor }) }));
    deepCursor = page.nextCursor ?? undefined;
  }
  const cases: [string, Record<string, string | number | undefined>][] = [
    ['first page, target latency', {}],
    ['first page, throughput (desc)', { sort: 'qps' }],
    ['first page, energy (nulls last)', { sort: 'energyPerInferenceMj' }],
    ['first page, issue date', { sort: 'issuedAt' }],
    ['device filter, p99', { device: 'seed-npu-7', sort: 'p99Ns' }],
    ['vendor + precision filter', { vendor: 'Seed Vendor 3', precision: 'int8' }],
    ['profile filter, 200 rows', { profile: 'seed-latency@1', limit: 200 }],
    ['page 51 (keyset cursor)', { cursor: deepCursor }],
    ['one workload, target latency', { workload: `model:sha256:${seededWorkloadDigest(WORKLOADS - 1)}` }],
    ['one workload + device filter, energy', { workload: `model:sha256:${seededWorkloadDigest(WORKLOADS - 1)}`, device: 'seed-npu-7', sort: 'energyPerInferenceMj' }],
    ['no match (unknown device)', { device: 'nope' }],
    ['no match (vendor + EP)', { vendor: 'Seed Vendor 3', ep: 'qnn' }],
  ];
  const rows: (string | number)[][] = [['query', 'rows', 'p50 ms', 'p99 ms', 'max ms']];
  let worstP99 = 0;
  for (const [label, raw] of cases) {
    const q = leaderboardQuery.parse({ limit: 50, ...raw });
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < ROUNDS + 10; i++) {
      const start = performance.now();
      const page = await queryLeaderboard(db, q);
      const elapsed = performance.now() - start;
      if (i >= 10) times.push(elapsed); // the first rounds warm the connection pool and caches
      count = page.items.length;
    }
    const p99 = percentile(times, 0.99);
    worstP99 = Math.max(worstP99, p99);
    rows.push([label, count, percentile(times, 0.5).toFixed(2), p99.toFixed(2), Math.max(...times).toFixed(2)]);
  }
  const facetTimes: number[] = [];
  for (let i = 0; i < 60; i++) {
    const start = performance.now();
    await leaderboardFacets(db);
    if (i >= 10) facetTimes.push(performance.now() - start);
  }
  rows.push(['filter values (GET /v1/leaderboard/facets)', 6, percentile(facetTimes, 0.5).toFixed(2), percentile(facetTimes, 0.99).toFixed(2), Math.max(...facetTimes).toFixed(2)]);
  printTable(rows);
  console.log(`worst p99 ${worstP99.toFixed(2)} ms over ${ROUNDS} rounds per query (target < 50 ms): ${worstP99 < 50 ? 'met' : 'NOT met'}`);
  await db.$disconnect();
} finally {
  await database.drop();
}
