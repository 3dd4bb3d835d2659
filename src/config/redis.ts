import { z } from 'zod';
import { envBoolean } from './env-schema.js';

export const redisEnv = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379')
    .describe('Redis holding the job queues (API and agents must share it).'),
  NPUBENCH_REDIS_AUTOSTART: envBoolean(true).describe('When nothing answers at `REDIS_URL` and `redis-server` is on PATH, `npm start` starts a private one.'),
  NPUBENCH_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('npubench')
    .describe('Key prefix of the BullMQ queues; lets several deployments or test files share one Redis.'),
});
