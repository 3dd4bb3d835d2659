import { z } from 'zod';

export const databaseEnv = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional()
    .describe('`postgresql://…` of a real Postgres. When unset, an embedded Postgres server (cluster under `<data dir>/postgres`) serves the same code.'),
});
