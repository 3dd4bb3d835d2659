// What the public leaderboard answers. Zod only: the dashboard imports this file.
import { z } from 'zod';
import { rowId, timestamp } from './common.js';

/** Sortable metrics, as the `sort` query names them. */
export const LEADERBOARD_SORTS = ['targetLatencyNs', 'p50Ns', 'p99Ns', 'qps', 'energyPerInferenceMj', 'accuracy', 'issuedAt'] as const;
export type LeaderboardSort = (typeof LEADERBOARD_SORTS)[number];

export const resultWorkloadSchema = z
  .object({
    id: z.string().describe('`npubench-edge@1/<workload>` for a suite workload\'s closed division, `…:open` for its open division; `model:sha256:<hex>` for a result of no suite run'),
    kind: z.enum(['suite', 'unlisted']).describe('unlisted: a workload of its own, ranked only against runs of the same model bytes'),
    division: z.enum(['closed', 'open']).describe('closed: the reference or a declared variant, meeting the quality target as the service measured it in a suite run; anything else is open'),
    label: z.string(),
  })
  .meta({ id: 'ResultWorkload' });
export type ResultWorkload = z.infer<typeof resultWorkloadSchema>;

export const leaderboardRowSchema = z
  .object({
    certificateId: rowId,
    reportId: rowId.nullable().describe('null when the report is private'),
    profileId: z.string(),
    task: z.string().nullable(),
    device: z.object({ slug: z.string(), name: z.string(), manufacturer: z.string() }),
    vendor: z.string(),
    model: z.object({ name: z.string(), version: z.string() }),
    precision: z.string(),
    executionProvider: z.string(),
    scenario: z.string(),
    workload: resultWorkloadSchema.describe('What the result measured: rows rank only against rows of the same workload'),
    targetLatencyNs: z.number(),
    p50Ns: z.number(),
    p99Ns: z.number(),
    qps: z.number(),
    energyPerInferenceMj: z.number().nullable(),
    accuracy: z.number().nullable(),
    demo: z.boolean().describe('A smoke test or demo (smoke-latency profile, smoke preset, first-start sample): hidden unless demo=show'),
    issuedAt: timestamp,
    expiresAt: timestamp,
  })
  .meta({ id: 'LeaderboardRow' });
export type LeaderboardRow = z.infer<typeof leaderboardRowSchema>;

export const leaderboardPageSchema = z
  .object({
    items: z.array(leaderboardRowSchema).describe('One ranking per workload: the rows of one workload, best first, then the next workload\'s (workload ids in order)'),
    sort: z.enum(LEADERBOARD_SORTS),
    order: z.enum(['asc', 'desc']),
    nextCursor: z.string().nullable().describe('Pass as `cursor` to get the next page; null on the last page'),
  })
  .meta({ id: 'LeaderboardPage' });
export type LeaderboardPage = z.infer<typeof leaderboardPageSchema>;

export const leaderboardFacetsSchema = z
  .object({
    profiles: z.array(z.string()),
    tasks: z.array(z.string()),
    devices: z.array(z.string()),
    vendors: z.array(z.string()),
    precisions: z.array(z.string()),
    executionProviders: z.array(z.string()),
    workloads: z.array(resultWorkloadSchema),
    demoResults: z.number().int().describe('Live smoke-test and demo results, which the board hides unless demo=show'),
  })
  .meta({ id: 'LeaderboardFacets' });
export type LeaderboardFacets = z.infer<typeof leaderboardFacetsSchema>;
