// `npubench bench --runner … --reference … --gate` and `--labels` through `npubench runner`: fidelity and
// classification run through the runner process and give the in-process run's raw records exactly.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../helpers/isolated-resources.js';
import { NPUBENCH_BIN, runNpubench } from '../helpers/processes.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { squeezenetPath } from '../helpers/generated-models.js';

const MLP = fixtureModel('mlp-classifier.onnx');
const PERTURBED = fixtureModel('mlp-classifier-perturbed.onnx');
const RUNNER = `${process.execPath} ${NPUBENCH_BIN} runner`;
const COMMON = ['--preset', 'smoke', '--suite', '{"dynamicDims":{"batch":4}}'];

interface Report {
  summary: {
    result: string;
    backend: { executionProvider: string };
    accuracy: {
      fidelity: { outputs: { name: string; cosineSimilarity: number }[] };
      classification: { top1Accuracy: number; rows: number };
      gate: { result: string } | null;
    };
  };
  rawSamples: {
    accuracy: {
      outputs: { name: string; dot: number[]; candidateNormSq: number[]; referenceNormSq: number[] }[];
      classification: { rows: { label: number; top5: number[] }[] };
    };
  };
}

async function labelsFile(dir: string): Promise<string> {
  let x = 11;
  const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x / 2 ** 32 - 0.5);
  const samples = Array.from({ length: 6 }, (_, s) => ({ inputs: { input: { elementType: 'float32', dims: [2, 64], data: Array.from({ length: 128 }, next) } }, label: [s % 10, (s + 3) % 10] }));
  const path = join(dir, 'labelled-inputs.json');
  await writeFile(path, JSON.stringify({ format: 'npubench.labelled-inputs/v1', samples }));
  return path;
}

describe('npubench bench with accuracy through a runner', () => {
  it('passes --reference with --gate 0.99 through `npubench runner` (the model against itself)', async () => {
    const res = await runNpubench(['bench', MLP, ...COMMON, '--runner', RUNNER, '--reference', MLP, '--gate', '0.99'], {});
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/fidelity probabilities\s+cosine 1\.000000/);
    expect(res.stdout).toMatch(/accuracy gate\s+PASS: top1Agreement/);
    expect(res.stdout).toMatch(/EP runner:npubench-reference-runner/);
  }, 180_000);

  it('gives fidelity and classification records equal to the in-process run', async () => {
    const dir = await createTempDir('npubench-bench-runner-acc');
    const labels = await labelsFile(dir);
    const reports: Report[] = [];
    for (const [name, runner] of [['runner', ['--runner', RUNNER]], ['in-process', []]] as const) {
      const out = join(dir, `${name}.json`);
      const res = await runNpubench(['bench', PERTURBED, ...COMMON, ...runner, '--reference', MLP, '--labels', labels, '--gate', '0.5', '--out', out], {});
      expect(res.code, res.stderr).toBe(0);
      reports.push(JSON.parse(await readFile(out, 'utf8')) as Report);
    }
    const [viaRunner, inProcess] = reports as [Report, Report];
    expect(viaRunner.summary.backend.executionProvider).toBe('runner:npubench-reference-runner');
    expect(inProcess.summary.backend.executionProvider).toBe('cpu');
    expect(viaRunner.rawSamples.accuracy.outputs).toEqual(inProcess.rawSamples.accuracy.outputs);
    expect(viaRunner.rawSamples.accuracy.classification).toEqual(inProcess.rawSamples.accuracy.classification);

    // The figures, recomputed here from the raw records.
    const [raw] = viaRunner.rawSamples.accuracy.outputs;
    const cosines = raw!.dot.map((dot, i) => dot / Math.sqrt(raw!.candidateNormSq[i]! * raw!.referenceNormSq[i]!));
    const meanCosine = cosines.reduce((a, b) => a + b, 0) / cosines.length;
    expect(meanCosine).toBeLessThan(0.99999);
    expect(viaRunner.summary.accuracy.fidelity.outputs[0]!.cosineSimilarity).toBeCloseTo(meanCosine, 9);
    const rows = viaRunner.rawSamples.accuracy.classification.rows;
    expect(rows).toHaveLength(12);
    expect(viaRunner.summary.accuracy.classification.top1Accuracy).toBeCloseTo(rows.filter((r) => r.top5[0] === r.label).length / rows.length, 12);
  }, 240_000);

  it("runs issue #16's acceptance command on SqueezeNet 1.1: `bench squeezenet.onnx --runner \"npubench runner\" --reference squeezenet.onnx --gate 0.99`, with the in-process run's fidelity record", async () => {
    const squeezenet = squeezenetPath();
    const dir = await createTempDir('npubench-bench-squeezenet');
    const reports: Report[] = [];
    for (const [name, runner] of [['runner', ['--runner', RUNNER]], ['in-process', []]] as const) {
      const out = join(dir, `${name}.json`);
      const res = await runNpubench(['bench', squeezenet, '--preset', 'smoke', '--suite', '{"accuracy":{"fidelitySamples":4}}', ...runner, '--reference', squeezenet, '--gate', '0.99', '--out', out], {}, 240_000);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/accuracy gate\s+PASS: top1Agreement/);
      reports.push(JSON.parse(await readFile(out, 'utf8')) as Report);
    }
    const [viaRunner, inProcess] = reports as [Report, Report];
    expect(viaRunner.summary.backend.executionProvider).toBe('runner:npubench-reference-runner');
    expect(viaRunner.summary.result).toBe('VALID');
    // The same seeded inputs through the same CPU kernels: the raw fidelity record is equal, not close.
    expect(viaRunner.rawSamples.accuracy.outputs).toEqual(inProcess.rawSamples.accuracy.outputs);
    const [raw] = viaRunner.rawSamples.accuracy.outputs;
    expect(raw!.dot).toHaveLength(4);
    raw!.dot.forEach((dot, i) => expect(dot / Math.sqrt(raw!.candidateNormSq[i]! * raw!.referenceNormSq[i]!)).toBeCloseTo(1, 9));
  }, 600_000);

  it('still refuses --profile for a runner, and MMLU of a single .onnx model as in-process', async () => {
    const profile = await runNpubench(['bench', MLP, ...COMMON, '--runner', RUNNER, '--profile'], {});
    expect(profile.code).not.toBe(0);
    expect(profile.stderr).toMatch(/--profile needs onnxruntime/);
    const mmlu = await runNpubench(['bench', MLP, ...COMMON, '--runner', RUNNER, '--mmlu'], {});
    expect(mmlu.code).not.toBe(0);
    expect(mmlu.stderr).toMatch(/MMLU needs an LLM bundle/);
  }, 120_000);
});
