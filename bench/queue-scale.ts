// Queue scale: 10,000 jobs queued across 50 devices through POST /v1/jobs, then agents connect and
// drain them. Reports the submit rate, the drain time and rate, and Redis memory (INFO memory,
// used_memory) before, with everything queued, and after the drain. Issue #10 sets no target here; the
// figures say what the service sustains on this machine.
//
// Set-up: the real API (`npubench serve`) with a private redis-server (so INFO memory sees only these
// queues) and a fresh Postgres database. AGENTS real Agents in this process, each serving
// DEVICES/AGENTS devices (BullMQ worker, claim, progress and result over HTTP; the API recomputes,
// signs and stores every report). What each job runs: the mlp-classifier fixture, 1 query, no warm-up,
// no operator profile, no power meter — and in this process (Agent.runHarness) rather than a child
// process per job: 10,000 process starts (~0.4 s of CPU each) would make this a benchmark of node's
// start-up, not of the service.
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createDevice, deviceInput } from '../src/services/devices/devices.js';
import { AppError, HarnessError, errorMessage } from '../src/lib/errors.js';
import { executeRunRequest } from '../src/workers/agent/harness-run.js';
import { runRequestSchema } from '../src/workers/agent/harness-messages.js';
import { reconcileJobs } from '../src/services/jobs/reconciler.js';
import { BenchQueues } from '../src/queue/bench-queues.js';
import { createLogger } from '../src/lib/logger.js';
import type { HarnessRunOptions, HarnessRunResult } from '../src/workers/agent/harness-process.js';
import { loadAverage, uploadModel, withBenchService } from './support/bench-service.js';
import { startBenchAgent, submitJob } from './support/bench-agent.js';
import { machineLine, printTable } from './bench-utils.js';

const JOBS = Number(process.env.JOBS ?? 10_000);
const DEVICES = Number(process.env.DEVICES ?? 50);
const AGENTS = Number(process.env.AGENTS ?? 10);
const SUBMIT_CONCURRENCY = Number(process.env.SUBMIT_CONCURRENCY ?? 16);
/** The benchmark stops draining after this long (from its start), prints what it got, and fails. */
const DEADLINE_MS = Number(process.env.DEADLINE_S ?? 540) * 1000;
const MLP = fileURLToPath(new URL('../test/fixtures/models/mlp-classifier.onnx', import.meta.url));
const SUITE = { warmupQueries: 0, minQueryCount: 1, minDurationMs: 0 };

/** The harness in this process: same run code as the child process, without the process start. */
async function runHarnessInProcess(opts: HarnessRunOptions): Promise<HarnessRunResult> {
  opts.onStarted?.(performance.timeOrigin + performance.now());
  try {
    // Parsed as the child parses it: the same defaults applied to the backend and meter configs.
    return await executeRunRequest(runRequestSchema.omit({ type: true }).parse(opts.request), (p) => opts.onProgress?.(p));
  } catch (err) {
    throw err instanceof AppError ? err : new HarnessError('harness.failed', errorMessage(err));
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

const MiB = 1024 ** 2;
const started = Date.now();
const remaining = () => DEADLINE_MS - (Date.now() - started);
console.log(`queue scale: ${JOBS} jobs over ${DEVICES} devices, ${AGENTS} agents draining; ${machineLine()}, ${cpus().length}x ${cpus()[0]?.model ?? ''}`);
console.log(`  each job: mlp-classifier, 1 query, no warm-up, no profile, harness in the agent's process; ${loadAverage()} at start`);

await withBenchService({ privateRedis: true }, async (service) => {
  const redis = new Redis(service.redisUrl);
  try {
    const devices = Array.from({ length: DEVICES }, (_, i) => `bench-q-${String(i).padStart(2, '0')}`);
    for (const slug of devices) await createDevice(service.db, deviceInput.parse({ slug, name: `queue bench ${slug}`, manufacturer: 'bench' }));
    const vendor = await service.createOrgWithKey('VENDOR');
    const model = await uploadModel(service.url, vendor.key, MLP, { name: 'mlp-classifier' });
    const memEmpty = await usedMemory(redis);

    // Submit everything before any agent is connected: the queues hold all JOBS at once.
    const submitStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SUBMIT_CONCURRENCY }, async () => {
        while (next < JOBS) {
          const i = next++;
          await submitJob(service, vendor.key, { modelId: model.id, device: devices[i % DEVICES]!, suite: SUITE });
          if (remaining() < 0) throw new Error(`deadline passed while submitting (${i} submitted)`);
        }
      }),
    );
    const submitSeconds = (performance.now() - submitStart) / 1000;
    const memQueued = await usedMemory(redis);
    // What each API replica's reconciler does every NPUBENCH_RECONCILE_INTERVAL_MS with this backlog.
    const queues = new BenchQueues(redis, service.queuePrefix);
    const reconcileStart = performance.now();
    const reconciled = await reconcileJobs({ db: service.db, queues, redis, config: { env: { NPUBENCH_QUEUE_PREFIX: service.queuePrefix } }, log: createLogger('warn') }, { agentDeadlineMs: 120_000 });
    const reconcileSeconds = (performance.now() - reconcileStart) / 1000;
    await queues.close();
    if (reconciled.requeued.length > 0) throw new Error(`the reconciler re-queued ${reconciled.requeued.length} jobs Redis should hold`);
    console.log(`  submitted ${JOBS} jobs in ${submitSeconds.toFixed(1)} s (${(JOBS / submitSeconds).toFixed(0)} jobs/s); Redis used_memory ${(memEmpty / MiB).toFixed(1)} -> ${(memQueued / MiB).toFixed(1)} MiB (${loadAverage()})`);

    // Agents connect and drain.
    let finished = 0;
    let failed = 0;
    const drainStart = performance.now();
    const cpuBefore = { api: await cpuSeconds(service.api.pid!), agents: await cpuSeconds(process.pid) };
    const agents = [];
    for (let a = 0; a < AGENTS; a++) {
      const mine = devices.filter((_, i) => i % AGENTS === a);
      const agent = await startBenchAgent(service, mine, { profileIterations: 0, runHarness: runHarnessInProcess });
      agent.agent.on('job-finished', (e) => {
        finished++;
        if (e.outcome !== 'succeeded') failed++;
      });
      agents.push(agent);
    }
    let incomplete = false;
    try {
      let lastReport = performance.now();
      while (finished < JOBS) {
        if (remaining() < 0) {
          incomplete = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
        if (performance.now() - lastReport > 15_000) {
          lastReport = performance.now();
          console.log(`  ${finished} finished after ${((lastReport - drainStart) / 1000).toFixed(0)} s (${loadAverage()})`);
        }
      }
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const drained = finished;
    const cpu = { api: (await cpuSeconds(service.api.pid!)) - cpuBefore.api, agents: (await cpuSeconds(process.pid)) - cpuBefore.agents };
    const memDrained = await usedMemory(redis);
    const succeeded = await service.db.job.count({ where: { status: 'SUCCEEDED' } });
    const reports = await service.db.report.count();
    printTable([
      ['figure', 'value'],
      ['jobs submitted / succeeded / failed / reports stored', `${JOBS} / ${succeeded} / ${failed} / ${reports}`],
      ['submit (POST /v1/jobs, %d in flight)'.replace('%d', String(SUBMIT_CONCURRENCY)), `${submitSeconds.toFixed(1)} s, ${(JOBS / submitSeconds).toFixed(0)} jobs/s`],
      [
        incomplete ? `drain: INCOMPLETE, stopped at the ${DEADLINE_MS / 1000} s deadline` : 'drain (agents connect -> last job finished)',
        `${drained} jobs in ${drainSeconds.toFixed(1)} s, ${(drained / drainSeconds).toFixed(1)} jobs/s`,
      ],
      ['CPU during the drain: API process / agents process (ms per job)', `${cpu.api.toFixed(0)} s / ${cpu.agents.toFixed(0)} s (${((cpu.api / drained) * 1000).toFixed(1)} / ${((cpu.agents / drained) * 1000).toFixed(1)})`],
      [`reconciler pass over the ${JOBS} queued jobs (from this process)`, `${(reconcileSeconds * 1000).toFixed(0)} ms`],
      ['Redis used_memory: empty', `${(memEmpty / MiB).toFixed(1)} MiB`],
      ['Redis used_memory: all jobs queued', `${(memQueued / MiB).toFixed(1)} MiB (+${((memQueued - memEmpty) / JOBS).toFixed(0)} bytes per queued job)`],
      [incomplete ? 'Redis used_memory: at the deadline' : 'Redis used_memory: drained (completed jobs kept per removeOnComplete)', `${(memDrained / MiB).toFixed(1)} MiB`],
    ]);
    // Requests the API answered with 500 (the agents retry them): how many, and why.
    const apiErrors = service.apiOutput().split('\n').filter((line) => /"level":(50|60)/.test(line));
    if (apiErrors.length > 0) {
      const reasons = new Map<string, number>();
      for (const line of apiErrors) {
        const m = /"(?:message|msg)":"([^"]{0,160})/.exec(line);
        reasons.set(m?.[1] ?? line.slice(0, 160), (reasons.get(m?.[1] ?? line.slice(0, 160)) ?? 0) + 1);
      }
      console.log(`  the API logged ${apiErrors.length} errors during the run:`);
      for (const [reason, count] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`    ${count} x ${reason}`);
    }
    if (incomplete) throw new Error(`the drain did not finish within the deadline (DEADLINE_S=${DEADLINE_MS / 1000}); ${JOBS - drained} jobs left`);
    if (succeeded !== JOBS) throw new Error(`${JOBS - succeeded} jobs did not succeed`);
    console.log(`  (${loadAverage()} at end)`);
  } finally {
    await redis.quit();
  }
});
