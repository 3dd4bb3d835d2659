// Accuracy on runner devices (issue #16 item 4): a job with fidelity against a reference, classification
// on a labelled set and a gate runs on a device served by the reference runner, and its report's
// accuracy section equals the same job's on an onnxruntime CPU device. A runner that evaluates another
// model than the one it timed fails the job. MMLU on a runner device is still refused.
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceRunnerCommand } from '../../src/harness/index.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm, fixtureModel, modelForm } from '../helpers/fixtures.js';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';

const CHEAT_RUNNER = fileURLToPath(new URL('../fixtures/runners/evaluation-cheat-runner.mjs', import.meta.url));
const MLP = fixtureModel('mlp-classifier.onnx');

let t: TestApi;
let vendor: { key: string };
const models: Record<string, string> = {};
let datasetRef: string;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  for (const [slug, backendKind] of [['ref-npu', 'runner'], ['npu-evaluation-cheat', 'runner'], ['cpu-acc', 'onnxruntime']] as const) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug, name: slug, manufacturer: 'test', backendKind } });
    expect(res.statusCode, res.body).toBe(201);
  }
  const reference = referenceRunnerCommand();
  await startTestAgent(t, ['ref-npu', 'npu-evaluation-cheat', 'cpu-acc'], {
    runners: {
      'ref-npu': reference,
      'npu-evaluation-cheat': { command: process.execPath, args: [CHEAT_RUNNER, 'switch-model', MLP, reference.command, ...reference.args] },
    },
  });
  for (const file of ['mlp-classifier.onnx', 'mlp-classifier-perturbed.onnx', 'tiny-cnn.onnx']) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel(file)) });
    expect(res.statusCode, res.body).toBe(201);
    models[file] = (res.json() as { id: string }).id;
  }
  // Labels: the FP32 model's own top class for rows 0-6, its second-best for rows 7-9.
  const session = await InferenceSession.create(MLP);
  const samples = [];
  for (let i = 0; i < 10; i++) {
    const data = Array.from({ length: 64 }, (_, j) => Math.cos(i * 64 + j));
    const scores = Array.from((await session.run({ input: new Tensor('float32', Float32Array.from(data), [1, 64]) })).probabilities!.data as Float32Array);
    const ranked = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]!);
    samples.push({ inputs: { input: { elementType: 'float32', dims: [1, 64], data } }, label: i < 7 ? ranked[0] : ranked[1] });
  }
  await session.release();
  const file = JSON.stringify({ format: 'npubench.labelled-inputs/v1', output: 'probabilities', samples });
  const up = await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendor.key), payload: bytesForm(Buffer.from(file), 'labels.json', { name: 'mlp-labels' }) });
  expect(up.statusCode, up.body).toBe(201);
  datasetRef = (up.json() as { ref: string }).ref;
}, 120_000);

interface AccuracyReport {
  summary: {
    backend: { executionProvider: string };
    result: string;
    accuracy: {
      fidelity: { outputs: { name: string; cosineSimilarity: number }[] };
      classification: { rows: number; top1Accuracy: number; reference: { top1Accuracy: number } };
      gate: { metric: string; result: string };
    };
  };
}

const suite = () => ({ preset: 'smoke', dynamicDims: { batch: 4 }, accuracy: { fidelitySamples: 4, classification: { dataset: datasetRef }, gate: {} } });

const submit = (device: string, model = 'mlp-classifier-perturbed.onnx', body: Record<string, unknown> = { suite: suite(), referenceModelId: models['mlp-classifier.onnx'] }) =>
  t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: models[model], device, ...body } });

async function runJob(device: string) {
  const res = await submit(device);
  expect(res.statusCode, res.body).toBe(201);
  const job = await waitForJob(t, (res.json() as { id: string }).id, 180_000);
  return job;
}

async function reportOf(jobId: string) {
  const view = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}`, headers: bearer(vendor.key) })).json() as { reportId: string };
  const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}`, headers: bearer(vendor.key) })).json() as AccuracyReport;
  const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${view.reportId}/raw-samples`, headers: bearer(vendor.key) })).json() as { accuracy: { outputs: unknown; classification: unknown } };
  return { report, raw };
}

describe('accuracy on a runner device', () => {
  it('reports fidelity, classification and the gate, equal to the same job on an onnxruntime device', async () => {
    const [onRunner, onCpu] = await Promise.all([runJob('ref-npu'), runJob('cpu-acc')]);
    expect(onRunner.status, `${onRunner.errorCode}: ${onRunner.errorMessage}`).toBe('SUCCEEDED');
    expect(onCpu.status, `${onCpu.errorCode}: ${onCpu.errorMessage}`).toBe('SUCCEEDED');
    const runner = await reportOf(onRunner.id);
    const cpu = await reportOf(onCpu.id);
    expect(runner.report.summary.backend.executionProvider).toBe('runner:npubench-reference-runner');
    const { fidelity, classification, gate } = runner.report.summary.accuracy;
    expect(fidelity.outputs[0]!.cosineSimilarity).toBeLessThan(1);
    expect(classification.rows).toBe(10);
    expect(classification.reference.top1Accuracy).toBe(0.7); // the labels' construction
    expect(gate.metric).toBe('classification.top1Accuracy');
    expect(runner.raw.accuracy.outputs).toEqual(cpu.raw.accuracy.outputs);
    expect(runner.raw.accuracy.classification).toEqual(cpu.raw.accuracy.classification);
    // Every figure but the evaluation's wall time.
    expect({ ...runner.report.summary.accuracy, timing: null }).toEqual({ ...cpu.report.summary.accuracy, timing: null });
  }, 300_000);

  it('fails the job of a runner that answers evaluations from another model than it timed', async () => {
    const job = await runJob('npu-evaluation-cheat');
    expect(job.status).toBe('FAILED');
    expect(job.errorCode).toBe('runner.evaluation_mismatch');
  }, 300_000);

  it('refuses LLM latency of a single .onnx model on a runner device as anywhere (MMLU and LLM latency run through lm_forward)', async () => {
    expectProblem(await submit('ref-npu', 'tiny-cnn.onnx', { suite: { llm: { preset: 'short' } } }), 422, 'suite.needs_llm_bundle');
  });
});
