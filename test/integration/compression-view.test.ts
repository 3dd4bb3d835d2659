// The closed-division acceptance flow of #17 on the CPU host: the INT8 QDQ variant of the suite's
// image-classification reference (test/fixtures/models/tiny-cnn-int8-qdq.onnx, built by
// scripts/quantize/qdq.py) is benchmarked with the FP32 reference's fidelity pass by a real agent,
// certified under a profile with the suite's quality target, and shown beside FP32 in the compression
// view; the broken-scale variant fails the quality rule. Every figure is checked against the test's own
// computation from the raw samples, the fixture files and onnxruntime.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { PtdaemonSimulator } from '../helpers/ptdaemon-simulator.js';
import { createSyntheticInputs } from '../../src/harness/inputs/synthetic-inputs.js';
import { SUITE_DEFAULTS } from '../../src/harness/index.js';
import type { CompressionView } from '../../src/contracts/compression.js';

const DEVICE = 'cpu-host-metered';
const FIDELITY_SAMPLES = 16;
// The suite's image-classification target (npubench-edge@1): ≥ 99 % of the reference's top-1 agreement,
// with a fidelity floor of min cosine 0.995 and top-1 agreement 0.99.
const RULES = {
  accuracy: { minRelativeToReference: 0.99, minSamples: FIDELITY_SAMPLES },
  fidelity: { minCosine: 0.995, minTop1Agreement: 0.99, minSamples: FIDELITY_SAMPLES },
};
const FP32 = 'tiny-cnn.onnx';
const INT8 = 'tiny-cnn-int8-qdq.onnx';
const BROKEN = 'tiny-cnn-int8-qdq-broken.onnx';

let t: TestApi;
let simulator: PtdaemonSimulator;
let admin: { key: string };
let certifier: { key: string };
let vendor: { key: string };
let otherVendor: { key: string };
let profileId: string;
const models: Record<string, string> = {};
const reports: Record<string, string> = {};
const raw: Record<string, { runs: { queries: number[][] }[] }> = {};

type Line = { rule: string; passed: boolean; expected: string; actual: string; reason: string };

beforeAll(async () => {
  simulator = await PtdaemonSimulator.start({ power: () => 30, uncertaintyPct: 0.5 });
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER');
  vendor = await t.createOrgWithKey('VENDOR');
  otherVendor = await t.createOrgWithKey('VENDOR');
  const device = {
    slug: DEVICE,
    name: 'CPU host, lab-metered',
    manufacturer: 'test',
    powerMeter: { kind: 'ptdaemon', host: '127.0.0.1', port: simulator.port, intervalMs: 20, rangeSettleMs: 0, timeoutMs: 5_000 },
  };
  const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: device });
  expect(res.statusCode, res.body).toBe(201);
  await startTestAgent(t, [DEVICE]);
  for (const file of [FP32, INT8, BROKEN]) {
    // The INT8 variant declares its lineage (closed division); the broken one declares none (open).
    const lineage: Record<string, string> = file === INT8 ? { variantOf: createHash('sha256').update(readFileSync(fixtureModel(FP32))).digest('hex'), variantTechnique: 'quantization' } : {};
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel(file), { name: file.replace('.onnx', ''), ...lineage }) });
    expect(up.statusCode, up.body).toBe(201);
    models[file] = (up.json() as { id: string }).id;
  }
  const profile = await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(admin.key), payload: { name: 'image-classification-quality', version: 1, title: 'Image classification quality', description: '', rules: RULES, validityDays: 30 } });
  expect(profile.statusCode, profile.body).toBe(201);
  profileId = (profile.json() as { id: string }).id;
  // The reference's own run, then each variant with the fidelity pass against it.
  for (const file of [FP32, INT8, BROKEN]) {
    const suite = { preset: 'smoke', minDurationMs: 500, ...(file === FP32 ? {} : { accuracy: { fidelitySamples: FIDELITY_SAMPLES, gate: {} } }) };
    const payload = { modelId: models[file], device: DEVICE, suite, ...(file === FP32 ? {} : { referenceModelId: models[FP32] }) };
    const sub = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload });
    expect(sub.statusCode, sub.body).toBe(201);
    const job = await waitForJob(t, (sub.json() as { id: string }).id, 240_000);
    expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
    const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } });
    reports[file] = report.id;
    raw[file] = (await t.app.inject({ method: 'GET', url: `/v1/reports/${report.id}/raw-samples`, headers: bearer(vendor.key) })).json() as { runs: { queries: number[][] }[] };
  }
}, 900_000);
afterAll(async () => simulator.close());

/** Min cosine and top-1 agreement of `file` against FP32 on the fidelity pass's inputs (seed + i), as the agent runs them (default session options). */
async function independentFidelity(file: string) {
  const candidate = await InferenceSession.create(fixtureModel(file));
  const reference = await InferenceSession.create(fixtureModel(FP32));
  let minCosine = 1;
  let agree = 0;
  for (let i = 0; i < FIDELITY_SAMPLES; i++) {
    const [input] = createSyntheticInputs([{ name: 'image', elementType: 'float32', shape: [1, 3, 32, 32] }], { seed: SUITE_DEFAULTS.seed + i, dynamicDims: {} });
    const feed = { image: new Tensor('float32', input!.data as Float32Array, input!.dims) };
    const a = (await candidate.run(feed)).logits!.data as Float32Array;
    const b = (await reference.run(feed)).logits!.data as Float32Array;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let k = 0; k < a.length; k++) {
      dot += a[k]! * b[k]!;
      na += a[k]! ** 2;
      nb += b[k]! ** 2;
    }
    minCosine = Math.min(minCosine, dot / Math.sqrt(na * nb));
    if (a.indexOf(Math.max(...a)) === b.indexOf(Math.max(...b))) agree += 1;
  }
  return { minCosine, top1Agreement: agree / FIDELITY_SAMPLES };
}

/** The median of every query's latency, by sorting here. */
function independentMedian(file: string): number {
  const latencies = raw[file]!.runs.flatMap((run) => run.queries.map((q) => q[q.length - 1]! - q[0]!)).sort((a, b) => a - b);
  const n = latencies.length;
  return n % 2 ? latencies[(n - 1) / 2]! : (latencies[n / 2 - 1]! + latencies[n / 2]!) / 2;
}

describe('closed-division INT8 variant of the image-classification reference', () => {
  it('certifies the INT8 variant with its measured quality', async () => {
    const independent = await independentFidelity(INT8);
    const res = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId: reports[INT8], profileId } });
    expect(res.statusCode, res.body).toBe(201);
    const cert = await t.deps.db.certificate.findFirstOrThrow({ where: { reportId: reports[INT8], profileId } });
    const lines = cert.evaluation as Line[];
    expect(lines.map((l) => [l.rule, l.passed])).toEqual([
      ['accuracy', true],
      ['fidelity', true],
    ]);
    const fidelity = lines.find((l) => l.rule === 'fidelity')!;
    const measured = Number(/min cosine = ([0-9.]+)/.exec(fidelity.actual)![1]);
    expect(measured).toBeCloseTo(independent.minCosine, 5);
    // Quantization is visible in the measured quality: the variant is not the reference under a new name.
    expect(independent.minCosine).toBeLessThan(1);
    expect(fidelity.actual).toContain(`top-1 agreement = ${independent.top1Agreement}`);
  }, 120_000);

  it('refuses the broken-scale variant on its quality rules', async () => {
    const independent = await independentFidelity(BROKEN);
    expect(independent.minCosine).toBeLessThan(RULES.fidelity.minCosine);
    const failed = expectProblem(await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId: reports[BROKEN], profileId } }), 422, 'certificate.profile_failed');
    const lines = failed.evaluation as Line[];
    expect(lines.filter((l) => !l.passed).map((l) => l.rule)).toContain('fidelity');
    const fidelity = lines.find((l) => l.rule === 'fidelity')!;
    expect(Number(/min cosine = ([0-9.-]+)/.exec(fidelity.actual)![1])).toBeCloseTo(independent.minCosine, 5);
  }, 120_000);

  it('shows both variants beside FP32 in the compression view, with figures recomputed here', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/compression?device=${DEVICE}&referenceModelId=${models[FP32]}`, headers: bearer(vendor.key) });
    expect(res.statusCode, res.body).toBe(200);
    const view = res.json() as CompressionView;
    expect(view.reference?.reportId).toBe(reports[FP32]);
    expect(view.variants.map((v) => v.run.reportId).sort()).toEqual([reports[INT8], reports[BROKEN]].sort());
    const summaries = Object.fromEntries(
      await Promise.all(
        [FP32, INT8, BROKEN].map(async (f) => [f, ((await t.app.inject({ method: 'GET', url: `/v1/reports/${reports[f]}`, headers: bearer(vendor.key) })).json() as { summary: { power: { measured: boolean; energyPerQueryMj: number } } }).summary] as const),
      ),
    );
    expect(view.reference).toMatchObject({ division: 'closed', variantTechnique: null });
    expect(view.variants.find((v) => v.run.reportId === reports[INT8])!.run).toMatchObject({ division: 'closed', variantTechnique: 'quantization', lineageDeclared: true });
    expect(view.variants.find((v) => v.run.reportId === reports[BROKEN])!.run).toMatchObject({ division: 'open', variantTechnique: null, lineageDeclared: false });
    const refMedian = independentMedian(FP32);
    expect(view.reference!.medianLatencyNs).toBe(refMedian);
    for (const file of [INT8, BROKEN]) {
      const v = view.variants.find((x) => x.run.reportId === reports[file])!;
      const quality = await independentFidelity(file);
      expect(v.run.medianLatencyNs).toBe(independentMedian(file));
      expect(v.speedup).toBeCloseTo(refMedian / independentMedian(file), 12);
      expect(v.sizeRatio).toBeCloseTo(statSync(fixtureModel(file)).size / statSync(fixtureModel(FP32)).size, 12);
      expect(readFileSync(fixtureModel(file)).length).toBe(v.run.sizeBytes);
      // The lab meter measured both runs, so the energy ratio is theirs.
      const refPower = summaries[FP32]!.power;
      const varPower = summaries[file]!.power;
      expect(refPower.measured && varPower.measured).toBe(true);
      expect(v.energyRatio).toBeCloseTo(varPower.energyPerQueryMj / refPower.energyPerQueryMj, 12);
      expect(v.energyNotMeasured).toBeNull();
      expect(v.quality!.minCosine).toBeCloseTo(quality.minCosine, 5);
      expect(v.quality!.top1Agreement).toBe(quality.top1Agreement);
      expect(v.quality!.retained).toBeCloseTo(quality.top1Agreement, 12);
      // The intervals bracket their point estimates, and "indistinguishable" is exactly their overlap.
      const [lo, hi] = v.speedupCi95!;
      expect(lo).toBeLessThanOrEqual(v.speedup);
      expect(hi).toBeGreaterThanOrEqual(v.speedup);
      const a = view.reference!.medianLatencyCi95Ns!;
      const b = v.run.medianLatencyCi95Ns!;
      expect(a[0]).toBeLessThanOrEqual(refMedian);
      expect(a[1]).toBeGreaterThanOrEqual(refMedian);
      expect(v.indistinguishable).toBe(a[0] <= b[1] && b[0] <= a[1]);
    }
    // The same request twice gives the same intervals (seeded bootstrap).
    const again = (await t.app.inject({ method: 'GET', url: `/v1/compression?device=${DEVICE}&referenceModelId=${models[FP32]}`, headers: bearer(vendor.key) })).json() as CompressionView;
    expect(again).toEqual(view);
  }, 120_000);

  it('answers another vendor 404 for a private reference, and an unknown device 404', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/compression?device=${DEVICE}&referenceModelId=${models[FP32]}`, headers: bearer(otherVendor.key) }), 404, 'model.not_found');
    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/compression?device=no-such-device&referenceModelId=${models[FP32]}`, headers: bearer(vendor.key) }), 404, 'device.not_found');
  });
});
