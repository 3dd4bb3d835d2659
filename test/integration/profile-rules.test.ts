// Profile rules over real measured reports: an agent job on a device metered by a lab-class meter (the
// SPEC PTDaemon protocol, simulated on loopback at a constant 42 W with 0.4% uncertainty), with an
// accuracy pass against the FP32 reference and an operator profile. A profile that requires accuracy,
// fidelity, certified power and the accelerator share certifies the honest model and refuses its
// perturbed copy on the quality rule; the figures are checked against the test's own computation.
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { PtdaemonSimulator } from '../helpers/ptdaemon-simulator.js';
import { createSyntheticInputs } from '../../src/harness/inputs/synthetic-inputs.js';
import { SUITE_DEFAULTS } from '../../src/harness/index.js';
import { runNpubench } from '../helpers/processes.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { activeSigner } from '../../src/services/signing/service-key.js';
import { appendLogEntry } from '../../src/services/transparency/transparency-log.js';
import { buildStatement, signStatement } from '../../src/lib/crypto/dsse.js';
import { CERTIFICATE_PREDICATE_TYPE, statementDigestOf, type CertificatePredicate } from '../../src/lib/certificates/certificate-bundle.js';
import { evaluateRules } from '../../src/lib/certificates/profile-rules.js';
import type { RuleFacts } from '../../src/lib/certificates/rule-facts.js';
import type { ProfileRules } from '../../src/contracts/profiles.js';

const WATTS = 42;
const FIDELITY_SAMPLES = 16;
const MIN_COSINE = 0.9995;
let t: TestApi;
let simulator: PtdaemonSimulator;
let admin: { key: string };
let certifier: { key: string };
let vendor: { key: string };
const models: Record<string, string> = {};

beforeAll(async () => {
  simulator = await PtdaemonSimulator.start({ power: () => WATTS, uncertaintyPct: 0.4 });
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER');
  vendor = await t.createOrgWithKey('VENDOR');
  const device = {
    slug: 'npu-lab-metered',
    name: 'Lab-metered NPU',
    manufacturer: 'test',
    powerMeter: { kind: 'ptdaemon', host: '127.0.0.1', port: simulator.port, intervalMs: 20, rangeSettleMs: 0, timeoutMs: 5_000 },
  };
  const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: device });
  expect(res.statusCode, res.body).toBe(201);
  await startTestAgent(t, ['npu-lab-metered']);
  for (const file of ['mlp-classifier.onnx', 'mlp-classifier-perturbed.onnx', 'tiny-cnn.onnx', 'tiny-cnn-int8-qdq.onnx', 'tiny-cnn-int8-qdq-broken.onnx']) {
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel(file)) });
    expect(up.statusCode, up.body).toBe(201);
    models[file] = (up.json() as { id: string }).id;
  }
}, 60_000);
afterAll(async () => simulator.close());

const RULES: ProfileRules = {
  accuracy: { minRelativeToReference: 0.99, minSamples: FIDELITY_SAMPLES },
  fidelity: { minCosine: MIN_COSINE, minTop1Agreement: 0.99, minSamples: FIDELITY_SAMPLES },
  power: { required: true, meterClass: 'lab', maxUncertaintyPct: 1, maxEnergyPerQueryMj: 10_000 },
  acceleratorShare: { provider: 'CPUExecutionProvider', minNodeShare: 1, minTimeShare: 0.99 },
};

async function createProfile(name: string, rules: unknown): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/profiles', headers: bearer(admin.key), payload: { name, version: 1, title: name, description: '', rules, validityDays: 30 } });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { id: string }).id;
}

/** A smoke run of `file` with an accuracy pass against the FP32 mlp-classifier. */
async function benchmark(file: string, reference = 'mlp-classifier.onnx', dynamicDims: Record<string, number> = { batch: 4 }) {
  const payload = {
    modelId: models[file],
    device: 'npu-lab-metered',
    referenceModelId: models[reference],
    suite: { preset: 'smoke', minDurationMs: 500, dynamicDims, accuracy: { fidelitySamples: FIDELITY_SAMPLES, gate: {} } },
  };
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload });
  expect(res.statusCode, res.body).toBe(201);
  const job = await waitForJob(t, (res.json() as { id: string }).id, 180_000);
  expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
  const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } });
  const raw = (await t.app.inject({ method: 'GET', url: `/v1/reports/${report.id}/raw-samples`, headers: bearer(vendor.key) })).json() as { runs: { queries: [number, number][] }[] };
  return { reportId: report.id, raw };
}

/** The test's own fidelity figures: both models on the latency run's synthetic inputs (seed + i). */
async function independentFidelity(file: string) {
  const candidate = await InferenceSession.create(fixtureModel(file));
  const reference = await InferenceSession.create(fixtureModel('mlp-classifier.onnx'));
  let minCosine = 1;
  for (let i = 0; i < FIDELITY_SAMPLES; i++) {
    const [input] = createSyntheticInputs([{ name: 'input', elementType: 'float32', shape: ['batch', 64] }], { seed: SUITE_DEFAULTS.seed + i, dynamicDims: { batch: 4 } });
    const feed = { input: new Tensor('float32', input!.data as Float32Array, input!.dims) };
    const a = (await candidate.run(feed)).probabilities!.data as Float32Array;
    const b = (await reference.run(feed)).probabilities!.data as Float32Array;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let k = 0; k < a.length; k++) {
      dot += a[k]! * b[k]!;
      na += a[k]! ** 2;
      nb += b[k]! ** 2;
    }
    minCosine = Math.min(minCosine, dot / Math.sqrt(na * nb));
  }
  return { minCosine };
}

/** RFC 8785 for the plain JSON used here (strings, numbers, booleans, objects): members sorted by key. */
function canonicalJcs(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJcs).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${canonicalJcs(record[key])}`).join(',')}}`;
}

function pdfText(bytes: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'npubench-cert-pdf-'));
  try {
    writeFileSync(join(dir, 'cert.pdf'), bytes);
    return execFileSync('pdftotext', ['-enc', 'UTF-8', join(dir, 'cert.pdf'), '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Line = { rule: string; passed: boolean; expected: string; actual: string; reason: string };

describe('a profile requiring accuracy, fidelity, certified power and the accelerator share', () => {
  let profileId: string;
  beforeAll(async () => {
    profileId = await createProfile('quality-energy', RULES);
  });

  it('certifies an honest run, with energy per inference from the lab meter', async () => {
    const { reportId, raw } = await benchmark('mlp-classifier.onnx');
    const res = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId, profileId } });
    expect(res.statusCode, res.body).toBe(201);
    const cert = await t.deps.db.certificate.findFirstOrThrow({ where: { reportId, profileId } });
    const lines = cert.evaluation as Line[];
    expect(lines.map((l) => [l.rule, l.passed])).toEqual([
      ['power', true],
      ['accuracy', true],
      ['fidelity', true],
      ['acceleratorShare', true],
    ]);
    expect(lines.find((l) => l.rule === 'accuracy')!.actual).toBe(`top1Agreement = 1 vs reference 1 on ${FIDELITY_SAMPLES} samples (100 %)`);
    expect(lines.find((l) => l.rule === 'fidelity')!.actual).toBe(`min cosine = 1; top-1 agreement = 1; samples = ${FIDELITY_SAMPLES}`);
    // Ground truth: the analyzer read 42 W throughout each run's window (first start to last end).
    const windowS = raw.runs.reduce((sum, run) => sum + (run.queries.at(-1)![1] - run.queries[0]![0]), 0) / 1e9;
    const queries = raw.runs.reduce((sum, run) => sum + run.queries.length, 0);
    const truthMj = (WATTS * windowS * 1000) / queries;
    const power = lines.find((l) => l.rule === 'power')!;
    expect(power.actual).toMatch(/^power VALID; meter ptdaemon \(lab\); uncertainty = 0\.4 %; energy = [0-9.]+ mJ\/query$/);
    const measuredMj = Number(/energy = ([0-9.]+) mJ/.exec(power.actual)![1]);
    expect(Math.abs(measuredMj - truthMj) / truthMj).toBeLessThan(0.01);

    // The signed statement carries the rules as published, their RFC 8785 digest and the facts used.
    const statement = JSON.parse(Buffer.from((cert.envelope as { payload: string }).payload, 'base64').toString('utf8')) as {
      predicateType: string;
      predicate: { ruleSet: { rules: unknown; digest: string }; facts: { power: { energyPerQueryMj: number; meterClass: string; uncertaintyPct: number }; fidelity: { outputs: { minCosine: number }[] } } };
    };
    expect(statement.predicateType).toBe('https://npubench.dev/attestations/certificate/v3');
    expect(statement.predicate.ruleSet.rules).toEqual(RULES);
    expect(statement.predicate.ruleSet.digest).toBe(createHash('sha256').update(canonicalJcs(RULES)).digest('hex'));
    expect(statement.predicate.facts.power).toMatchObject({ meterClass: 'lab', uncertaintyPct: 0.4 });
    expect(Math.abs(statement.predicate.facts.power.energyPerQueryMj - truthMj) / truthMj).toBeLessThan(0.01);
    expect(statement.predicate.facts.fidelity.outputs).toHaveLength(1);
    expect(statement.predicate.facts.fidelity.outputs[0]!.minCosine).toBeCloseTo(1, 12);

    // The PDF says what was certified, read back as text.
    const pdf = await t.app.inject({ method: 'GET', url: `/v1/certificates/${cert.id}/pdf` });
    expect(pdf.statusCode, pdf.body).toBe(200);
    const text = pdfText(pdf.rawPayload).replace(/\s+/g, ' ');
    expect(text).toContain(`Quality vs reference top-1 agreement 1 vs 1 (100 %), ${FIDELITY_SAMPLES} samples`);
    expect(text).toContain('Fidelity to reference min cosine 1, top-1 agreement 100 %');
    expect(text).toMatch(/Energy per inference [0-9.]+ mJ, 42 W avg \(ptdaemon meter, lab class, ±0\.4 % stated; VALID\)/);
    expect(text).toMatch(/Accelerator share CPUExecutionProvider: (\d+)\/\1 nodes \(100 %\), 100 % of kernel time/);
  }, 240_000);

  it('refuses the perturbed copy on its fidelity rule', async () => {
    const independent = await independentFidelity('mlp-classifier-perturbed.onnx');
    // The precondition the attack rests on, computed here: 5% weight noise moves the outputs below the bound.
    expect(independent.minCosine).toBeLessThan(MIN_COSINE);
    const { reportId } = await benchmark('mlp-classifier-perturbed.onnx');
    const failed = expectProblem(await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId, profileId } }), 422, 'certificate.profile_failed');
    const lines = failed.evaluation as Line[];
    expect(lines.filter((l) => !l.passed).map((l) => l.rule)).toEqual(['fidelity']);
    const fidelity = lines.find((l) => l.rule === 'fidelity')!;
    expect(fidelity.reason).toBe(`min cosine below ${MIN_COSINE}`);
    const measured = Number(/min cosine = ([0-9.]+)/.exec(fidelity.actual)![1]);
    expect(measured).toBeCloseTo(independent.minCosine, 5);
  }, 240_000);

  it('does not certify a run whose nodes ran on the CPU for a profile naming the accelerator EP', async () => {
    const { reportId } = await benchmark('mlp-classifier.onnx');
    const npuProfile = await createProfile('npu-share', { acceleratorShare: { provider: 'QNNExecutionProvider', minNodeShare: 0.9 } });
    const res = await t.app.inject({ method: 'POST', url: `/v1/profiles/${npuProfile}/evaluate`, headers: bearer(vendor.key), payload: { reportId } });
    expect(res.statusCode, res.body).toBe(200);
    const { verdict, rules } = res.json() as { verdict: string; rules: Line[] };
    expect(verdict).toBe('FAIL');
    expect(rules[0]).toMatchObject({ rule: 'acceleratorShare', passed: false, reason: 'too few nodes on QNNExecutionProvider' });
    expect(rules[0]!.actual).toMatch(/^nodes on QNNExecutionProvider = 0\/\d+ \(0 %\)$/);
  }, 240_000);
});

describe('a broken INT8 quantization fails the quality rule the honest one passes', () => {
  it('certifies tiny-cnn INT8 (QDQ) on fidelity to FP32 and refuses the broken-scale copy', async () => {
    const quality = await createProfile('int8-fidelity', { fidelity: { minCosine: 0.99, minSamples: FIDELITY_SAMPLES } });
    const outcome = async (file: string) => {
      const { reportId } = await benchmark(file, 'tiny-cnn.onnx', {});
      const res = await t.app.inject({ method: 'POST', url: `/v1/profiles/${quality}/evaluate`, headers: bearer(vendor.key), payload: { reportId } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { verdict: string; rules: Line[] };
    };
    // The test's own cosines: both models on the run's synthetic inputs.
    const reference = await InferenceSession.create(fixtureModel('tiny-cnn.onnx'));
    const independentMin = async (file: string) => {
      const candidate = await InferenceSession.create(fixtureModel(file));
      let min = 1;
      for (let i = 0; i < FIDELITY_SAMPLES; i++) {
        const [input] = createSyntheticInputs([{ name: reference.inputNames[0]!, elementType: 'float32', shape: [1, 3, 32, 32] }], { seed: SUITE_DEFAULTS.seed + i, dynamicDims: {} });
        const feed = { [reference.inputNames[0]!]: new Tensor('float32', input!.data as Float32Array, input!.dims) };
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
        min = Math.min(min, dot / Math.sqrt(na * nb));
      }
      return min;
    };
    const int8 = await outcome('tiny-cnn-int8-qdq.onnx');
    expect(int8.verdict, JSON.stringify(int8.rules)).toBe('PASS');
    const broken = await outcome('tiny-cnn-int8-qdq-broken.onnx');
    expect(broken.verdict).toBe('FAIL');
    expect(broken.rules[0]).toMatchObject({ rule: 'fidelity', passed: false, reason: 'min cosine below 0.99' });
    const brokenMin = await independentMin('tiny-cnn-int8-qdq-broken.onnx');
    expect(brokenMin).toBeLessThan(0.99);
    expect(Number(/min cosine = ([0-9.]+)/.exec(broken.rules[0]!.actual)![1])).toBeCloseTo(brokenMin, 5);
    expect(await independentMin('tiny-cnn-int8-qdq.onnx')).toBeGreaterThanOrEqual(0.99);
  }, 300_000);
});

describe('the verdict re-checked offline from the rules and facts the certificate carries', () => {
  let dir: string;
  let honestId: string;
  let reportId: string;
  let profileId: string;

  const download = async (id: string, name: string) => {
    const file = join(dir, name);
    writeFileSync(file, (await t.app.inject({ method: 'GET', url: `/v1/certificates/${id}` })).body);
    return file;
  };
  const verify = (file: string, ...extra: string[]) => runNpubench(['verify', file, '--jwks', join(dir, 'jwks.json'), '--log-key', join(dir, 'log.vkey'), '--explain', ...extra], {});

  /** What a lab holding the signing key could do: sign and log a statement of its choosing for the report. */
  async function labSigns(mutate: (predicate: CertificatePredicate) => CertificatePredicate): Promise<string> {
    const honest = await t.deps.db.certificate.findUniqueOrThrow({ where: { id: honestId } });
    const original = JSON.parse(Buffer.from((honest.envelope as { payload: string }).payload, 'base64').toString('utf8')) as { subject: { name: string; digest: { sha256: string } }[]; predicate: CertificatePredicate };
    const id = randomUUID();
    const forgedProfile = await createProfile(`forged-${id.slice(0, 8)}`, RULES);
    const predicate = mutate({ ...original.predicate, certificateId: id, profile: { id: forgedProfile, title: 'forged' } });
    const { key } = await activeSigner(t.deps);
    const envelope = signStatement(buildStatement(original.subject, CERTIFICATE_PREDICATE_TYPE, predicate), key);
    const entry = { statementDigest: statementDigestOf(envelope), profileId: forgedProfile, reportId, issuedAt: predicate.issuedAt, expiresAt: predicate.expiresAt };
    await t.deps.db.$transaction(async (tx) => {
      const { index } = await appendLogEntry(tx, { kind: 'certificate.issued', certificateId: id, entry });
      await tx.certificate.create({
        data: { id, reportId, profileId: forgedProfile, orgId: honest.orgId, deviceId: honest.deviceId, evaluation: predicate.evaluation, keyFigures: predicate.keyFigures, issuedAt: new Date(entry.issuedAt), expiresAt: new Date(entry.expiresAt), envelope: { ...envelope, signatures: envelope.signatures.map((s) => ({ ...s })) }, logIndex: index },
      });
    });
    return id;
  }

  beforeAll(async () => {
    dir = await createTempDir('npubench-explain');
    writeFileSync(join(dir, 'jwks.json'), (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body);
    writeFileSync(join(dir, 'log.vkey'), ((await t.app.inject({ method: 'GET', url: '/v1/transparency/log-key' })).json() as { vkey: string }).vkey);
    profileId = await createProfile('quality-energy-explain', RULES);
    ({ reportId } = await benchmark('mlp-classifier.onnx'));
    const res = await t.app.inject({ method: 'POST', url: '/v1/certificates', headers: bearer(certifier.key), payload: { reportId, profileId } });
    expect(res.statusCode, res.body).toBe(201);
    honestId = (res.json() as { certificateId: string }).certificateId;
    const report = (await t.app.inject({ method: 'GET', url: `/v1/reports/${reportId}`, headers: bearer(vendor.key) })).body;
    writeFileSync(join(dir, 'report.json'), report);
  }, 240_000);

  it('npubench verify --explain re-evaluates every rule and prints expected vs measured', async () => {
    const res = await verify(await download(honestId, 'honest.json'), '--report', join(dir, 'report.json'));
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/ok\s+rules\s+4 rules re-evaluated over the embedded facts: PASS, as signed/);
    expect(res.stdout).toContain(`the embedded facts are the signed report ${reportId}'s figures`);
    for (const rule of ['power', 'accuracy', 'fidelity', 'acceleratorShare']) expect(res.stdout).toMatch(new RegExp(`PASS\\s+${rule}\\s+expected: .+\\n\\s+measured: .+`));
    expect(res.stdout).toContain(`expected: min cosine ≥ ${MIN_COSINE}; top-1 agreement ≥ 0.99; ≥ ${FIDELITY_SAMPLES} samples`);
  }, 120_000);

  it('fails a PASS the lab signed over facts that fail its own rules, with a reason of its own', async () => {
    // The perturbed copy's cosine written into the facts, the passing lines kept.
    const id = await labSigns((p) => ({ ...p, facts: { ...p.facts, fidelity: { ...p.facts.fidelity!, outputs: p.facts.fidelity!.outputs.map((o) => ({ ...o, minCosine: 0.999 })) } } }));
    const res = await verify(await download(id, 'forged.json'));
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toContain(`certificate ${id}: INVALID`);
    expect(res.stdout).toMatch(/FAIL\s+rules\s+verdict_mismatch: the embedded rules and facts give FAIL \(fidelity failed\), the certificate says PASS/);
    expect(res.stdout).toMatch(/FAIL\s+fidelity\s+expected: .+\n\s+measured: min cosine = 0\.999; .+ \(signed as PASS\)/);
    const online = (await t.app.inject({ method: 'GET', url: `/v1/certificates/${id}/verify` })).json() as { status: string; checks: { check: string; ok: boolean; detail: string }[] };
    expect(online.status).toBe('invalid');
    expect(online.checks.find((c) => c.check === 'rules')).toMatchObject({ ok: false, detail: expect.stringMatching(/^verdict_mismatch: /) });
  }, 120_000);

  it('fails facts made up to pass, against the signed report statement', async () => {
    // Consistent on its own: lines re-evaluated over the made-up facts, so only the report shows the lie.
    const id = await labSigns((p) => {
      const facts = { ...p.facts, power: { ...p.facts.power, energyPerQueryMj: 0.001 } } as RuleFacts;
      return { ...p, facts, evaluation: evaluateRules(RULES, facts).rules };
    });
    const alone = await verify(await download(id, 'made-up.json'));
    expect(alone.code, alone.stdout).toBe(0);
    const res = await verify(join(dir, 'made-up.json'), '--report', join(dir, 'report.json'));
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toMatch(/FAIL\s+rules\s+.*facts_mismatch: the embedded facts differ from the signed report's figures in power/);
  }, 120_000);
});
