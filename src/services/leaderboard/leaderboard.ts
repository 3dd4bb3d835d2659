// The public leaderboard of certified results. A "certified result" is one certificate that is neither
// revoked nor expired, shown with the figures of the report it certifies. The figures are copied into
// typed columns (leaderboard_entries) in the transaction that issues the certificate, so the list sorts
// and filters on indexes rather than on JSON, and pages with a keyset cursor (docs/dashboard.md).
// Rankings never mix workloads: every row names the workload it measured (a suite workload, or the
// certified model itself when no suite lists it), and a page ranks within one workload at a time.
import { z } from 'zod';
import { Prisma, type LeaderboardEntry } from '@prisma/client';
import { writeFloatsExactly, type Db } from '../../lib/database.js';
import { InvalidatedCache, type CacheInvalidation } from '../../lib/cache-invalidation.js';
import { badRequest } from '../../lib/errors.js';
import type { LatencySummaryReport } from '../../harness/schemas.js';
import { SAMPLE_MODEL_NAME } from '../bootstrap/sample-model.js';
import { modelPrecision } from '../../contracts/models.js';
import { environmentSchema } from '../../contracts/reports.js';

type Tx = Prisma.TransactionClient;

/** Sortable metrics: API name → column, and the direction in which "better" comes first. */
export const LEADERBOARD_METRICS = {
  targetLatencyNs: { column: 'target_latency_ns', better: 'asc' },
  p50Ns: { column: 'p50_ns', better: 'asc' },
  p99Ns: { column: 'p99_ns', better: 'asc' },
  qps: { column: 'qps', better: 'desc' },
  energyPerInferenceMj: { column: 'energy_per_inference_mj', better: 'asc' },
  accuracy: { column: 'accuracy', better: 'desc' },
  issuedAt: { column: 'issued_at', better: 'desc' },
} as const;

export type LeaderboardMetric = keyof typeof LEADERBOARD_METRICS;

const filterText = z.string().min(1).max(200);

export const leaderboardQuery = z.strictObject({
  profile: filterText.optional().describe('Certification profile id, e.g. `smoke-latency@1`'),
  task: filterText.optional(),
  device: filterText.optional().describe('Device slug'),
  vendor: filterText.optional().describe("The submitting organization's name"),
  precision: filterText.optional().describe('Element type of most of the model weights (int8 for a QDQ-quantized model): float32, float16, int8, …'),
  ep: filterText.optional().describe('Execution provider the run used'),
  workload: filterText.optional().describe('Workload id (`facets.workloads`): only that workload\'s ranking. Without it the page holds one ranking per workload, workload after workload'),
  demo: z
    .enum(['hide', 'show'])
    .default('hide')
    .describe('Smoke-test and demo results (smoke-latency profile, smoke preset, the first-start sample): hidden unless `show`; each row says `demo`'),
  sort: z.enum(Object.keys(LEADERBOARD_METRICS) as [LeaderboardMetric, ...LeaderboardMetric[]]).default('targetLatencyNs'),
  order: z.enum(['asc', 'desc']).optional().describe("Default: the metric's better end first (lower latency and energy, higher throughput and accuracy)"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(600).optional().describe('`nextCursor` of the previous page'),
});

export type LeaderboardQuery = z.infer<typeof leaderboardQuery>;

export function presentEntry(e: LeaderboardEntry) {
  return {
    certificateId: e.certificateId,
    reportId: e.reportPublic ? e.reportId : null,
    profileId: e.profileId,
    task: e.task,
    device: { slug: e.deviceSlug, name: e.deviceName, manufacturer: e.manufacturer },
    vendor: e.vendor,
    model: { name: e.modelName, version: e.modelVersion },
    precision: e.precision,
    executionProvider: e.executionProvider,
    scenario: e.scenario,
    workload: workloadOfId(e.workload, e.workloadLabel),
    targetLatencyNs: e.targetLatencyNs,
    p50Ns: e.p50Ns,
    p99Ns: e.p99Ns,
    qps: e.qps,
    energyPerInferenceMj: e.energyPerInferenceMj,
    accuracy: e.accuracy,
    demo: e.demo,
    issuedAt: e.issuedAt.toISOString(),
    expiresAt: e.expiresAt.toISOString(),
  };
}

export type LeaderboardRow = ReturnType<typeof presentEntry>;

/** What a result measured, and so what it may be ranked against. */
export interface ResultWorkload {
  id: string;
  /** suite: a workload of a versioned suite (same reference model, dataset and quality target), in one
   *  division; unlisted: a result of no suite run, a workload of its own (only runs of the same model bytes). */
  kind: 'suite' | 'unlisted';
  division: 'closed' | 'open';
  label: string;
}

const UNLISTED_PREFIX = 'model:sha256:';
const OPEN_SUFFIX = ':open';

/** The workload of a certified result: its suite workload and division when it ran in a suite run,
 *  otherwise the model's digest. Task names do not make workloads: three image classifiers are three
 *  workloads; and the two divisions of one suite workload are two rankings. */
export function workloadOfResult(input: { suiteWorkload: { id: string; title: string; division: 'closed' | 'open' } | null; modelDigest: string }): ResultWorkload {
  const w = input.suiteWorkload;
  if (w) return w.division === 'closed' ? { id: w.id, kind: 'suite', division: 'closed', label: w.title } : { id: `${w.id}${OPEN_SUFFIX}`, kind: 'suite', division: 'open', label: `${w.title} (open division)` };
  return { id: `${UNLISTED_PREFIX}${input.modelDigest}`, kind: 'unlisted', division: 'open', label: `Unlisted model sha256:${input.modelDigest.slice(0, 12)}` };
}

function workloadOfId(id: string, label: string): ResultWorkload {
  if (id.startsWith(UNLISTED_PREFIX)) return { id, kind: 'unlisted', division: 'open', label };
  return { id, kind: 'suite', division: id.endsWith(OPEN_SUFFIX) ? 'open' : 'closed', label };
}

interface Cursor {
  /** The workload of the last row: pages run workload after workload. */
  w: string;
  /** The sort value of the last row (null: the row had no value for the metric). */
  v: number | string | null;
  id: string;
}

// Any Postgres uuid, not only RFC 4122 ones: the cursor is compared as ::uuid.
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(text: string, metric: LeaderboardMetric): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Cursor>;
    const validValue = c.v === null || (metric === 'issuedAt' ? typeof c.v === 'string' && !Number.isNaN(Date.parse(c.v)) : typeof c.v === 'number');
    if (validValue && typeof c.w === 'string' && c.w.length > 0 && typeof c.id === 'string' && UUID_TEXT.test(c.id)) return { w: c.w, v: c.v ?? null, id: c.id };
  } catch {
    // fall through
  }
  throw badRequest('leaderboard.bad_cursor', 'The cursor is not one this endpoint returned for this sort.');
}

/**
 * One page of certified results, one ranking per workload: rows of one workload, best first by default,
 * then the next workload's (workload ids in order). Rows without a value for the metric (energy not
 * measured, no accuracy yet) come after every row of their workload that has one, in either direction,
 * so "best first" never starts with blanks. Each step walks an index in (metric, certificate id) order
 * within one workload, which is what keeps a page cheap at 100,000 certificates (bench/leaderboard-query.ts).
 */
export async function queryLeaderboard(db: Db, q: LeaderboardQuery, now = new Date()) {
  const metric = LEADERBOARD_METRICS[q.sort];
  const order = q.order ?? metric.better;
  const col = Prisma.raw(`"${metric.column}"`);
  const dir = Prisma.raw(order === 'asc' ? 'ASC' : 'DESC');
  const cmp = Prisma.raw(order === 'asc' ? '>' : '<');
  const filters: Prisma.Sql[] = [Prisma.sql`"revoked_at" IS NULL`, Prisma.sql`"expires_at" > ${now}`];
  if (q.profile) filters.push(Prisma.sql`"profile_id" = ${q.profile}`);
  if (q.task) filters.push(Prisma.sql`"task" = ${q.task}`);
  if (q.device) filters.push(Prisma.sql`"device_slug" = ${q.device}`);
  if (q.vendor) filters.push(Prisma.sql`"vendor" = ${q.vendor}`);
  if (q.precision) filters.push(Prisma.sql`"precision" = ${q.precision}`);
  if (q.ep) filters.push(Prisma.sql`"execution_provider" = ${q.ep}`);
  if (q.workload) filters.push(Prisma.sql`"workload" = ${q.workload}`);
  if (q.demo === 'hide') filters.push(Prisma.sql`NOT "demo"`);
  const cursor = q.cursor ? decodeCursor(q.cursor, q.sort) : undefined;
  const select = (conditions: Prisma.Sql[], orderBy: Prisma.Sql, limit: number) =>
    db.$queryRaw<LeaderboardEntryRow[]>(Prisma.sql`
      SELECT * FROM "leaderboard_entries" WHERE ${Prisma.join([...filters, ...conditions], ' AND ')} ORDER BY ${orderBy} LIMIT ${limit}`);
  // Filters beyond liveness and demo can be correlated with the workload (a device runs some workloads
  // only): walking the workload index would then pass every row of the workloads they exclude. With such a
  // filter the matching rows are found through its own index first (MATERIALIZED keeps the planner from
  // folding the walk back in), so the cost follows the rows that match, not the table.
  // (A profile is not such a filter: profiles span workloads, and most rows match the common ones.)
  const selective = Boolean(q.task || q.device || q.vendor || q.precision || q.ep) && !q.workload;
  /** The first workload after `after` (or the first of all) with a row the filters keep. */
  const nextWorkload = async (after: string | null) => {
    const where = Prisma.join([...filters, ...(after === null ? [] : [Prisma.sql`"workload" > ${after}`])], ' AND ');
    const [row] = selective
      ? await db.$queryRaw<{ workload: string | null }[]>(Prisma.sql`
          WITH matching AS MATERIALIZED (SELECT "workload" FROM "leaderboard_entries" WHERE ${where}) SELECT min("workload") AS "workload" FROM matching`)
      : await db.$queryRaw<{ workload: string | null }[]>(Prisma.sql`SELECT "workload" FROM "leaderboard_entries" WHERE ${where} ORDER BY "workload" LIMIT 1`);
    return row?.workload ?? null;
  };
  /** Up to `limit` rows of one workload's ranking, from a position in it (none: its start). */
  const rankingOf = async (workload: string, from: Omit<Cursor, 'w'> | undefined, limit: number) => {
    const inWorkload = Prisma.sql`"workload" = ${workload}`;
    let rows: LeaderboardEntryRow[] = [];
    if (from?.v !== null) {
      const after = from ? [Prisma.sql`(${col}, "certificate_id") ${cmp} (${q.sort === 'issuedAt' ? new Date(from.v) : from.v}, ${from.id}::uuid)`] : [];
      rows = await select([inWorkload, Prisma.sql`${col} IS NOT NULL`, ...after], Prisma.sql`${col} ${dir}, "certificate_id" ${dir}`, limit);
    }
    if (rows.length < limit) {
      const after = from?.v === null ? [Prisma.sql`"certificate_id" > ${from.id}::uuid`] : [];
      rows.push(...(await select([inWorkload, Prisma.sql`${col} IS NULL`, ...after], Prisma.sql`"certificate_id" ASC`, limit - rows.length)));
    }
    return rows;
  };

  // One row past the page says whether there is a next one.
  const rows: LeaderboardEntryRow[] = [];
  let workload = cursor ? cursor.w : await nextWorkload(null);
  let from: Omit<Cursor, 'w'> | undefined = cursor ? { v: cursor.v, id: cursor.id } : undefined;
  while (workload !== null && rows.length <= q.limit) {
    rows.push(...(await rankingOf(workload, from, q.limit + 1 - rows.length)));
    if (rows.length > q.limit) break;
    workload = await nextWorkload(workload);
    from = undefined;
  }
  const page = rows.slice(0, q.limit).map(fromRow);
  const last = page.at(-1);
  return {
    items: page.map(presentEntry),
    sort: q.sort,
    order,
    nextCursor: rows.length > q.limit && last ? encodeCursor({ w: last.workload, v: sortValueOf(last, q.sort), id: last.certificateId }) : null,
  };
}

/** A leaderboard answer serialised once, valid until the first certificate in it expires. */
interface CachedLeaderboardAnswer {
  json: Buffer;
  validUntil: number;
}
export type LeaderboardCache = InvalidatedCache<CachedLeaderboardAnswer>;

/**
 * The leaderboard changes only when a certificate is issued or revoked (a trigger on
 * leaderboard_entries notifies every replica: migration leaderboard_cache_notify) or when one of its
 * certificates expires (each answer is kept only until the earliest expiry among its rows, or among
 * all live rows for the facets). In between, every visitor gets the same bytes.
 */
export function createLeaderboardCache(invalidation: CacheInvalidation, maxBytes = 16 * 1024 ** 2): LeaderboardCache {
  return new InvalidatedCache<CachedLeaderboardAnswer>(invalidation, {
    maxBytes,
    ttlMs: 10 * 60_000,
    sizeOf: (a) => a.json.length + 200,
    affected: (table) => (table === 'leaderboard_entries' ? 'all' : null),
  });
}

async function cachedAnswer(cache: LeaderboardCache | undefined, key: string, read: () => Promise<{ answer: unknown; validUntil: number }>): Promise<Buffer> {
  const hit = cache?.get(key);
  if (hit && hit.validUntil > Date.now()) return hit.json;
  const token = cache?.readToken() ?? null;
  const { answer, validUntil } = await read();
  const json = Buffer.from(JSON.stringify(answer));
  cache?.set(token, key, { json, validUntil });
  return json;
}

/** GET /v1/leaderboard's answer as JSON bytes, from the cache when it holds them. */
export function leaderboardJson(db: Db, q: LeaderboardQuery, cache?: LeaderboardCache): Promise<Buffer> {
  return cachedAnswer(cache, `page:${JSON.stringify(q)}`, async () => {
    const answer = await queryLeaderboard(db, q);
    return { answer, validUntil: Math.min(Infinity, ...answer.items.map((row) => Date.parse(row.expiresAt))) };
  });
}

/** GET /v1/leaderboard/facets' answer as JSON bytes, from the cache when it holds them. */
export function leaderboardFacetsJson(db: Db, cache?: LeaderboardCache): Promise<Buffer> {
  return cachedAnswer(cache, 'facets', async () => {
    const now = new Date();
    const [answer, [earliest]] = await Promise.all([
      leaderboardFacets(db, now),
      db.$queryRaw<{ at: Date | null }[]>(Prisma.sql`SELECT min("expires_at") AS at FROM "leaderboard_entries" WHERE "revoked_at" IS NULL AND "expires_at" > ${now}`),
    ]);
    return { answer, validUntil: earliest?.at ? earliest.at.getTime() : Infinity };
  });
}

function sortValueOf(e: LeaderboardEntry, metric: LeaderboardMetric): number | string | null {
  const v = e[metric];
  return v instanceof Date ? v.toISOString() : v;
}

/** The distinct values the leaderboard's filters can take, for the dashboard's select boxes. A loose
 *  index scan per column (each step jumps to the next value in the column's index), so the cost grows
 *  with the number of distinct values rather than with the number of rows. */
export async function leaderboardFacets(db: Db, now = new Date()) {
  const distinct = async (column: string) => {
    const col = Prisma.raw(`"${column}"`);
    const live = Prisma.sql`"revoked_at" IS NULL AND "expires_at" > ${now}`;
    const rows = await db.$queryRaw<{ value: string | null }[]>(Prisma.sql`
      WITH RECURSIVE v AS (
        (SELECT ${col} AS value FROM "leaderboard_entries" WHERE ${col} IS NOT NULL AND ${live} ORDER BY ${col} LIMIT 1)
        UNION ALL
        SELECT (SELECT ${col} FROM "leaderboard_entries" WHERE ${col} > v.value AND ${live} ORDER BY ${col} LIMIT 1) FROM v WHERE v.value IS NOT NULL
      )
      SELECT value FROM v WHERE value IS NOT NULL LIMIT 500`);
    return rows.map((r) => r.value).filter((v): v is string => v !== null);
  };
  const [[profiles, tasks, devices, vendors, precisions, executionProviders], [demo], workloads] = await Promise.all([
    Promise.all(['profile_id', 'task', 'device_slug', 'vendor', 'precision', 'execution_provider'].map(distinct)),
    db.$queryRaw<{ n: number }[]>(Prisma.sql`SELECT count(*)::int AS n FROM "leaderboard_entries" WHERE "demo" AND "revoked_at" IS NULL AND "expires_at" > ${now}`),
    // A loose index scan over the workload index, as for the other facets, with one row's label each.
    db.$queryRaw<{ workload: string; workload_label: string }[]>(Prisma.sql`
      WITH RECURSIVE v AS (
        (SELECT "workload" AS value FROM "leaderboard_entries" WHERE "revoked_at" IS NULL AND "expires_at" > ${now} ORDER BY "workload" LIMIT 1)
        UNION ALL
        SELECT (SELECT "workload" FROM "leaderboard_entries" WHERE "workload" > v.value AND "revoked_at" IS NULL AND "expires_at" > ${now} ORDER BY "workload" LIMIT 1) FROM v WHERE v.value IS NOT NULL
      )
      SELECT v.value AS "workload",
             (SELECT "workload_label" FROM "leaderboard_entries" e WHERE e."workload" = v.value AND e."revoked_at" IS NULL AND e."expires_at" > ${now} LIMIT 1) AS "workload_label"
      FROM v WHERE v.value IS NOT NULL LIMIT 500`),
  ]);
  /** Live smoke-test and demo results, which the leaderboard hides unless asked (`demo=show`). */
  const demoResults = demo?.n ?? 0;
  return { profiles, tasks, devices, vendors, precisions, executionProviders, workloads: workloads.map((w) => workloadOfId(w.workload, w.workload_label)), demoResults };
}

// $queryRaw returns column names; map them to the Prisma model's fields.
interface LeaderboardEntryRow {
  certificate_id: string;
  report_id: string;
  profile_id: string;
  task: string | null;
  device_slug: string;
  device_name: string;
  manufacturer: string;
  org_id: string;
  vendor: string;
  model_name: string;
  model_version: string;
  precision: string;
  execution_provider: string;
  scenario: string;
  workload: string;
  workload_label: string;
  target_latency_ns: number;
  p50_ns: number;
  p99_ns: number;
  qps: number;
  energy_per_inference_mj: number | null;
  accuracy: number | null;
  report_public: boolean;
  demo: boolean;
  issued_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

function fromRow(r: LeaderboardEntryRow): LeaderboardEntry {
  return {
    certificateId: r.certificate_id,
    reportId: r.report_id,
    profileId: r.profile_id,
    task: r.task,
    deviceSlug: r.device_slug,
    deviceName: r.device_name,
    manufacturer: r.manufacturer,
    orgId: r.org_id,
    vendor: r.vendor,
    modelName: r.model_name,
    modelVersion: r.model_version,
    precision: r.precision,
    executionProvider: r.execution_provider,
    scenario: r.scenario,
    workload: r.workload,
    workloadLabel: r.workload_label,
    targetLatencyNs: r.target_latency_ns,
    p50Ns: r.p50_ns,
    p99Ns: r.p99_ns,
    qps: r.qps,
    energyPerInferenceMj: r.energy_per_inference_mj,
    accuracy: r.accuracy,
    reportPublic: r.report_public,
    demo: r.demo,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}

/** The report's accuracy figure: MMLU micro accuracy, else classification top-1; null when the run
 *  measured none (docs/accuracy.md). */
function accuracyOf(summary: LatencySummaryReport): number | null {
  const accuracy = summary.accuracy;
  return accuracy?.mmlu?.accuracy ?? accuracy?.classification?.top1Accuracy ?? null;
}

/** Energy per inference (sample) over the measured window, mJ; null when power was not measured. */
export function energyPerInferenceMj(summary: LatencySummaryReport): number | null {
  return summary.power.measured && summary.sampleCount > 0 ? (summary.power.energyJ * 1000) / summary.sampleCount : null;
}

/**
 * A smoke test or demo: certified under the smoke-latency profile (its title says "for integration
 * tests and demos only"), run with the smoke preset (as is, or a custom spec based on it), or the
 * first-start sample benchmark. Such a result proves the pipeline works and says nothing about the
 * device, so the public board hides it by default.
 */
export function isDemoResult(input: { profileId: string; spec: Pick<LatencySummaryReport['spec'], 'preset' | 'basedOn'>; modelName: string }): boolean {
  const smokeRun = input.spec.preset === 'smoke' || input.spec.basedOn === 'smoke';
  return input.profileId.startsWith('smoke-latency@') || smokeRun || input.modelName === SAMPLE_MODEL_NAME;
}

/** Adds the leaderboard row of a certificate being issued, inside the issuing transaction. */
export async function addLeaderboardEntry(
  tx: Tx,
  input: {
    certificateId: string;
    profileId: string;
    issuedAt: Date;
    expiresAt: Date;
    summary: LatencySummaryReport;
    report: { id: string; orgId: string; visibility: string; environment: unknown; org: { name: string } };
    device: { slug: string; name: string; manufacturer: string; executionProvider: string };
    model: { name: string; version: string; task: string | null; signature: unknown; artifactDigest: string };
    /** The result's workload (resultWorkloadOf): a suite run's, with its division, or the model's own. */
    workload: ResultWorkload;
  },
) {
  const { summary, report, device, model, workload } = input;
  // JSON columns, parsed with their contracts at read (both were checked in full when they were stored).
  const runtime = environmentSchema.nullable().parse(report.environment)?.runtime;
  await tx.leaderboardEntry.create({
    data: {
      certificateId: input.certificateId,
      reportId: report.id,
      profileId: input.profileId,
      task: model.task,
      deviceSlug: device.slug,
      deviceName: device.name,
      manufacturer: device.manufacturer,
      orgId: report.orgId,
      vendor: report.org.name,
      modelName: model.name,
      modelVersion: model.version,
      precision: modelPrecision(model.signature),
      executionProvider: runtime?.executionProvider ?? device.executionProvider,
      scenario: summary.scenario,
      workload: workload.id,
      workloadLabel: workload.label,
      targetLatencyNs: summary.targetLatencyNs,
      p50Ns: summary.latency.p50Ns,
      p99Ns: summary.latency.p99Ns,
      qps: summary.qps,
      energyPerInferenceMj: energyPerInferenceMj(summary),
      accuracy: accuracyOf(summary),
      reportPublic: report.visibility === 'PUBLIC',
      demo: isDemoResult({ profileId: input.profileId, spec: summary.spec, modelName: model.name }),
      issuedAt: input.issuedAt,
      expiresAt: input.expiresAt,
    },
  });
  // The figures must equal the signed report's to the last bit; Prisma's own write rounds them.
  await writeFloatsExactly(tx, 'leaderboard_entries', input.certificateId, {
    target_latency_ns: summary.targetLatencyNs,
    p50_ns: summary.latency.p50Ns,
    p99_ns: summary.latency.p99Ns,
    qps: summary.qps,
    energy_per_inference_mj: energyPerInferenceMj(summary),
    accuracy: accuracyOf(summary),
  });
}

export async function markLeaderboardEntryRevoked(tx: Tx, certificateId: string, revokedAt: Date) {
  await tx.leaderboardEntry.updateMany({ where: { certificateId }, data: { revokedAt } });
}
