// An LM certified under slm-on-device@2 through a real agent job on a lab-metered device (the SPEC
// PTDaemon protocol simulated on loopback at a constant 3 W, 0.4 % uncertainty): the FP32 tiny LM against
// itself PASSes, with energy per token recomputed here from the raw power samples of the LLM window; the
// issue's attack, the same LM with one weight block scaled ×3, FAILs on token agreement, whose share the
// test computes itself with onnxruntime (test/helpers/independent-token-agreement.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm } from '../helpers/fixtures.js';
import { fixtureLlm, tarOf } from '../helpers/archives.js';
import { PtdaemonSimulator } from '../helpers/ptdaemon-simulator.js';
import { independentTokenAgreement, scaledTinyLm } from '../helpers/independent-token-agreement.js';
import { evaluateRules } from '../../src/lib/certificates/profile-rules.js';
import { extractRuleFacts } from '../../src/lib/certificates/rule-facts.js';
import { qualityOf } from '../../src/services/suites/suite-run-progress.js';
import { NPUBENCH_EDGE_1 } from '../../src/services/suites/npubench-edge-1.js';

const WATTS = 3;
const PROFILE = 'slm-on-device@2';
const LLM = { preset: 'short', runs: 20 } as const;
const SLM_WORKLOAD = NPUBENCH_EDGE_1.workloads.find((w) => w.id === 'slm-mmlu')!;
let t: TestApi;
let simulator: PtdaemonSimulator;
let certifier: { key: string };
let vendor: { key: string };
const scaled = scaledTinyLm('layer1.fc2.weight', 3);
const models: Record<string, string> = {};

async function bundleOf(dir: string): Promise<Buffer> {
  const files: Record<string, Uint8Array> = {};
  for (const name of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json']) files[name] = await readFile(join(dir, name));
  return tarOf(files);
}

beforeAll(async () => {
  simulator = await PtdaemonSimulator.start({ power: () => WATTS, uncertaintyPct: 0.4 });
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER');
  vendor = await t.createOrgWithKey('VENDOR');
  const device = { slug: 'npu-lm-lab', name: 'Lab-metered NPU', manufacturer: 'test', powerMeter: { kind: 'ptdaemon', host: '127.0.0.1', port: simulator.port, intervalMs: 20, rangeSettleMs: 0, timeoutMs: 5_000 } };
  const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: device });
  expect(res.statusCode, res.body).toBe(201);
  await startTestAgent(t, ['npu-lm-lab']);
  for (const [name, dir] of [['reference', fixtureLlm('tiny-lm')], ['scaled', scaled]] as const) {
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(await bundleOf(dir), `${name}.tar`) });
    expect(up.statusCode, up.body).toBe(201);
    models[name] = (up.json() as { id: string }).id;
  }
}, 60_000);
afterAll(async () => {
  await simulator.close();
  rmSync(scaled, { recursive: true, force: true });
});

interface LlmRaw { runs: { tokenNs: number[] }[]; runStartNs: number[]; outputTokens: number; promptTokens: number; power: { meter: { kind: string }; window: { samples: [number, number][] } } }

async function benchmark(model: string) {
  const payload = { modelId: models[model], device: 'npu-lm-lab', referenceModelId: models.reference, suite: { preset: 'smoke', minDurationMs: 500, accuracy: { mmlu: {} }, llm: LLM } };
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload });
  expect(res.statusCode, res.body).toBe(201);
  const job = await waitForJob(t, (res.json() as { id: string }).id, 240_000);
  expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
  const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } });
  const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${report.id}/raw-samples`, headers: bearer(vendor.key) })).json() as { llm: LlmRaw };
  return { reportId: report.id, summary: report.summary, raw };
}

/** PTDaemon lines are interval averages: each sample's watts hold from the previous sample's time to its own (the first from the start, the last after it). */
function stepEnergyJ(samples: [number, number][], from: number, to: number): number {
  let joules = 0;
  let previous = -Infinity;
  for (const [time, watts] of samples) {
    const lo = Math.max(previous, from);
    const hi = Math.min(time, to);
    if (hi > lo) joules += (watts * (hi - lo)) / 1e9;
    previous = time;
  }
  const [lastTime, lastWatts] = samples.at(-1)!;
  const lo = Math.max(lastTime, from);
  return to > lo ? joules + (lastWatts * (to - lo)) / 1e9 : joules;
}

function pdfText(bytes: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'npubench-lm-pdf-'));
  try {
    writeFileSync(join(dir, 'cert.pdf'), bytes);
    return execFileSync('pdftotext', ['-enc', 'UTF-8', join(dir, 'cert.pdf'), '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Line = { rule: string; passed: boolean; expected: string; actual: string; reason: string };

describe(`${PROFILE} over real LM jobs`, () => {
  it('certifies the FP32 LM, with energy per token from the LLM window’s own power samples', async () => {
    const { reportId, raw } = await benchmark('reference');
    const res = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId, profileId: PROFILE } });
    expect(res.statusCode, res.body).toBe(201);
    const cert = await t.deps.db.certificate.findFirstOrThrow({ where: { reportId, profileId: PROFILE } });
    const lines = cert.evaluation as Line[];
    const extracted = extractRuleFacts({ summary: (await t.deps.db.report.findUniqueOrThrow({ where: { id: reportId } })).summary, resourceUsage: null, operatorProfile: null });
    if (!('facts' in extracted)) throw new Error(extracted.unreadable);
    expect(qualityOf(SLM_WORKLOAD, extracted.facts, null)).toMatchObject({ meetsTarget: true, meetsFidelityFloor: true, fidelity: { answerAgreement: 1, tokenAgreement: 1 } });
    expect(lines.map((l) => [l.rule, l.passed])).toEqual([['requireValidResult', true], ['llm', true], ['power', true], ['accuracy', true], ['fidelity', true]]);
    expect(lines.find((l) => l.rule === 'fidelity')!.actual).toBe('answer agreement = 1; token agreement = 1 (256 tokens, 8 prompts)');

    // The test's own energy: the LLM window runs from the first measured run's start to the last token.
    const llm = raw.llm;
    expect(llm.power.meter.kind).toBe('ptdaemon');
    const endNs = llm.runStartNs.at(-1)! + llm.runs.at(-1)!.tokenNs.at(-1)!;
    const tokens = llm.outputTokens * llm.runs.length;
    const samples = llm.power.window.samples;
    const inside = samples.filter(([time]) => time >= 0 && time <= endNs).length;
    expect(inside).toBeGreaterThanOrEqual(2);
    const mine = (stepEnergyJ(samples, 0, endNs) * 1000) / tokens;
    // The analyzer read 3 W throughout, so the samples must integrate to 3 W over the window.
    expect(mine).toBeCloseTo((WATTS * endNs) / 1e9 / tokens * 1000, 6);
    const power = lines.find((l) => l.rule === 'power')!;
    const reported = Number(/energy = ([0-9.]+) mJ\/token/.exec(power.actual)![1]);
    expect(reported).toBeCloseTo(mine, 2);
    expect(power.actual).toMatch(/^power VALID; meter ptdaemon \(lab\); uncertainty = 0\.4 %; energy = [0-9.]+ mJ\/token \(LLM window VALID\)$/);

    const statement = JSON.parse(Buffer.from((cert.envelope as { payload: string }).payload, 'base64').toString('utf8')) as {
      predicate: { facts: { llm: { energy: { measured: true; energyPerTokenMj: number; meterClass: string; uncertaintyPct: number } }; fidelity: { tokenAgreement: { share: number; tokens: number; prompts: number } } } };
    };
    expect(statement.predicate.facts.llm.energy).toMatchObject({ measured: true, meterClass: 'lab', uncertaintyPct: 0.4 });
    expect(statement.predicate.facts.llm.energy.energyPerTokenMj).toBeCloseTo(mine, 9);
    expect(statement.predicate.facts.fidelity.tokenAgreement).toEqual({ share: 1, tokens: 256, prompts: 8 });

    const pdf = await t.app.inject({ method: 'GET', url: `/v1/certificates/${cert.id}/pdf` });
    expect(pdf.statusCode, pdf.body).toBe(200);
    const text = pdfText(pdf.rawPayload).replace(/\s+/g, ' ');
    expect(text).toContain('Fidelity to reference min cosine 1, token agreement 100 % (256 tokens)');
    expect(text).toContain(`Energy per token ${Number(statement.predicate.facts.llm.energy.energyPerTokenMj.toFixed(3))} mJ/token, 3 W (lab meter, ±0.4 %; VALID)`);
    console.log(`slm-on-device@2 reference: ${mine.toFixed(3)} mJ/token over ${(endNs / 1e6).toFixed(1)} ms, ${inside} meter samples`);
  }, 300_000);

  it('refuses the LM with one weight block scaled ×3 on token agreement', async () => {
    const independent = await independentTokenAgreement(scaled, fixtureLlm('tiny-lm'));
    expect(independent.share).toBeLessThan(0.95);
    const { reportId, summary } = await benchmark('scaled');
    const failed = expectProblem(await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId, profileId: PROFILE } }), 422, 'certificate.profile_failed');
    const lines = failed.evaluation as Line[];
    const fidelity = lines.find((l) => l.rule === 'fidelity')!;
    expect(fidelity.passed).toBe(false);
    expect(fidelity.actual).toContain(`token agreement = ${Number(independent.share.toFixed(6))} (256 tokens, 8 prompts)`);
    // The accuracy rule alone would certify it: the ×3 block scores above the reference on MMLU.
    expect(lines.find((l) => l.rule === 'accuracy')!.passed).toBe(true);
    // The token-agreement bound by itself refuses it.
    const extracted = extractRuleFacts({ summary, resourceUsage: null, operatorProfile: null });
    if (!('facts' in extracted)) throw new Error(extracted.unreadable);
    const alone = evaluateRules({ fidelity: { minTokenAgreement: 0.95 } }, extracted.facts);
    expect(alone.verdict).toBe('FAIL');
    expect(alone.rules[0]!.reason).toBe('token agreement below 0.95');
    // The suite's slm-mmlu floor (minTokenAgreement 0.95) reads the same token agreement, not the answers'.
    const quality = qualityOf(SLM_WORKLOAD, extracted.facts, null)!;
    expect(quality.fidelity.tokenAgreement).toBe(independent.share);
    expect(quality.meetsFidelityFloor).toBe(false);
  }, 300_000);
});
