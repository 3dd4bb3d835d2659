// Issue #16 item 2: the performance sample set holds the run's real data when it has a dataset of model
// inputs (LoadGen's QSL), drawn by the QSL seed, and says so; otherwise synthetic samples, with the reason.
import { describe, expect, it } from 'vitest';
import { parseLabelledInputs } from '../../src/harness/accuracy/labelled-inputs.js';
import { parseTextPagesDataset } from '../../src/harness/accuracy/text-pages-format.js';
import { datasetSamplesOf } from '../../src/harness/inputs/dataset-samples.js';
import { createPerformanceSampleSet, createSample } from '../../src/harness/inputs/performance-samples.js';
import { ocrDetectionPagesDataset } from '../../src/harness/inputs/suite-datasets.js';
import { renderTextPage } from '../../src/harness/inputs/text-pages.js';

const SIGNATURE = [{ name: 'input', elementType: 'float32', shape: ['batch', 64] }];
const DIMS = { batch: 2 };

/** Ten labelled samples of [2, 64], sample s filled with the value s (so each is recognisable). */
function labelledSet(dims = [2, 64]) {
  const samples = Array.from({ length: 10 }, (_, s) => ({ inputs: { input: { elementType: 'float32', dims, data: new Array(dims[0]! * dims[1]!).fill(s) } }, label: new Array(dims[0]!).fill(s) }));
  return parseLabelledInputs(JSON.stringify({ format: 'npubench.labelled-inputs/v1', samples }));
}

const sampleId = (sample: readonly { data: unknown }[]) => (sample[0]!.data as Float32Array)[0]!;

describe('the performance sample set from a dataset', () => {
  it('holds every sample of a small dataset once, in an order the QSL seed draws, then synthetic fresh samples', () => {
    const fromDataset = datasetSamplesOf({ labelledInputs: { ref: 'sha256:' + 'a'.repeat(64), set: labelledSet() } }, 'input');
    const a = createPerformanceSampleSet(SIGNATURE, { qslSeed: 7, dynamicDims: DIMS, extra: 3, fromDataset });
    expect(a.performanceSampleCount).toBe(10);
    expect(a.source).toEqual({ kind: 'dataset', dataset: 'sha256:' + 'a'.repeat(64), datasetSamples: 10 });
    const order = a.samples.slice(0, 10).map(sampleId);
    expect([...order].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The same seed draws the same order; another seed another one.
    expect(createPerformanceSampleSet(SIGNATURE, { qslSeed: 7, dynamicDims: DIMS, extra: 3, fromDataset }).samples.slice(0, 10).map(sampleId)).toEqual(order);
    expect(createPerformanceSampleSet(SIGNATURE, { qslSeed: 8, dynamicDims: DIMS, extra: 3, fromDataset }).samples.slice(0, 10).map(sampleId)).not.toEqual(order);
    // The caching check's fresh inputs are the synthetic samples after the set, as without a dataset.
    expect(a.samples.slice(10)).toEqual([10, 11, 12].map((k) => createSample(SIGNATURE, 7, k, DIMS)));
  });

  it('takes at most the wanted count from a larger dataset', () => {
    const fromDataset = datasetSamplesOf({ labelledInputs: { ref: 'sha256:' + 'b'.repeat(64), set: labelledSet() } }, 'input');
    const set = createPerformanceSampleSet(SIGNATURE, { qslSeed: 1, dynamicDims: DIMS, count: 4, fromDataset });
    expect(set.performanceSampleCount).toBe(4);
    expect(new Set(set.samples.map(sampleId)).size).toBe(4);
  });

  it('keeps synthetic samples, and says why, when the dataset does not fit the shapes the run measures', () => {
    const fromDataset = datasetSamplesOf({ labelledInputs: { ref: 'sha256:' + 'c'.repeat(64), set: labelledSet([1, 64]) } }, 'input');
    const set = createPerformanceSampleSet(SIGNATURE, { qslSeed: 7, dynamicDims: DIMS, fromDataset });
    expect(set.source).toEqual({ kind: 'synthetic', reason: `dataset sha256:${'c'.repeat(64)} does not fit the model: input 'input' is [1, 64], the run measures [2, 64]` });
    expect(set.samples[0]).toEqual(createSample(SIGNATURE, 7, 0, DIMS));
    expect(createPerformanceSampleSet(SIGNATURE, { qslSeed: 7, dynamicDims: DIMS }).source).toEqual({ kind: 'synthetic', reason: 'the run names no dataset of model inputs' });
  });

  it('draws text pages as the detector input the accuracy pass feeds', () => {
    const pages = parseTextPagesDataset(ocrDetectionPagesDataset());
    const detector = [{ name: 'x', elementType: 'float32', shape: ['n', 3, 'h', 'w'] }];
    const set = createPerformanceSampleSet(detector, { qslSeed: 3, dynamicDims: { n: 1, h: 320, w: 320 }, fromDataset: datasetSamplesOf({ textPages: { ref: 'sha256:' + 'd'.repeat(64), set: pages } }, 'x') });
    expect(set.performanceSampleCount).toBe(pages.pages.length);
    // Independent: each page's channel 0, normalised here by hand with ImageNet's mean and std for red.
    const byHand = pages.pages.map((p) => Float32Array.from(renderTextPage(p, pages), (v) => (v / 255 - 0.485) / 0.229).join(','));
    const used = set.samples.map((sample) => byHand.indexOf((sample[0]!.data as Float32Array).subarray(0, 320 * 320).join(',')));
    expect(used.every((i) => i >= 0)).toBe(true);
    expect(new Set(used).size).toBe(pages.pages.length);
  });
});
