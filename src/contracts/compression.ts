// The compression view: for one device, each variant of a reference model (quantized, pruned, distilled,
// compiled: any model whose run measured its fidelity against that reference) beside the reference's own
// run. Every ratio is computed from stored reports; what a report did not measure is said, not filled in.
import { z } from 'zod';
import { rowId, timestamp } from './common.js';
import { MODEL_DIVISIONS, VARIANT_TECHNIQUES } from './models.js';

export const compressionQuery = z.strictObject({
  device: z.string().min(1).max(200).describe('Device slug'),
  referenceModelId: rowId.describe('The FP32 reference model'),
});

/** [low, high]: a percentile bootstrap 95% interval. */
const interval = z.tuple([z.number(), z.number()]);

const measuredRunSchema = z
  .strictObject({
    modelId: rowId,
    name: z.string(),
    version: z.string(),
    artifactDigest: z.string(),
    division: z.enum(MODEL_DIVISIONS),
    variantTechnique: z.enum(VARIANT_TECHNIQUES).nullable().describe('As declared at upload'),
    lineageDeclared: z.boolean().describe("The model declared variantOf = this reference's digest; false when its lineage is only the measured fidelity pass"),
    sizeBytes: z.number().int(),
    reportId: rowId,
    reportedAt: timestamp,
    scenario: z.string(),
    result: z.enum(['VALID', 'INVALID']),
    queries: z.number().int().describe('Latency samples the median and its interval were computed from (all runs)'),
    medianLatencyNs: z.number().describe('Median of every query latency in the raw samples (host clock)'),
    medianLatencyCi95Ns: interval.nullable().describe('Bootstrap interval of the median; null when the raw samples were pruned'),
    energyPerQueryMj: z.number().nullable(),
    energyNotMeasured: z.string().nullable().describe('Why there is no energy figure; null when there is one'),
  })
  .meta({ id: 'CompressionRun' });

const qualitySchema = z
  .strictObject({
    metric: z.string().describe("The accuracy pass's metric, e.g. top1Agreement"),
    candidate: z.number(),
    reference: z.number(),
    retained: z.number().describe('candidate / reference'),
    samples: z.number().int(),
    minCosine: z.number().nullable().describe('Worst output, worst sample'),
    top1Agreement: z.number().nullable(),
  })
  .meta({ id: 'CompressionQuality' });

const variantSchema = z
  .strictObject({
    run: measuredRunSchema,
    speedup: z.number().describe('Reference median latency / variant median latency'),
    speedupCi95: interval.nullable().describe('Bootstrap interval of the ratio of medians (resampled independently)'),
    indistinguishable: z.boolean().nullable().describe('The two medians’ intervals overlap: no measured speed difference; null without raw samples'),
    sizeRatio: z.number().describe('Variant file size / reference file size'),
    energyRatio: z.number().nullable().describe('Variant / reference energy per query; null when either was not measured'),
    energyNotMeasured: z.string().nullable(),
    quality: qualitySchema.nullable().describe('As measured by the variant run’s accuracy pass against this reference; null when it has none'),
  })
  .meta({ id: 'CompressionVariant' });

export const compressionViewSchema = z
  .strictObject({
    device: z.string(),
    referenceModelId: rowId,
    referenceModelDigest: z.string(),
    bootstrap: z.strictObject({ resamples: z.number().int(), seed: z.number().int(), level: z.number() }),
    reference: measuredRunSchema.nullable().describe('The latest run of the reference on this device; null when it never ran there'),
    variants: z.array(variantSchema).describe('The latest run per variant in the reference run’s scenario, fastest first'),
  })
  .meta({ id: 'CompressionView' });
export type CompressionView = z.infer<typeof compressionViewSchema>;
export type CompressionRun = z.infer<typeof measuredRunSchema>;
