// Voice-activity quality through a real agent job (#17's VAD workload): the committed frame set uploaded
// as a dataset, Silero VAD v5 timed on the set's own frames (each a fresh stream) and scored frame by
// frame with its state carried, the FP32 model as its own reference. The stored F1 is recounted here
// from the recorded probabilities and the labels; a job cannot use a frame set as another kind of dataset.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm, modelForm } from '../helpers/fixtures.js';
import { REPO_ROOT } from '../helpers/processes.js';

const SILERO = path.join(REPO_ROOT, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');
const FRAMES = readFileSync(path.join(REPO_ROOT, 'test/fixtures/suites/vad-speech-silence-1.json'));

let t: TestApi;
let vendor: { key: string };
let sileroId: string;
let datasetRef: string;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-vad', name: 'CPU', manufacturer: 'test' } });
  await startTestAgent(t, ['cpu-vad']);
  const model = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(SILERO) });
  expect(model.statusCode, model.body).toBe(201);
  sileroId = (model.json() as { id: string }).id;
  const dataset = await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendor.key), payload: bytesForm(FRAMES, 'vad-speech-silence-1.json', { name: 'vad-frames' }) });
  expect(dataset.statusCode, dataset.body).toBe(201);
  expect(dataset.json()).toMatchObject({ format: 'vad-frames', questionCount: 285 });
  datasetRef = (dataset.json() as { ref: string }).ref;
}, 120_000);

describe('voice-activity jobs', () => {
  it('times Silero on the frame set and scores it, with F1 recountable from the recorded probabilities', { timeout: 300_000 }, async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: bearer(vendor.key),
      payload: { modelId: sileroId, device: 'cpu-vad', referenceModelId: sileroId, suite: { preset: 'smoke', accuracy: { voiceActivity: { dataset: datasetRef }, gate: {} } } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const job = await waitForJob(t, (res.json() as { id: string }).id, 240_000);
    expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
    const { reportId } = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: bearer(vendor.key) })).json() as { reportId: string };
    const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${reportId}`, headers: bearer(vendor.key) })).json() as {
      summary: { result: string; sampleSet: { performanceSampleCount: number; source: unknown }; accuracy: { voiceActivity: { f1: number }; gate: { metric: string; result: string } } };
    };
    const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${reportId}/raw-samples`, headers: bearer(vendor.key) })).json() as {
      accuracy: { voiceActivity: { probabilities: number[]; threshold: number } };
    };
    // The timed queries were the set's frames, not synthetic tensors Silero refuses.
    expect(report.summary.sampleSet).toMatchObject({ performanceSampleCount: 64, source: { kind: 'dataset', dataset: datasetRef, datasetSamples: 285 } });
    // Recount F1 from the record and the labels the committed file states.
    const labels = (JSON.parse(FRAMES.toString('utf8')) as { labels: number[] }).labels;
    const { probabilities, threshold } = raw.accuracy.voiceActivity;
    let tp = 0, fp = 0, fn = 0;
    probabilities.forEach((p, f) => {
      const speech = p >= threshold;
      if (speech && labels[f] === 1) tp++;
      else if (speech) fp++;
      else if (labels[f] === 1) fn++;
    });
    expect(probabilities).toHaveLength(285);
    expect(report.summary.accuracy.voiceActivity.f1).toBeCloseTo((2 * tp) / (2 * tp + fp + fn), 12);
    expect(report.summary.accuracy.voiceActivity.f1).toBeGreaterThan(0.95);
    expect(report.summary.accuracy.gate).toMatchObject({ metric: 'voiceActivity.f1', result: 'PASS' });
  });

  it('refuses a frame set named as a labelled input set', async () => {
    const wrong = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: sileroId, device: 'cpu-vad', suite: { preset: 'smoke', accuracy: { classification: { dataset: datasetRef } } } } });
    expectProblem(wrong, 422, 'dataset.wrong_format');
  });
});

