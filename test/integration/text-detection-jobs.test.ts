// Text detection quality through a real agent job (#17's OCR detection workload): the page set uploaded
// as a dataset, PP-OCRv4 det run by the agent with the FP32 model as its own reference, and the stored
// score recounted here from the raw record with an IoU computed by counting pixels. A page set whose
// layout was edited under its pinned pixel digest is refused at upload, and a job cannot use a page set
// as another evaluation's dataset.
import { beforeAll, describe, expect, it } from 'vitest';
import { ocrDetectionPagesDataset } from '../../src/harness/inputs/suite-datasets.js';
import { parseTextPagesDataset } from '../../src/harness/accuracy/text-pages-format.js';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm, modelForm, ocrSampleModels } from '../helpers/fixtures.js';
import { independentMatches } from '../helpers/independent-detection.js';

type Box = [number, number, number, number];

let t: TestApi;
let vendor: { key: string };
let detectorId: string;
const pages = parseTextPagesDataset(ocrDetectionPagesDataset());
const DET_DIMS = { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 320, 'p2o.DynamicDimension.2': 320 };

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-det', name: 'CPU', manufacturer: 'test' } });
  await startTestAgent(t, ['cpu-det']);
  const res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(ocrSampleModels().detection) });
  expect(res.statusCode, res.body).toBe(201);
  detectorId = (res.json() as { id: string }).id;
}, 120_000);

async function upload(document: unknown, name: string) {
  return t.app.inject({ method: 'POST', url: '/v1/datasets', headers: bearer(vendor.key), payload: bytesForm(Buffer.from(JSON.stringify(document)), `${name}.json`, { name }) });
}

describe('text detection jobs', () => {
  it('scores PP-OCRv4 det on an uploaded page set, with the score recountable from the raw record, and gates on it', { timeout: 300_000 }, async () => {
    const uploaded = await upload(pages, 'word-pages');
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const dataset = uploaded.json() as { ref: string; format: string; questionCount: number };
    expect(dataset).toMatchObject({ format: 'text-pages', questionCount: 96 });

    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: bearer(vendor.key),
      payload: { modelId: detectorId, device: 'cpu-det', referenceModelId: detectorId, suite: { preset: 'smoke', dynamicDims: DET_DIMS, accuracy: { textDetection: { dataset: dataset.ref }, fidelitySamples: 2, gate: {} } } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const job = await waitForJob(t, (res.json() as { id: string }).id, 240_000);
    expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
    const { reportId } = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: bearer(vendor.key) })).json() as { reportId: string };
    const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${reportId}`, headers: bearer(vendor.key) })).json() as {
      summary: { sampleSet: { performanceSampleCount: number; source: unknown }; accuracy: { textDetection: { truthBoxes: number; detectedBoxes: number; matched: number; hmean: number; reference: { hmean: number }; mapCosine: number }; gate: { metric: string; result: string; relativeScore: number } } };
    };
    const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${reportId}/raw-samples`, headers: bearer(vendor.key) })).json() as {
      accuracy: { textDetection: { pages: { truth: Box[]; detected: { box: Box }[] }[] } };
    };
    // Recount: the ground truth is the uploaded layout, and each truth takes the first free detection at IoU ≥ 0.5.
    expect(raw.accuracy.textDetection.pages.map((p) => p.truth)).toEqual(pages.pages.map((p) => p.lines.map((l) => l.box)));
    let matched = 0, detected = 0;
    for (const page of raw.accuracy.textDetection.pages) {
      detected += page.detected.length;
      matched += independentMatches(page.truth, page.detected.map((d) => d.box));
    }
    const summary = report.summary.accuracy.textDetection;
    expect({ truthBoxes: summary.truthBoxes, detectedBoxes: summary.detectedBoxes, matched: summary.matched }).toEqual({ truthBoxes: 96, detectedBoxes: detected, matched });
    expect(summary.hmean).toBeCloseTo((2 * matched) / (96 + detected), 12);
    expect(summary.hmean).toBeGreaterThan(0.85);
    expect(summary.reference.hmean).toBe(summary.hmean);
    expect(summary.mapCosine).toBeCloseTo(1, 9);
    expect(report.summary.accuracy.gate).toMatchObject({ metric: 'textDetection.hmean', result: 'PASS', relativeScore: 1 });
    // The timed queries ran on the pages themselves (LoadGen's real samples), not on synthetic tensors.
    expect(report.summary.sampleSet).toMatchObject({ performanceSampleCount: 16, source: { kind: 'dataset', dataset: dataset.ref, datasetSamples: 16 } });
  });

  it('refuses a page set whose layout was edited under its pinned pixel digest, and a page set named as a labelled input set', async () => {
    const moved = structuredClone(pages);
    moved.pages[0]!.lines[0]!.box = [moved.pages[0]!.lines[0]!.box[0] + 4, moved.pages[0]!.lines[0]!.box[1], moved.pages[0]!.lines[0]!.box[2] + 4, moved.pages[0]!.lines[0]!.box[3]];
    expectProblem(await upload(moved, 'moved-pages'), 422, 'dataset.invalid_text_pages');
    const listed = (await t.app.inject({ method: 'GET', url: '/v1/datasets', headers: bearer(vendor.key) })).json() as { items: { name: string; ref: string }[] };
    expect(listed.items.map((d) => d.name)).not.toContain('moved-pages');

    const ref = listed.items.find((d) => d.name === 'word-pages')?.ref ?? ((await upload(pages, 'word-pages-2')).json() as { ref: string }).ref;
    const wrong = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: detectorId, device: 'cpu-det', suite: { preset: 'smoke', dynamicDims: DET_DIMS, accuracy: { classification: { dataset: ref } } } } });
    expectProblem(wrong, 422, 'dataset.wrong_format');
  });
});
