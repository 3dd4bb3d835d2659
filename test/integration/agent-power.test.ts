// Power end to end: an agent job on a device whose meter is a fake hwmon sysfs tree (the kernel's file
// format, rewritten by the test while the job runs) produces a report whose energy per inference is
// the test's ground truth, recomputable from the stored power trace.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { createTempDir } from '../helpers/isolated-resources.js';

const RAIL_WATTS = 6.25;
let t: TestApi;
let vendor: { key: string };
let modelId: string;
let sysfs: string;
let writer: NodeJS.Timeout;

/** Writes power1_input the way the kernel presents it: microwatts, one line, replaced atomically. */
function writePower(watts: number) {
  const file = join(sysfs, 'class', 'hwmon', 'hwmon0', 'power1_input');
  writeFileSync(`${file}.tmp`, `${Math.round(watts * 1e6)}\n`);
  renameSync(`${file}.tmp`, file);
}

beforeAll(async () => {
  sysfs = await createTempDir('npubench-sysfs');
  mkdirSync(join(sysfs, 'class', 'hwmon', 'hwmon0'), { recursive: true });
  writeFileSync(join(sysfs, 'class', 'hwmon', 'hwmon0', 'name'), 'npu_rail\n');
  writeFileSync(join(sysfs, 'class', 'hwmon', 'hwmon0', 'power1_label'), 'VDD_NPU\n');
  writePower(RAIL_WATTS);
  // The sensor keeps being refreshed during the run, as the kernel driver would.
  writer = setInterval(() => writePower(RAIL_WATTS), 5);

  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  const device = {
    slug: 'npu-metered',
    name: 'Metered NPU',
    manufacturer: 'test',
    powerMeter: { kind: 'hwmon', chip: 'npu_rail', channel: 'VDD_NPU', root: sysfs, intervalMs: 10 },
  };
  const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: device });
  expect(res.statusCode, res.body).toBe(201);
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-unmetered', name: 'No meter', manufacturer: 'test' } });
  await startTestAgent(t, ['npu-metered', 'npu-unmetered']);
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
  modelId = (up.json() as { id: string }).id;
});
afterAll(() => clearInterval(writer));

/** The test's own integral of instantaneous readings over [from, to]: straight lines between readings,
 *  each segment clipped to the window, held flat before the first reading and after the last. */
function trapezoidJ(samples: [number, number][], from: number, to: number): number {
  const at = ([t0, w0]: [number, number], [t1, w1]: [number, number], t: number) => w0 + ((w1 - w0) * (t - t0)) / (t1 - t0);
  let joules = 0;
  const [first, last] = [samples[0]!, samples.at(-1)!];
  if (from < first[0]) joules += first[1] * (Math.min(first[0], to) - from);
  if (to > last[0]) joules += last[1] * (to - Math.max(last[0], from));
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1]!, samples[i]!];
    const lo = Math.max(a[0], from);
    const hi = Math.min(b[0], to);
    if (hi > lo) joules += ((at(a, b, lo) + at(a, b, hi)) / 2) * (hi - lo);
  }
  return joules / 1e9;
}

const run = async (device: string) => {
  const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device, suite: { preset: 'smoke', minDurationMs: 500 } } })).json() as { id: string };
  const done = await waitForJob(t, job.id);
  expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('SUCCEEDED');
  const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } });
  const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${report.id}/raw-samples`, headers: bearer(vendor.key) })).json() as {
    runs: { queries: [number, number][] }[];
    power?: { runs: { samples: [number, number][] }[]; idle: { samples: [number, number][] } | null };
  };
  return { report, summary: report.summary as { queryCount: number; power: Record<string, unknown> & { measured: boolean } }, raw };
};

describe('power measured by the agent', () => {
  it('reports energy per inference equal to the ground truth the test wrote', async () => {
    const { report, summary, raw } = await run('npu-metered');
    const power = summary.power as { measured: true; result: string; avgW: number; energyJ: number; energyPerQueryMj: number; sampleCount: number; meter: { kind: string; class: string }; idle: { avgW: number } };
    expect(power.measured).toBe(true);
    expect(power.result).toBe('VALID');
    expect(power.meter).toMatchObject({ kind: 'hwmon', class: 'onboard' });
    // Ground truth: the rail drew RAIL_WATTS throughout the measured window the raw samples define.
    const run0 = raw.runs[0]!.queries;
    const windowS = (run0.at(-1)![1] - run0[0]![0]) / 1e9;
    const truthMj = (RAIL_WATTS * windowS * 1000) / summary.queryCount;
    expect(Math.abs(power.energyPerQueryMj - truthMj) / truthMj).toBeLessThan(0.005);
    expect(power.avgW).toBeCloseTo(RAIL_WATTS, 6);
    expect(power.idle.avgW).toBeCloseTo(RAIL_WATTS, 6);
    expect(power.sampleCount).toBeGreaterThan(10);
    const view = (await t.app.inject({ method: 'GET', url: `/v1/reports/${report.id}/power-trace?points=20`, headers: bearer(vendor.key) })).json() as {
      meter: { kind: string };
      runs: { windowMs: [number, number]; points: [number, number, number, number][] }[];
    };
    expect(view.meter.kind).toBe('hwmon');
    expect(view.runs[0]!.points.length).toBeLessThanOrEqual(20);
    expect(view.runs[0]!.points.every(([, min, mean, max]) => min <= mean && mean <= max && Math.abs(mean - RAIL_WATTS) < 1e-9)).toBe(true);
    // And the figure follows from the stored trace.
    const traced = trapezoidJ(raw.power!.runs[0]!.samples, run0[0]![0], run0.at(-1)![1]);
    expect(power.energyJ).toBeCloseTo(traced, 9);
    expect(power.energyJ).toBeCloseTo(RAIL_WATTS * windowS, 6);
  });

  it('says power was not measured on a device without a meter', async () => {
    const { summary } = await run('npu-unmetered');
    expect(summary.power).toEqual({ measured: false, reason: 'not measured: no power meter is configured for this device' });
  });
});
