// An agent reports a job failure with a code it sends as a plain string. Vendors read that code, so
// only codes the catalog declares are stored as they came; any other (an agent of another version, the
// HTTP client's `http.<status>`) is stored as agent.failed with the original code kept in the message.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createAgent } from '../../src/services/agents/agents.js';

let t: TestApi;
let vendor: { key: string };
let agent: { id: string; token: string };
let modelId: string;

beforeAll(async () => {
  t = await startTestApi();
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-f', name: 'NPU', manufacturer: 'test' } });
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
  agent = await createAgent(t.deps.db, { name: 'agent-f', devices: ['npu-f'] });
});

/** A job this agent is running (created directly: no queue or harness is needed to report a failure). */
async function runningJob(): Promise<string> {
  const model = await t.deps.db.model.findUniqueOrThrow({ where: { id: modelId } });
  const device = await t.deps.db.device.findUniqueOrThrow({ where: { slug: 'npu-f' } });
  const job = await t.deps.db.job.create({ data: { orgId: model.orgId, modelId, deviceId: device.id, suite: {}, status: 'RUNNING', agentId: agent.id, startedAt: new Date() } });
  return job.id;
}

async function failAndRead(code: string, message: string) {
  const id = await runningJob();
  const res = await t.app.inject({ method: 'POST', url: `/v1/agent/jobs/${id}/fail`, headers: bearer(agent.token), payload: { code, message } });
  expect(res.json()).toMatchObject({ recorded: true, status: 'FAILED' });
  const view = await t.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: bearer(vendor.key) });
  return (view.json() as { error: { code: string; message: string } | null }).error;
}

describe('job failure codes reported by an agent', () => {
  it('stores a declared code as it came', async () => {
    expect(await failAndRead('harness.timeout', 'The benchmark did not finish within 60 s and was stopped.')).toEqual({
      code: 'harness.timeout',
      message: 'The benchmark did not finish within 60 s and was stopped.',
    });
  });

  it('stores an undeclared code as agent.failed, keeping the code in the message', async () => {
    expect(await failAndRead('http.502', 'GET /v1/agent/artifacts/x answered 502')).toEqual({ code: 'agent.failed', message: 'http.502: GET /v1/agent/artifacts/x answered 502' });
    // Prototype keys are not declared codes either.
    expect(await failAndRead('constructor', 'x')).toEqual({ code: 'agent.failed', message: 'constructor: x' });
  });
});
