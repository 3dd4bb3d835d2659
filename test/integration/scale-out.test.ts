// Scale-out on loopback: two API replicas share one Postgres and one Redis; three agents serve two
// devices (two agents on npu-a, one on npu-b). Jobs submitted through both replicas spread across the
// agents of their device, never run on another device's agent, and none runs twice.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, startReplica, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';

let primary: TestApi;
let replica: TestApi;
let vendor: { key: string };
let modelId: string;
const agentIds: Record<string, string[]> = { 'npu-a': [], 'npu-b': [] };

beforeAll(async () => {
  primary = await startTestApi({ listen: true });
  replica = await startReplica(primary);
  const admin = await primary.createOrgWithKey('ADMIN');
  vendor = await primary.createOrgWithKey('VENDOR');
  for (const slug of ['npu-a', 'npu-b']) {
    await primary.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug, name: slug, manufacturer: 'test' } });
  }
  // Agents talk to different replicas, as they would behind a load balancer.
  for (const [device, api] of [['npu-a', primary], ['npu-a', replica], ['npu-b', replica]] as const) {
    await startTestAgent(api, [device]);
    const agent = await primary.deps.db.agent.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    agentIds[device]!.push(agent.id);
  }
  const up = await replica.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
});

describe('two API replicas and three agents', () => {
  it('spreads jobs over the right agents and runs each exactly once', async () => {
    const submitted: { id: string; device: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const device = i % 3 === 2 ? 'npu-b' : 'npu-a';
      const api = i % 2 === 0 ? primary : replica;
      const res = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device, suite: { preset: 'smoke', minDurationMs: 100 } } });
      expect(res.statusCode).toBe(201);
      submitted.push({ id: (res.json() as { id: string }).id, device });
    }
    const done = await Promise.all(submitted.map((job) => waitForJob(primary, job.id, 120_000)));
    expect(done.map((job) => job.status)).toEqual(submitted.map(() => 'SUCCEEDED'));
    expect(done.every((job) => job.attempts === 1)).toBe(true);
    done.forEach((job, i) => expect(agentIds[submitted[i]!.device]).toContain(job.agentId));
    // Both npu-a agents took work.
    const npuAAgents = new Set(done.filter((_, i) => submitted[i]!.device === 'npu-a').map((job) => job.agentId));
    expect(npuAAgents.size).toBe(2);
    // One report per job: no job ran twice.
    expect(await primary.deps.db.report.count({ where: { jobId: { in: submitted.map((j) => j.id) } } })).toBe(submitted.length);
  });
});
