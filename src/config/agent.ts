import { z } from 'zod';
import { envInt } from './env-schema.js';

export const agentEnv = z.object({
  NPUBENCH_API_URL: z.url().default('http://127.0.0.1:3000'),
  /** Issued by `POST /v1/agents` (admin); identifies the agent to the API. */
  NPUBENCH_AGENT_TOKEN: z.string().min(1).optional(),
  /** Models downloaded by digest are cached here. Defaults to <data dir>/agent-cache. */
  NPUBENCH_AGENT_CACHE_DIR: z.string().min(1).optional(),
  /** A harness run that takes longer than this is killed and its job fails with harness.timeout. */
  NPUBENCH_HARNESS_TIMEOUT_MS: envInt(30 * 60_000, 1_000, 24 * 3_600_000),
  NPUBENCH_HEARTBEAT_INTERVAL_MS: envInt(10_000, 100, 600_000),
});
