import { z } from 'zod';

export const databaseEnv = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional()
    .describe('`postgresql://…` of a real Postgres. When unset, an embedded PGlite under `<data dir>/pglite` serves the same code.'),
});
