// Versioned suite catalogs (GET /v1/suites): what makes two certificates comparable. A suite pins, per
// workload, the reference FP32 model and the dataset by sha256, the quality metric and target, the
// scenarios and their settings, the Server latency bound and whether power must be measured. The
// catalog document is content-addressed: its id is a name and version, its digest the sha256 of its
// RFC 8785 canonical JSON, so a certificate that names both names exactly these rules.
// Zod only: the dashboard imports this file.
import { z } from 'zod';
import { SCENARIOS } from './job-vocabulary.js';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);

export const SUITE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}@[1-9][0-9]{0,5}$/;

export const licenceSchema = z
  .strictObject({
    spdx: z.string().min(1).describe('SPDX identifier, e.g. Apache-2.0'),
    note: z.string().min(1).describe('Whose licence it is and where it is stated'),
  })
  .meta({ id: 'SuiteLicence' });

export const pinnedFileSchema = z
  .strictObject({
    path: z.string().min(1).describe('Path inside the source (the npm package folder, or the npubench repository)'),
    sha256: sha256Hex,
    size: z.int().min(0),
  })
  .meta({ id: 'SuitePinnedFile' });

export const fileSourceSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('npm'), package: z.string().min(1), version: z.string().min(1) }),
    z.strictObject({ kind: z.literal('repository'), description: z.string().min(1) }),
  ])
  .meta({ id: 'SuiteFileSource' });

export const referenceModelSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().min(1),
    precision: z.literal('float32'),
    source: fileSourceSchema,
    /** Every file of the model (a bundle lists all of them); the first is the ONNX graph. */
    files: z.array(pinnedFileSchema).min(1),
    /** Sizes for the model's symbolic input dims that the workload runs at (the suite spec's dynamicDims). */
    dynamicDims: z.record(z.string().min(1), z.int().min(1)),
    provenance: z.string().min(1),
    licence: licenceSchema,
  })
  .meta({ id: 'SuiteReferenceModel' });

export const suiteDatasetSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}@[1-9][0-9]*$/),
    description: z.string().min(1),
    /** The file's format: npubench.labelled-inputs/v1, npubench.text-lines/v1, npubench.vad-frames/v1, or builtin:npubench-mmlu-mini. */
    format: z.string().min(1),
    /** sha256 of the dataset file as the generator writes it (for the built-in MMLU set: of its RFC 8785 canonical JSON). */
    sha256: sha256Hex,
    samples: z.int().min(1),
    groundTruth: z.string().min(1).describe('What the labels are and how they are known'),
    /** How the file is made: generated here at build time (`npm run suites:datasets`), never downloaded. */
    generator: z.string().min(1),
    provenance: z.string().min(1),
    licence: licenceSchema,
  })
  .meta({ id: 'SuiteDataset' });

export const QUALITY_METRICS = ['top1-accuracy', 'character-accuracy', 'top1-agreement', 'mmlu-accuracy', 'frame-f1', 'detection-hmean'] as const;

export const qualityTargetSchema = z
  .strictObject({
    metric: z.enum(QUALITY_METRICS).describe('Higher is better for every metric; character accuracy is 1 − character error rate; frame F1 is voice-activity detection\'s per-frame F1 against the labels; detection hmean is text detection\'s harmonic mean of precision and recall at IoU 0.5'),
    /** PASS needs the candidate's score ≥ this × the FP32 reference's score on the same dataset, measured by the service. */
    minRelativeToReference: z.number().gt(0).max(1),
    /** A score needs at least this many samples (questions, lines, images). */
    minSamples: z.int().min(1),
    /** Floors on agreement with the FP32 reference's outputs, so a model cannot trade fidelity for a lucky score. */
    fidelityFloor: z
      .strictObject({
        minCosine: z.number().min(-1).max(1).optional(),
        minTop1Agreement: z.number().min(0).max(1).optional(),
        /** LMs: greedy-token agreement with the reference, teacher-forced on its generated tokens (rule fact fidelity.tokenAgreement). */
        minTokenAgreement: z.number().min(0).max(1).optional(),
      })
      .refine((f) => Object.keys(f).length > 0, 'a fidelity floor names at least one bound'),
  })
  .meta({ id: 'SuiteQualityTarget' });

export const workloadScenarioSchema = z
  .strictObject({
    scenario: z.enum(SCENARIOS),
    /** Suite spec fields the scenario runs with (src/harness/suite-spec.ts), besides the model's dynamicDims. */
    settings: z.strictObject({
      preset: z.enum(['quick', 'standard', 'submission']).optional(),
      targetPercentile: z.number().gt(0).lt(100).optional(),
      samplesPerQuery: z.int().min(1).optional(),
      targetLatencyMs: z.number().gt(0).optional(),
      offlineSampleCount: z.int().min(1).optional(),
    }),
  })
  .meta({ id: 'SuiteWorkloadScenario' });

export const suiteWorkloadSchema = z
  .strictObject({
    id: slug,
    title: z.string().min(1),
    task: z.string().min(1),
    referenceModel: referenceModelSchema,
    dataset: suiteDatasetSchema,
    quality: qualityTargetSchema,
    scenarios: z.array(workloadScenarioSchema).min(1),
    /** The latency the Server scenario's target percentile must meet (LoadGen's target_latency). */
    serverLatencyBoundMs: z.number().gt(0).nullable(),
    /** LLM workloads: TTFT/TPOT/tokens-per-second at these fixed lengths (MLPerf Client). */
    llmLengths: z.strictObject({ promptTokens: z.int().min(1), outputTokens: z.int().min(1) }).nullable(),
    power: z.strictObject({ required: z.boolean(), note: z.string().min(1) }),
  })
  .meta({ id: 'SuiteWorkload' });

export const DIVISIONS = ['closed', 'open'] as const;
export type Division = (typeof DIVISIONS)[number];

/** The catalog document itself: what the digest covers. */
export const suiteCatalogSchema = z
  .strictObject({
    id: z.string().regex(SUITE_ID_PATTERN),
    name: slug,
    version: z.int().min(1),
    title: z.string().min(1),
    description: z.string().min(1),
    divisions: z.strictObject({
      closed: z.string().min(1).describe('Closed division: the reference model, possibly quantized or compiled, meeting the quality target'),
      open: z.string().min(1).describe('Open division: any model for the task, quality reported, marked open'),
    }),
    workloads: z.array(suiteWorkloadSchema).min(1),
  })
  .superRefine((suite, ctx) => {
    if (suite.id !== `${suite.name}@${suite.version}`) ctx.addIssue({ code: 'custom', path: ['id'], message: 'id is name@version' });
    const ids = suite.workloads.map((w) => w.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['workloads'], message: 'workload ids are unique' });
    suite.workloads.forEach((w, i) => {
      const hasServer = w.scenarios.some((s) => s.scenario === 'server');
      if (hasServer !== (w.serverLatencyBoundMs !== null)) ctx.addIssue({ code: 'custom', path: ['workloads', i, 'serverLatencyBoundMs'], message: 'a latency bound exactly when the workload runs Server' });
    });
  });
export type SuiteCatalog = z.infer<typeof suiteCatalogSchema>;
export type SuiteWorkload = z.infer<typeof suiteWorkloadSchema>;

const digestRef = z.string().regex(/^sha256:[0-9a-f]{64}$/).describe('sha256 of the catalog document\'s RFC 8785 canonical JSON (everything here but `digest`)');

export const suiteDocumentSchema = z
  .strictObject({ ...suiteCatalogSchema.shape, digest: digestRef })
  .meta({ id: 'Suite' });
// `.shape` drops the catalog's refinements; the service parses the catalog itself before serving it.
export type SuiteDocument = z.infer<typeof suiteDocumentSchema>;

export const suiteSummarySchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    version: z.int(),
    title: z.string(),
    description: z.string(),
    digest: digestRef,
    workloads: z.array(z.strictObject({ id: z.string(), title: z.string(), task: z.string(), scenarios: z.array(z.enum(SCENARIOS)) })),
  })
  .meta({ id: 'SuiteSummary' });

export const suiteListSchema = z.strictObject({ items: z.array(suiteSummarySchema) }).meta({ id: 'SuiteList' });
export type SuiteList = z.infer<typeof suiteListSchema>;

export const suiteParamsSchema = z.strictObject({ id: z.string().regex(SUITE_ID_PATTERN).describe('name@version, e.g. npubench-edge@1') });
