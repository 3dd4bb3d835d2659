// `npubench serve` (what `npm start` runs): the API plus, by default, an in-process agent serving the
// host CPU, all on embedded defaults.
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../lib/logger.js';
import { createRedis } from '../../lib/redis.js';
import { startApiServer } from '../../api/server.js';
import { Agent, agentOptionsFromConfig } from '../../workers/agent/agent.js';
import { ensureHostCpuDevice, initialiseIfEmpty, localAgentToken, HOST_CPU_DEVICE } from '../../services/bootstrap/first-start.js';
import { submitSampleBenchmark } from '../../services/bootstrap/sample-benchmark.js';
import { saveCliCredentials } from '../cli-credentials.js';
import { formatReportSummary } from '../report-summary-table.js';
import { errorMessage } from '../../lib/errors.js';
import { onShutdown } from '../shutdown.js';
import { runInBackground } from '../../lib/background-tasks.js';

export async function serveCommand(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.env.LOG_LEVEL);
  const server = await startApiServer(config, { log, autostartRedis: true, deferReadiness: true });
  const { deps } = server;
  let agent: Agent | undefined;
  let workerRedis: ReturnType<typeof createRedis> | undefined;
  onShutdown(
    log,
    async () => {
      await agent?.stop(config.env.NPUBENCH_AGENT_SHUTDOWN_DEADLINE_MS);
      await workerRedis?.quit();
      await server.stop();
    },
    config.env.NPUBENCH_AGENT_SHUTDOWN_DEADLINE_MS + 30_000,
  );

  const keys = await initialiseIfEmpty(deps.db);
  const device = await ensureHostCpuDevice(deps.db);
  if (config.env.NPUBENCH_LOCAL_AGENT) {
    workerRedis = createRedis(server.redisUrl, 'worker');
    agent = new Agent({
      apiUrl: server.url,
      token: await localAgentToken(deps.db, device.id),
      devices: [HOST_CPU_DEVICE],
      connection: workerRedis,
      ...agentOptionsFromConfig(config),
      log: log.child({ component: 'agent' }),
    });
    await agent.start();
  }
  server.markReady();

  const lines = [
    '',
    `npubench is running at ${server.url}`,
    `  API docs:  ${server.url}/docs   (OpenAPI: ${server.url}/openapi.json)`,
    `  database:  ${server.embeddedDatabase ? `embedded Postgres in ${config.dataDir}/postgres` : 'DATABASE_URL'}`,
    `  redis:     ${server.redisUrl}`,
    `  agent:     ${agent ? `in-process, serving device ${HOST_CPU_DEVICE}` : 'none in this process (NPUBENCH_LOCAL_AGENT=false)'}`,
  ];
  if (keys) {
    const file = await saveCliCredentials(config.dataDir, { apiUrl: server.url, apiKey: keys.vendorKey });
    lines.push(
      '',
      'First start: created these API keys. They are shown only now (only their hashes are stored):',
      `  admin key  (lab, role admin):          ${keys.adminKey}`,
      `  vendor key (demo-vendor, role vendor): ${keys.vendorKey}`,
      `The vendor key was saved for the CLI in ${file} (mode 600).`,
      '',
      'Try it, in another shell:',
      `  npx npubench submit path/to/model.onnx --device ${HOST_CPU_DEVICE}`,
    );
  }
  console.log(lines.join('\n') + '\n');

  if (keys && config.env.NPUBENCH_SAMPLE_BENCHMARK && agent) {
    try {
      const { job } = await submitSampleBenchmark(deps, keys.vendorOrgId, HOST_CPU_DEVICE);
      console.log(`Running a quick sample benchmark (PP-OCR mobile classifier on ${HOST_CPU_DEVICE}), job ${job.id} ...`);
      agent.on('job-finished', (e) => {
        if (e.jobId !== job.id) return;
        // Logged and counted like every background task if the lookup fails (a crash here would take the API down).
        runInBackground(deps, 'sample_benchmark_summary', async () => {
          const report = await deps.db.report.findUnique({ where: { jobId: job.id }, include: { job: { include: { device: true } } } });
          if (!report) return console.log(`Sample benchmark ended: ${e.outcome}${e.code ? ` (${e.code})` : ''}`);
          const url = `${server.url}/v1/reports/${report.id}`;
          console.log(`\nSample benchmark done: ${url}\n${formatReportSummary({ ...report, device: report.job.device }, url)}\n`);
        });
      });
    } catch (err) {
      log.error({ err: errorMessage(err) }, 'sample benchmark could not be submitted');
    }
  }
}
