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
