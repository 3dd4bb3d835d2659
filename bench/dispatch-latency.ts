// Dispatch latency: from the moment a client submits a job (POST /v1/jobs) to the moment the agent has
// started the harness for it, on an idle agent. Target (issue #10): p50 <= 50 ms over >= 200 jobs.
//
// Set-up: the real API (`npubench serve`, its own process) on a fresh database; the real Agent (BullMQ
// worker, claim over HTTP, model cache, harness child process) in this process, serving one device.
// Jobs go one at a time: submit, wait until the job is finished, pause, submit the next, so the agent is
// idle at every submit. Each job runs the smallest suite (mlp-classifier fixture, 1 query, no warm-up);
// only the dispatch part is timed. The first JOBS_WARMUP jobs (model download into the agent's cache,
// first connections) are not counted.
//
// Clocks: every stamp is wall-clock ms (performance.timeOrigin + performance.now(), sub-ms) on this
// host; createdAt and startedAt (claim) come from the API process's clock on the same host.
//   submit      the client is about to send POST /v1/jobs
//   created     job.createdAt (the row insert in the API)
//   claimed     job.startedAt (the agent's claim, written by the API)
//   spawned     the agent's harness child process exists ('harness-started' event)
//   running     the harness child has loaded its code and begun the run (its 'started' message)
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { createDevice, deviceInput } from '../src/services/devices/devices.js';
import { loadAverage, uploadModel, withBenchService } from './support/bench-service.js';
import { startBenchAgent, submitJob, watchJobs } from './support/bench-agent.js';
import { machineLine, percentile, printTable } from './bench-utils.js';

const JOBS = Number(process.env.JOBS ?? 200);
const JOBS_WARMUP = Number(process.env.JOBS_WARMUP ?? 5);
/** Idle time between a job's end and the next submit: the agent is back to waiting, its spare harness process loaded. */
const PAUSE_MS = Number(process.env.PAUSE_MS ?? 1000);
const TARGET_P50_MS = 50;
const MLP = fileURLToPath(new URL('../test/fixtures/models/mlp-classifier.onnx', import.meta.url));
const SUITE = { warmupQueries: 0, minQueryCount: 1, minDurationMs: 0 };

const nowMs = () => performance.timeOrigin + performance.now();

interface Stamps {
  submit: number;
  created: number;
  claimed: number;
  spawned: number;
  running: number;
}

console.log(`dispatch latency: submit -> harness started, idle agent, one job at a time; ${machineLine()}, ${cpus().length}x ${cpus()[0]?.model ?? ''}`);
console.log(`  ${JOBS} measured jobs after ${JOBS_WARMUP} warm-up jobs; each runs mlp-classifier, 1 query, no warm-up, no profile; ${loadAverage()} at start`);

const measured = await withBenchService({}, async (service) => {
  const device = 'bench-dispatch';
  await createDevice(service.db, deviceInput.parse({ slug: device, name: 'dispatch bench (host CPU)', manufacturer: 'bench' }));
  const vendor = await service.createOrgWithKey('VENDOR');
  const model = await uploadModel(service.url, vendor.key, MLP, { name: 'mlp-classifier' });
  const { agent, stop } = await startBenchAgent(service, [device], { profileIterations: 0 });
  const jobs = watchJobs(agent);
  // The agent can start a job's harness before this process has read the submit response: stamps are
  // merged per job id in whatever order they arrive.
  const stamps = new Map<string, Partial<Stamps>>();
  const stamp = (jobId: string, values: Partial<Stamps>) => stamps.set(jobId, { ...stamps.get(jobId), ...values });
  agent.on('harness-started', ({ jobId }) => stamp(jobId, { spawned: nowMs() }));
  agent.on('harness-running', ({ jobId, at }) => stamp(jobId, { running: at }));
  const results: Stamps[] = [];
  try {
    for (let i = 0; i < JOBS_WARMUP + JOBS; i++) {
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      const submit = nowMs();
      const jobId = await submitJob(service, vendor.key, { modelId: model.id, device, suite: SUITE });
      stamp(jobId, { submit });
      await jobs.succeeded(jobId);
      const row = await service.db.job.findUniqueOrThrow({ where: { id: jobId } });
      stamp(jobId, { created: row.createdAt.getTime(), claimed: row.startedAt!.getTime() });
      if (i >= JOBS_WARMUP) results.push(stamps.get(jobId) as Stamps);
      if ((i + 1) % 50 === 0) console.log(`  ${i + 1} jobs done`);
    }
  } finally {
    await stop();
  }
  return results;
});

const segments: [string, (s: Stamps) => number][] = [
  ['submit -> created (POST handling until the row insert)', (s) => s.created - s.submit],
  ['created -> claimed (queue pickup + claim)', (s) => s.claimed - s.created],
  ['claimed -> spawned (claim answer, cache check, spare process)', (s) => s.spawned - s.claimed],
  ['spawned -> running (IPC hop; a cold process loads its code)', (s) => s.running - s.spawned],
  ['submit -> spawned', (s) => s.spawned - s.submit],
  ['submit -> running (headline)', (s) => s.running - s.submit],
];
const rows: (string | number)[][] = [['segment', 'p50 ms', 'p99 ms', 'max ms']];
for (const [name, of] of segments) {
  const values = measured.map(of);
  rows.push([name, percentile(values, 0.5).toFixed(1), percentile(values, 0.99).toFixed(1), Math.max(...values).toFixed(1)]);
}
printTable(rows);
const headline = percentile(measured.map((s) => s.running - s.submit), 0.5);
console.log(
  `  dispatch p50 ${headline.toFixed(1)} ms, p99 ${percentile(measured.map((s) => s.running - s.submit), 0.99).toFixed(1)} ms over ${measured.length} jobs; target p50 <= ${TARGET_P50_MS} ms: ${headline <= TARGET_P50_MS ? 'PASS' : 'FAIL'} (${loadAverage()} at end)`,
);
