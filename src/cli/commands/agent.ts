// `npubench agent --device <slug>...`: a standalone agent next to the hardware. It needs the API URL,
// its token and the Redis that holds the queues; it never talks to Postgres.
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../lib/logger.js';
import { createRedis } from '../../lib/redis.js';
import { Agent, agentOptionsFromConfig, type RunnerCommand } from '../../workers/agent/agent.js';
import { onShutdown } from '../shutdown.js';
import { runnerCommandLine } from '../runner-command-line.js';
import { powerMeterConfigSchema, type PowerMeterConfig } from '../../harness/index.js';

/** `--runner device=command args...`, repeatable. */
export function parseRunnerOption(values: string[] = []): Record<string, RunnerCommand> {
  const runners: Record<string, RunnerCommand> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new Error(`--runner expects <device>=<command>, got "${value}"`);
    runners[value.slice(0, eq)] = runnerCommandLine(value.slice(eq + 1));
  }
  return runners;
}

/** `--power-meter device=<json>`, repeatable: the meter config as JSON (see src/harness/power/power-meter-config.ts). */
export function parsePowerMeterOption(values: string[] = []): Record<string, PowerMeterConfig> {
  const meters: Record<string, PowerMeterConfig> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new Error(`--power-meter expects <device>=<json>, got "${value}"`);
    meters[value.slice(0, eq)] = powerMeterConfigSchema.parse(JSON.parse(value.slice(eq + 1)));
  }
  return meters;
}

export async function agentCommand(opts: { device: string[]; token?: string; apiUrl?: string; runner?: string[]; powerMeter?: string[] }): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.env.LOG_LEVEL, 'npubench-agent');
  const token = opts.token ?? config.env.NPUBENCH_AGENT_TOKEN;
  if (!token) throw new Error('An agent token is required: set NPUBENCH_AGENT_TOKEN or pass --token (an admin creates one with POST /v1/agents).');
  const connection = createRedis(config.env.REDIS_URL, 'worker');
  connection.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const agent = new Agent({
    apiUrl: opts.apiUrl ?? config.env.NPUBENCH_API_URL,
    token,
    devices: opts.device,
    connection,
    ...agentOptionsFromConfig(config),
    runners: parseRunnerOption(opts.runner),
    powerMeters: parsePowerMeterOption(opts.powerMeter),
    log,
  });
  // The process-level deadline leaves the agent time to hand its job back after its own deadline.
  onShutdown(
    log,
    async () => {
      await agent.stop(config.env.NPUBENCH_AGENT_SHUTDOWN_DEADLINE_MS);
      await connection.quit();
      log.info('agent stopped');
    },
    config.env.NPUBENCH_AGENT_SHUTDOWN_DEADLINE_MS + 30_000,
  );
  await agent.start();
  console.log(`npubench agent serving ${opts.device.join(', ')} for ${opts.apiUrl ?? config.env.NPUBENCH_API_URL}`);
}
