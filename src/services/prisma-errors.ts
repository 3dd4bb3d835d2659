import { Prisma } from '@prisma/client';

/** Postgres unique violation surfaced by Prisma (P2002). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
