// Fault injection with real processes: a real `npubench agent` process serves a device of a real API
// (Postgres, Redis), and each cycle kills with SIGKILL either its harness child or the agent itself
// mid-job (a killed agent is started again, as a supervisor would). Every job must end SUCCEEDED or
// FAILED with a reason; none stays QUEUED or RUNNING, and each succeeded job has exactly one report.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../helpers/test-service.js';
import { agentProcessFixture, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { harnessOfRunningJob, startNpubench, waitUntil, type RunningProcess } from '../helpers/processes.js';
import { seededRandom } from '../helpers/seeded-fuzz.js';
import { reconcileJobs } from '../../src/services/jobs/reconciler.js';

const CYCLES = Number(process.env.FAULT_CYCLES ?? 20);
const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 2 ** 31);
const DEVICE = 'npu-fault';
// Short enough that a killed agent's job returns to the queue within seconds, long enough that a
// loaded CI machine renews it in time.
const JOB_LOCK_MS = 4_000;

let t: TestApi;
let vendor: { key: string };
let modelId: string;
let agentEnv: Record<string, string>;
let reconciler: NodeJS.Timeout;

beforeAll(async () => {
  const fixture = await agentProcessFixture(DEVICE, 'fault-agent');
  ({ t, vendor, modelId } = fixture);
  agentEnv = { ...fixture.env, NPUBENCH_AGENT_JOB_LOCK_MS: String(JOB_LOCK_MS) };
  // What the API process runs on a timer (NPUBENCH_RECONCILE_INTERVAL_MS), here every second.
  reconciler = setInterval(() => void reconcileJobs(t.deps, { agentDeadlineMs: 30_000 }).catch(() => undefined), 1_000);
});
afterAll(() => clearInterval(reconciler));

async function startAgent(): Promise<RunningProcess> {
  const agent = startNpubench(['agent', '--device', DEVICE], agentEnv);
  await agent.waitForOutput(/npubench agent serving/, 120_000);
  return agent;
}

describe.skipIf(process.platform !== 'linux')('kill -9 during jobs', () => {
  it(`ends every job SUCCEEDED or FAILED with a reason, exactly one report per success, over ${CYCLES} kill cycles`, { timeout: 900_000 }, async () => {
    console.log(`agent faults: FAULT_SEED=${SEED} FAULT_CYCLES=${CYCLES}`);
    const rng = seededRandom(SEED);
    let agent = await startAgent();
    const outcomes: { jobId: string; killed: 'harness' | 'agent' }[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const killed = cycle % 2 === 0 ? 'harness' : 'agent';
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: bearer(vendor.key),
        payload: { modelId, device: DEVICE, suite: { preset: 'smoke', minDurationMs: 1_500 } },
      });
      expect(res.statusCode, res.body).toBe(201);
      const jobId = (res.json() as { id: string }).id;
      outcomes.push({ jobId, killed });
      const agentPid = agent.child.pid!;
      const harnessPid = await harnessOfRunningJob(agentPid, async () => (await t.deps.db.job.findUniqueOrThrow({ where: { id: jobId } })).status);
      // Somewhere in model load, warm-up or the measured run.
      await new Promise((r) => setTimeout(r, rng.int(0, 1_200)));
      if (killed === 'harness') {
        process.kill(harnessPid, 'SIGKILL');
      } else {
        process.kill(agentPid, 'SIGKILL');
        await agent.stop('SIGKILL');
        // The orphaned harness child notices its parent is gone and exits instead of running on.
        await waitUntil(`the orphaned harness child ${harnessPid} to exit`, () => (existsSync(`/proc/${harnessPid}`) ? null : true), 15_000);
        agent = await startAgent();
      }
      await waitForJob(t, jobId, 180_000);
    }
    await agent.stop('SIGTERM');

    const jobs = await t.deps.db.job.findMany({ where: { id: { in: outcomes.map((o) => o.jobId) } }, include: { report: { select: { id: true } } } });
    const summary = outcomes.map(({ jobId, killed }) => {
      const job = jobs.find((j) => j.id === jobId)!;
      return { killed, status: job.status, code: job.errorCode, attempts: job.attempts, hasReport: job.report !== null };
    });
    console.log('agent faults:', JSON.stringify(summary.reduce<Record<string, number>>((acc, s) => ({ ...acc, [`${s.killed}:${s.status}:${s.code ?? ''}`]: (acc[`${s.killed}:${s.status}:${s.code ?? ''}`] ?? 0) + 1 }), {})));
    for (const s of summary) {
      expect(['SUCCEEDED', 'FAILED']).toContain(s.status);
      if (s.status === 'FAILED') {
        expect(s.code).toMatch(/^[a-z]+\.[a-z_]+$/);
        expect(s.hasReport).toBe(false);
      } else {
        expect(s.hasReport).toBe(true);
      }
    }
    // A killed harness fails its job with the crash named; a killed agent's job is run again.
    expect(summary.filter((s) => s.killed === 'harness' && s.status === 'FAILED').every((s) => s.code === 'harness.crashed')).toBe(true);
    expect(summary.filter((s) => s.killed === 'agent' && s.status === 'SUCCEEDED').length).toBeGreaterThan(0);
    // Exactly one report per succeeded job: reports are keyed by job, so count them all.
    expect(await t.deps.db.report.count()).toBe(summary.filter((s) => s.status === 'SUCCEEDED').length);
    expect(await t.deps.db.job.count({ where: { status: { in: ['QUEUED', 'RUNNING'] } } })).toBe(0);
  });
});
