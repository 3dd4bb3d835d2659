import { z } from 'zod';
import { envByteSize, envInt } from './env-schema.js';

export const agentEnv = z.object({
  NPUBENCH_API_URL: z.url().default('http://127.0.0.1:3000').describe('(agent, CLI) The API to talk to.'),
  NPUBENCH_AGENT_TOKEN: z.string().min(1).optional().describe('(agent) Token issued by `POST /v1/agents` (admin); identifies the agent to the API.'),
  NPUBENCH_AGENT_CACHE_DIR: z.string().min(1).optional().describe('(agent) Models downloaded by digest are cached here. Defaults to `<data dir>/agent-cache`.'),
  NPUBENCH_HARNESS_TIMEOUT_MS: envInt(30 * 60_000, 1_000, 24 * 3_600_000).describe('(agent) A harness run that takes longer is killed and its job fails with `harness.timeout`.'),
  NPUBENCH_HARNESS_MEMORY_LIMIT_BYTES: envByteSize(0).describe(
    "(agent) Resident memory the harness child and its descendants (a vendor runner) may use together, polled from /proc every 100 ms; past it the run is killed and the job fails with `harness.memory_limit`. Counts onnxruntime's native allocations, which Node's heap limit does not. `0`: 75 % of the host's physical memory. Linux only (elsewhere only the timeout applies).",
  ),
  NPUBENCH_HEARTBEAT_INTERVAL_MS: envInt(10_000, 100, 600_000).describe('(agent) How often the agent reports that it is alive.'),
  NPUBENCH_AGENT_JOB_LOCK_MS: envInt(60_000, 1_000, 3_600_000).describe(
    "(agent) The agent's lock on a running job, renewed while it runs. When an agent process dies, its job returns to the queue for another (or the restarted) agent once the lock has expired.",
  ),
  NPUBENCH_AGENT_SHUTDOWN_DEADLINE_MS: envInt(30_000, 0, 3_600_000).describe(
    '(agent) On SIGTERM the agent stops taking jobs and lets the running one finish for up to this long; then it stops the run and hands the job back to the queue.',
  ),
});
