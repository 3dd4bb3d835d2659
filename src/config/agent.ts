import { z } from 'zod';
import { envInt } from './env-schema.js';

export const agentEnv = z.object({
  NPUBENCH_API_URL: z.url().default('http://127.0.0.1:3000').describe('(agent, CLI) The API to talk to.'),
  NPUBENCH_AGENT_TOKEN: z.string().min(1).optional().describe('(agent) Token issued by `POST /v1/agents` (admin); identifies the agent to the API.'),
  NPUBENCH_AGENT_CACHE_DIR: z.string().min(1).optional().describe('(agent) Models downloaded by digest are cached here. Defaults to `<data dir>/agent-cache`.'),
  NPUBENCH_HARNESS_TIMEOUT_MS: envInt(30 * 60_000, 1_000, 24 * 3_600_000).describe('(agent) A harness run that takes longer is killed and its job fails with `harness.timeout`.'),
  NPUBENCH_HEARTBEAT_INTERVAL_MS: envInt(10_000, 100, 600_000).describe('(agent) How often the agent reports that it is alive.'),
});
