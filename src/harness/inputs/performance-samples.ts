// LoadGen's performance sample set: N distinct samples, from the run's dataset when it has one of model
// inputs (dataset-samples.ts), else synthetic, each from its own seed derived from the QSL seed; and
// queries that pick samples by a separately seeded sample-index stream.
// Distinct inputs make output caching visible (and unrewarded); the seeds go into the report, so the
// run's data and its order can be redrawn byte for byte.
import { z } from 'zod';
import { mulberry32 } from '../seeded-random.js';
import type { HostTensor, TensorSignatureLike } from '../tensors.js';
import { createSyntheticInputs, type SyntheticInputOptions } from './synthetic-inputs.js';
import { SEEDS_CHOSEN_BY } from '../sample-seeds.js';

export { runSeedsOf, sampleSeeds } from '../sample-seeds.js';
import { sampleMismatch, type DatasetSamples } from './dataset-samples.js';

/** Samples in the performance set, unless they would take more than SAMPLE_SET_BYTE_BUDGET. */
export const PERFORMANCE_SAMPLE_COUNT = 64;
/** The whole sample set stays within this many bytes of host memory (and of the runner's). */
export const SAMPLE_SET_BYTE_BUDGET = 256 * 1024 * 1024;

const SAMPLE_SEED_STEP = 0x27d4eb2f;

export const sampleSetRecordSchema = z.strictObject({
  /** Distinct samples the timed queries draw from (LoadGen's performance_sample_count). */
  performanceSampleCount: z.int().min(1),
  /** Seeds sample k's inputs as qslSeed + k * step (k = 0 is the seed itself). */
  qslSeed: z.int().min(0),
  /** Seeds the stream of sample indices the queries use. */
  sampleIndexSeed: z.int().min(0),
  /** Seeds the Server arrival schedule. */
  scheduleSeed: z.int().min(0),
  /** Absent in reports from before the service chose seeds: those count as not service-chosen. */
  chosenBy: z.enum(SEEDS_CHOSEN_BY).optional(),
  /** Where the samples came from: a dataset of the run (drawn by the QSL seed, LoadGen's real samples),
   *  or synthetic tensors from the seeds (with why no dataset served). Absent in reports before #16 item 2: synthetic. */
  source: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('dataset'), dataset: z.string(), datasetSamples: z.int().min(1) }),
      z.strictObject({ kind: z.literal('synthetic'), reason: z.string() }),
    ])
    .optional(),
});
export type SampleSetRecord = z.output<typeof sampleSetRecordSchema>;

function sampleBytes(sample: readonly HostTensor[]): number {
  return sample.reduce((total, tensor) => total + (Array.isArray(tensor.data) ? tensor.data.reduce((n, s) => n + s.length, 0) : tensor.data.byteLength), 0);
}

/** Sample k of the set (inputs for every signature), from seed qslSeed + k * step. */
export function createSample(signatures: readonly TensorSignatureLike[], qslSeed: number, k: number, dynamicDims: SyntheticInputOptions['dynamicDims']): HostTensor[] {
  return createSyntheticInputs(signatures, { seed: (qslSeed + Math.imul(k, SAMPLE_SEED_STEP)) >>> 0, dynamicDims });
}

/**
 * `count` distinct samples (fewer when they would exceed the byte budget, never fewer than 1), plus
 * `extra` samples after them that the timed queries never use (the caching check's fresh inputs, always
 * synthetic). With `fromDataset`, the samples are the dataset's, as many as it has up to `count`, chosen
 * by a shuffle seeded with the QSL seed; a dataset whose samples do not fit the model leaves them synthetic.
 */
export function createPerformanceSampleSet(
  signatures: readonly TensorSignatureLike[],
  options: { qslSeed: number; dynamicDims: SyntheticInputOptions['dynamicDims']; count?: number; extra?: number; fromDataset?: DatasetSamples | undefined },
): { samples: HostTensor[][]; performanceSampleCount: number; source: NonNullable<SampleSetRecord['source']> } {
  const first = createSample(signatures, options.qslSeed, 0, options.dynamicDims);
  const wanted = options.count ?? PERFORMANCE_SAMPLE_COUNT;
  const extra = options.extra ?? 0;
  const fit = Math.max(1, Math.floor(SAMPLE_SET_BYTE_BUDGET / Math.max(1, sampleBytes(first))) - extra);
  const fresh = (from: number) => Array.from({ length: extra }, (_, j) => createSample(signatures, options.qslSeed, from + j, options.dynamicDims));
  const dataset = options.fromDataset;
  let reason = 'the run names no dataset of model inputs';
  if (dataset && dataset.count > 0) {
    const mismatch = sampleMismatch(dataset.sample(0), signatures, options.dynamicDims);
    if (mismatch === null) {
      const performanceSampleCount = Math.min(wanted, fit, dataset.count);
      const chosen = seededShuffle(dataset.count, options.qslSeed).slice(0, performanceSampleCount);
      const samples = chosen.map((i) => dataset.sample(i));
      const late = samples.map((sample) => sampleMismatch(sample, signatures, options.dynamicDims)).find((m) => m !== null);
      if (late === undefined) return { samples: [...samples, ...fresh(performanceSampleCount)], performanceSampleCount, source: { kind: 'dataset', dataset: dataset.ref, datasetSamples: dataset.count } };
      reason = `dataset ${dataset.ref} does not fit the model: ${late}`;
    } else {
      reason = `dataset ${dataset.ref} does not fit the model: ${mismatch}`;
    }
  }
  const performanceSampleCount = Math.min(wanted, fit);
  const samples = [first];
  for (let k = 1; k < performanceSampleCount; k++) samples.push(createSample(signatures, options.qslSeed, k, options.dynamicDims));
  return { samples: [...samples, ...fresh(performanceSampleCount)], performanceSampleCount, source: { kind: 'synthetic', reason } };
}

/** 0..n-1 in an order drawn from `seed` (Fisher-Yates on mulberry32). */
function seededShuffle(n: number, seed: number): number[] {
  const random = mulberry32(seed ^ 0x9e3779b9);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The sample index of each successive query, uniform over [0, count). */
export function sampleIndexStream(sampleIndexSeed: number, count: number): () => number {
  const random = mulberry32(sampleIndexSeed);
  return () => Math.floor(random() * count);
}
