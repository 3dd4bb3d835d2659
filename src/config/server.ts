import { z } from 'zod';
import { envByteSize, envInt } from './env-schema.js';

export const serverEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: envInt(3000, 0, 65535),
  /** The URL clients and agents use to reach the API (report links, agent downloads). */
  NPUBENCH_PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted model upload. */
  NPUBENCH_MAX_UPLOAD_BYTES: envByteSize(2 * 1024 ** 3),
  /** Largest accepted raw-samples upload from an agent. */
  NPUBENCH_MAX_RESULT_BYTES: envByteSize(256 * 1024 ** 2),
});
