// Fidelity and classification through a runner (issue #16 item 4): the same inputs and the same raw
// records as in-process onnxruntime, and runners that are honest while timed but cheat on the
// evaluations after it are caught. Real runner processes: the reference runner, alone and behind
// test/fixtures/runners/evaluation-cheat-runner.mjs.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunnerBackend, createSyntheticInputs, referenceRunnerCommand, resolveSuiteSpec, runBenchmark, type RunnerBackendConfig } from '../../src/harness/index.js';
import type { LabelledInputSet } from '../../src/harness/accuracy/labelled-inputs.js';
import { fixtureModel } from '../helpers/fixtures.js';

const MLP = fixtureModel('mlp-classifier.onnx');
const PERTURBED = fixtureModel('mlp-classifier-perturbed.onnx');
const CHEAT_RUNNER = fileURLToPath(new URL('../fixtures/runners/evaluation-cheat-runner.mjs', import.meta.url));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const BATCH = 4;
const FIDELITY_SAMPLES = 4;

// Labels that are not the model's answers, so top-1 accuracy is a figure to get right, not 100%.
function labelledSet(): LabelledInputSet {
  let x = 7;
  const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x / 2 ** 32 - 0.5);
  return {
    output: null,
    samples: Array.from({ length: 5 }, (_, s) => ({
      inputs: [{ name: 'input', elementType: 'float32' as const, dims: [2, 64], data: Float32Array.from({ length: 128 }, next) }],
      labels: [s % 10, (s * 3) % 10],
    })),
  };
}
const LABELS = labelledSet();
const LABELS_REF = `sha256:${'ab'.repeat(32)}`;

const SPEC = resolveSuiteSpec({
  minQueryCount: 100,
  minDurationMs: 0,
  warmupQueries: 2,
  dynamicDims: { batch: BATCH },
  accuracy: { reference: { modelDigest: sha256(MLP) }, fidelitySamples: FIDELITY_SAMPLES, classification: { dataset: LABELS_REF } },
});

const reference = referenceRunnerCommand();
const referenceRunner: RunnerBackendConfig = { ...reference, loadOptions: { intraOpNumThreads: 1 }, requestTimeoutMs: 60_000 };
const behind = (mode: string): RunnerBackendConfig => ({ ...referenceRunner, command: process.execPath, args: [CHEAT_RUNNER, mode, MLP, reference.command, ...reference.args] });

function run(backend: RunnerBackendConfig | 'in-process') {
  return runBenchmark({
    modelPath: PERTURBED,
    spec: SPEC,
    backend: backend === 'in-process' ? { executionProvider: 'cpu', intraOpNumThreads: 1 } : createRunnerBackend(backend),
    accuracy: { backend: { executionProvider: 'cpu' }, reference: { modelPath: MLP, digest: sha256(MLP) }, labelledInputs: { ref: LABELS_REF, set: LABELS } },
  });
}

/** Per fidelity sample: cosine of the two models' outputs, computed here with onnxruntime directly. */
async function independentCosines(): Promise<number[]> {
  const [candidate, ref] = await Promise.all([InferenceSession.create(PERTURBED), InferenceSession.create(MLP)]);
  const signature = [{ name: 'input', elementType: 'float32', shape: ['batch', 64] }];
  const cosines: number[] = [];
  for (let i = 0; i < FIDELITY_SAMPLES; i++) {
    const [input] = createSyntheticInputs(signature, { seed: (SPEC.seed + i) >>> 0, dynamicDims: { batch: BATCH } });
    const feeds = { input: new Tensor('float32', input!.data as Float32Array, [BATCH, 64]) };
    const a = (await candidate.run(feeds)).probabilities!.data as Float32Array;
    const b = (await ref.run(feeds)).probabilities!.data as Float32Array;
    let dot = 0, na = 0, nb = 0;
    for (let k = 0; k < a.length; k++) {
      dot += a[k]! * b[k]!;
      na += a[k]! * a[k]!;
      nb += b[k]! * b[k]!;
    }
    cosines.push(dot / Math.sqrt(na * nb));
  }
  await Promise.all([candidate.release(), ref.release()]);
  return cosines;
}

describe('evaluations through a runner', () => {
  it('gives the in-process raw records exactly, and fidelity figures that match an independent computation', async () => {
    const [inProcess, viaRunner, cosines] = [await run('in-process'), await run(referenceRunner), await independentCosines()];
    expect(viaRunner.summary.backend.executionProvider).toMatch(/^runner:/);
    expect(viaRunner.summary.compliance?.outputsVerified).toBe(true);
    expect(viaRunner.rawSamples.accuracy?.outputs).toEqual(inProcess.rawSamples.accuracy?.outputs);
    expect(viaRunner.rawSamples.accuracy?.classification).toEqual(inProcess.rawSamples.accuracy?.classification);
    const fidelity = viaRunner.summary.accuracy?.fidelity?.outputs[0];
    const mean = cosines.reduce((a, b) => a + b, 0) / cosines.length;
    expect(mean).toBeLessThan(0.99999); // the perturbed model really differs
    expect(fidelity?.cosineSimilarity).toBeCloseTo(mean, 6);
    // 10 labelled rows scored against labels that are not the model's answers.
    expect(viaRunner.summary.accuracy?.classification?.rows).toBe(10);
  }, 240_000);

  it('catches a runner that answers evaluations from another model than the one it timed', async () => {
    // Without the anchor it would score the FP32 reference against itself: cosine 1, gate passed.
    await expect(run(behind('switch-model'))).rejects.toMatchObject({ code: 'runner.evaluation_mismatch', message: expect.stringMatching(/answered other outputs than in the accuracy pass/) });
  }, 240_000);

  it('catches a runner whose evaluation digests are not those of the outputs it returned', async () => {
    await expect(run(behind('forge-digests'))).rejects.toMatchObject({ code: 'runner.evaluation_mismatch', message: expect.stringMatching(/not the sha256 of the outputs/) });
  }, 240_000);

  it('lets the same proxy through when it does not cheat', async () => {
    // Compliance verdicts under load are the zoo test's subject; here only the evaluations matter.
    const { rawSamples } = await run(behind('honest'));
    expect(rawSamples.accuracy?.outputs?.[0]?.dot).toHaveLength(FIDELITY_SAMPLES);
  }, 240_000);
});

describe('evaluations through the C runner example (its own arithmetic, not onnxruntime)', () => {
  const TINY_LINEAR = fixtureModel('tiny-linear.onnx');
  let dir: string;
  let runner: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'npubench-c-runner-eval-'));
    runner = join(dir, 'runner');
    execFileSync('cc', ['-std=c99', '-O2', '-o', runner, 'runner.c', 'fake-device.c'], { cwd: fileURLToPath(new URL('../../docs/examples/c-runner/', import.meta.url)), stdio: 'pipe' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scores fidelity against the model in-process, with the anchors answered as before timing', async () => {
    const spec = resolveSuiteSpec({ minQueryCount: 100, minDurationMs: 0, warmupQueries: 2, accuracy: { reference: { modelDigest: sha256(TINY_LINEAR) }, fidelitySamples: 4 } });
    const accuracy = { backend: { executionProvider: 'cpu' }, reference: { modelPath: TINY_LINEAR, digest: sha256(TINY_LINEAR) } };
    const viaC = await runBenchmark({ modelPath: TINY_LINEAR, spec, backend: createRunnerBackend({ command: runner, args: [], requestTimeoutMs: 60_000 }), accuracy });
    const inProcess = await runBenchmark({ modelPath: TINY_LINEAR, spec, backend: { executionProvider: 'cpu' }, accuracy });
    expect(viaC.summary.backend.runtime).toBe('c-example-runner');
    const [c] = viaC.rawSamples.accuracy!.outputs!;
    const [ort] = inProcess.rawSamples.accuracy!.outputs!;
    expect(c!.dot).toHaveLength(4);
    // Float arithmetic in another order: the records agree to float32 rounding, not bit for bit.
    c!.dot.forEach((dot, i) => expect(dot).toBeCloseTo(ort!.dot[i]!, 3));
    expect(Math.max(...c!.maxAbsError)).toBeLessThan(1e-4);
    expect(viaC.summary.accuracy!.fidelity!.outputs[0]!.cosineSimilarity).toBeGreaterThan(0.999999);
  }, 240_000);
});

