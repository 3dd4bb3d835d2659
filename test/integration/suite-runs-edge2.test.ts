// npubench-edge@2's own workloads in a suite run: OCR text detection (PP-OCRv4 det on the generated page
// set) and voice activity (Silero VAD v5 on the committed frame set) run as jobs, are scored by their
// catalog metric against the FP32 reference — not "not measured" — and land in the signed suite report.
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import type { SuiteReport, SuiteRun } from '../../src/contracts/suite-runs.js';

const DEVICE = 'cpu-host-edge2';
const SUITE = 'npubench-edge@2';

let t: TestApi;
let vendor: { key: string };
let run: SuiteRun;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  const device = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: DEVICE, name: 'CPU host', manufacturer: 'test' } });
  expect(device.statusCode, device.body).toBe(201);
  await startTestAgent(t, [DEVICE], { harnessTimeoutMs: 600_000 });
  const res = await t.app.inject({ method: 'POST', url: '/v1/suite-runs', headers: bearer(vendor.key), payload: { suite: SUITE, device: DEVICE, reducedPreset: 'smoke', workloads: ['ocr-detection', 'voice-activity'] } });
  expect(res.statusCode, res.body).toBe(201);
  const deadline = Date.now() + 900_000;
  for (;;) {
    const view = (await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${(res.json() as SuiteRun).id}`, headers: bearer(vendor.key) })).json() as SuiteRun;
    if (view.status === 'FINISHED') {
      run = view;
      break;
    }
    if (Date.now() > deadline) throw new Error(`suite run still running: ${JSON.stringify(view.workloads.map((w) => w.entries.map((e) => `${w.id}/${e.scenario} ${e.status}`)))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}, 1_000_000);

describe('a suite run of npubench-edge@2', () => {
  it('runs OCR detection and voice activity and scores both against the reference', async () => {
    for (const w of run.workloads) for (const e of w.entries) expect([`${w.id}/${e.scenario}`, e.status, e.error]).toEqual([`${w.id}/${e.scenario}`, 'SUCCEEDED', null]);
    const res = await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${run.id}/report`, headers: bearer(vendor.key) });
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json() as SuiteReport;
    const byId = Object.fromEntries(report.predicate.workloads.map((w) => [w.id, w]));
    // The reference against itself: the same score on both sides, on every sample the target asks for.
    expect(byId['ocr-detection']!.quality).toMatchObject({ metric: 'detection-hmean', measured: true, samples: 96, relative: 1, meetsTarget: true });
    expect(byId['voice-activity']!.quality).toMatchObject({ metric: 'frame-f1', measured: true, samples: 285, relative: 1, meetsTarget: true });
    expect(byId['ocr-detection']!.quality!.candidate).toBeGreaterThan(0.85);
    expect(byId['voice-activity']!.quality!.candidate).toBeGreaterThan(0.95);
    // Only the reduced preset and the workloads left out make it non-conforming: no quality went unmeasured.
    expect(report.predicate.conformance.deviations).toEqual(["every scenario ran the smoke preset instead of the catalog's settings", 'workloads not run: ocr-direction, ocr-recognition, image-classification, slm-mmlu']);
  });
});
