// Prisma client factory. The app runtime uses a plain PrismaPg adapter (the catalog-type workaround in
// prisma.config.ts is only for the CLI's schema engine).
import { Prisma, PrismaClient } from '@prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';

export type Db = PrismaClient;

export function createDb(databaseUrl: string, poolSize = 10): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5_000 });
  return new PrismaClient({ adapter });
}

/** Columns written with exact JSON numbers, by table (identifiers cannot be query parameters). */
const EXACT_JSON_COLUMNS = { reports: ['summary', 'profile'] } as const;
type ExactJsonTable = keyof typeof EXACT_JSON_COLUMNS;

/**
 * Prisma 6.19's client engine writes JSON numbers with 16 significant digits (14701.448904141225 is stored
 * as 14701.44890414123), so a stored figure would no longer equal its recomputation from the raw
 * samples. Columns that hold measured numbers are written again through this raw update, which hands
 * the JSON text to Postgres intact; reads through Prisma are exact.
 */
export async function writeJsonExactly<T extends ExactJsonTable>(
  db: Pick<Prisma.TransactionClient, '$executeRaw'>,
  table: T,
  id: string,
  values: Partial<Record<(typeof EXACT_JSON_COLUMNS)[T][number], unknown>>,
): Promise<void> {
  for (const [column, value] of Object.entries(values)) {
    if (value === undefined || !(EXACT_JSON_COLUMNS[table] as readonly string[]).includes(column)) continue;
    await db.$executeRaw`UPDATE ${Prisma.raw(`"${table}"`)} SET ${Prisma.raw(`"${column}"`)} = ${JSON.stringify(value)}::jsonb WHERE id = ${id}::uuid`;
  }
}

/** Float columns written exactly, by table, with the column that identifies a row. */
const EXACT_FLOAT_COLUMNS = {
  leaderboard_entries: { key: 'certificate_id', columns: ['target_latency_ns', 'p50_ns', 'p99_ns', 'qps', 'energy_per_inference_mj', 'accuracy'] },
} as const;
type ExactFloatTable = keyof typeof EXACT_FLOAT_COLUMNS;

/**
 * Prisma's engine also rounds plain float columns to 15–16 significant digits (a qps of
 * 46443.703988440204 is stored as 46443.7039884402). Measured figures copied from a signed report are
 * written again here as text, which Postgres parses exactly.
 */
export async function writeFloatsExactly<T extends ExactFloatTable>(
  db: Pick<Prisma.TransactionClient, '$executeRaw'>,
  table: T,
  id: string,
  values: Partial<Record<(typeof EXACT_FLOAT_COLUMNS)[T]['columns'][number], number | null>>,
): Promise<void> {
  const { key, columns } = EXACT_FLOAT_COLUMNS[table];
  const given: Record<string, number | null | undefined> = values;
  const sets = (columns as readonly string[]).flatMap((column) => {
    const value = given[column];
    return value === undefined ? [] : [Prisma.sql`${Prisma.raw(`"${column}"`)} = ${value === null ? null : String(value)}::float8`];
  });
  if (sets.length === 0) return;
  await db.$executeRaw`UPDATE ${Prisma.raw(`"${table}"`)} SET ${Prisma.join(sets, ', ')} WHERE ${Prisma.raw(`"${key}"`)} = ${id}::uuid`;
}
