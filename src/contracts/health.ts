// Liveness and readiness answers. Zod only.
import { z } from 'zod';

export const healthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export const dependencyChecksSchema = z.object({ database: z.enum(['ok', 'down']), redis: z.enum(['ok', 'down']) });

export const readinessSchema = z.object({ status: z.literal('ready'), checks: dependencyChecksSchema }).meta({ id: 'Readiness' });
