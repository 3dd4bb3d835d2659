// MMLU and LLM latency as service jobs on a runner device (issue #16): the agent runs them through the
// device's runner (the reference runner, protocol v2 lm_forward), and the report records the same
// log-likelihoods and generated tokens as the same job on an onnxruntime device, with the TEST06-like
// LLM token check passed; with a reference model too.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceRunnerCommand } from '../../src/harness/index.js';
import { fixtureLlm, tarOf } from '../helpers/archives.js';
import { bytesForm } from '../helpers/fixtures.js';
import { bearer } from '../helpers/problem.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { startTestApi, type TestApi } from '../helpers/test-service.js';

let t: TestApi;
let vendor: { key: string };
let modelId: string;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  for (const [slug, backendKind] of [['lm-npu', 'runner'], ['lm-cpu', 'onnxruntime']] as const) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug, name: slug, manufacturer: 'test', backendKind } });
    expect(res.statusCode, res.body).toBe(201);
  }
  await startTestAgent(t, ['lm-npu', 'lm-cpu'], { runners: { 'lm-npu': referenceRunnerCommand() } });
  const files: Record<string, Uint8Array> = {};
  for (const name of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json']) files[name] = await readFile(join(fixtureLlm('tiny-lm'), name));
  const res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(await tarOf(files), 'tiny-lm.tar') });
  expect(res.statusCode, res.body).toBe(201);
  modelId = (res.json() as { id: string }).id;
}, 60_000);

interface Raw {
  accuracy: { mmlu: { questions: { subject: string; index: number; logprobs: number[] }[] } };
  llm: { outputTokenIds: number[] };
  compliance?: { llm?: { accuracyPassFirstToken: number; runs: unknown[] } };
}
interface Summary {
  result: string;
  backend: { executionProvider: string };
  accuracy: { mmlu: { accuracy: number } };
  compliance?: { invalidReasons: string[]; checks: { check: string; outcome: string }[] };
}

const SUITE = { preset: 'smoke', accuracy: { mmlu: { shots: 2 } }, llm: { runs: 3, promptTokens: 48, outputTokens: 10 } };

async function runJob(device: string): Promise<{ summary: Summary; raw: Raw }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device, suite: SUITE } });
  expect(res.statusCode, res.body).toBe(201);
  const job = await waitForJob(t, (res.json() as { id: string }).id, 180_000);
  expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
  const view = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: bearer(vendor.key) })).json() as { reportId: string };
  const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}`, headers: bearer(vendor.key) })).json() as { summary: Summary };
  const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}/raw-samples`, headers: bearer(vendor.key) })).json() as Raw;
  return { summary: report.summary, raw };
}

describe('LM jobs on a runner device', () => {
  it('MMLU and LLM latency run through the runner with the log-likelihoods and tokens of onnxruntime', async () => {
    const onRunner = await runJob('lm-npu');
    const inProcess = await runJob('lm-cpu');
    expect(onRunner.summary.backend.executionProvider).toBe('runner:npubench-reference-runner');
    const questions = onRunner.raw.accuracy.mmlu.questions;
    expect(questions.length).toBeGreaterThan(40);
    expect(questions.map((q) => [q.subject, q.index, q.logprobs])).toEqual(inProcess.raw.accuracy.mmlu.questions.map((q) => [q.subject, q.index, q.logprobs]));
    expect(onRunner.summary.accuracy.mmlu.accuracy).toBe(inProcess.summary.accuracy.mmlu.accuracy);
    expect(onRunner.raw.llm.outputTokenIds).toHaveLength(10);
    expect(onRunner.raw.llm.outputTokenIds).toEqual(inProcess.raw.llm.outputTokenIds);
    expect(onRunner.raw.compliance?.llm).toMatchObject({ accuracyPassFirstToken: inProcess.raw.llm.outputTokenIds[0] });
    expect(onRunner.summary.compliance?.checks.find((check) => check.check === 'llm-tokens')).toMatchObject({ outcome: 'passed' });
    expect(onRunner.summary.compliance?.invalidReasons).toEqual([]);
    expect(onRunner.summary.result).toBe('VALID');
  }, 400_000);

  it('MMLU with a reference model and its fidelity run on a runner device too', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'lm-npu', suite: { preset: 'smoke', accuracy: { mmlu: { shots: 1, maxQuestionsPerSubject: 3 } } }, referenceModelId: modelId } });
    expect(res.statusCode, res.body).toBe(201);
    const job = await waitForJob(t, (res.json() as { id: string }).id, 180_000);
    expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
    const view = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: bearer(vendor.key) })).json() as { reportId: string };
    const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}/raw-samples`, headers: bearer(vendor.key) })).json() as {
      accuracy: { mmlu: { questions: { logprobs: number[] }[]; reference: { logprobs: number[] }[] }; outputs: { name: string; maxAbsError: number[] }[] };
    };
    // The candidate (through the runner) and the reference (onnxruntime on the CPU) are the same model.
    expect(raw.accuracy.mmlu.reference.map((r) => r.logprobs)).toEqual(raw.accuracy.mmlu.questions.map((q) => q.logprobs));
    expect(raw.accuracy.outputs.map((output) => output.name)).toContain('logits');
    for (const output of raw.accuracy.outputs) for (const error of output.maxAbsError) expect(error).toBeLessThanOrEqual(1e-5);
  }, 300_000);
});
