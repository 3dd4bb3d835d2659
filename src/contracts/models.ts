// What the API says about an uploaded model. Zod only: the dashboard and the CLI import this file.
import { z } from 'zod';
import { pageOf, rowId, timestamp } from './common.js';

export const VISIBILITIES = ['PRIVATE', 'PUBLIC'] as const;
export const visibilitySchema = z.enum(VISIBILITIES);

const tensorSignatureSchema = z.looseObject({
  name: z.string(),
  elementType: z.string().describe("'float32', 'int64', …; the value kind for non-tensors"),
  shape: z.array(z.union([z.number(), z.string(), z.null()])).describe('number: fixed dim, string: symbolic dim, null: unknown'),
  rankKnown: z.boolean(),
});

/** The ONNX signature read from the file at upload (never executed); bundles add their files and LM layout. */
export const modelSignatureSchema = z
  .looseObject({
    // inputs and outputs are what every stored signature has; the other members were added as the
    // reader grew, so a model stored by an older version (or seeded by hand) may lack them.
    inputs: z.array(tensorSignatureSchema),
    outputs: z.array(tensorSignatureSchema),
    irVersion: z.number().int().nullable().optional(),
    opsets: z.array(z.object({ domain: z.string(), version: z.number().int() })).optional(),
    producerName: z.string().nullable().optional(),
    producerVersion: z.string().nullable().optional(),
    graphName: z.string().nullable().optional(),
    initializerCount: z.number().int().optional(),
    nodeCount: z.number().int().optional(),
    usesExternalData: z.boolean().optional(),
    externalDataLocations: z.array(z.string()).optional().describe('Absent on models stored before external data was listed'),
    weightElements: z
      .record(z.string(), z.number().int().min(0))
      .optional()
      .describe("Elements held by the graph's initializers per element type ('int8' for a QDQ-quantized model); absent on models stored before weights were counted"),
    bundle: z.looseObject({ modelFile: z.string(), files: z.array(z.string()), unpackedBytes: z.number().int() }).optional().describe('LLM bundles only'),
  })
  .meta({ id: 'ModelSignature' });
export type ModelSignature = z.infer<typeof modelSignatureSchema>;

/** A model's precision as the leaderboard and the condition grid file it: the element type holding most of
 *  its weights, so a QDQ INT8 model with float32 inputs is int8 and an LM fed int64 token ids is float32;
 *  the first input's element type for a model with no initializers or stored before weights were counted. */
export function modelPrecision(signature: unknown): string {
  const parsed = modelSignatureSchema.nullable().parse(signature);
  const weights = Object.entries(parsed?.weightElements ?? {}).filter(([, elements]) => elements > 0);
  if (weights.length > 0) return weights.reduce((most, entry) => (entry[1] > most[1] ? entry : most))[0];
  const firstInput = parsed?.inputs[0]?.elementType;
  return firstInput ? firstInput.toLowerCase() : 'unknown';
}

export const modelContentsSchema = z
  .array(z.strictObject({ path: z.string(), size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
  .meta({ id: 'ModelContents' })
  .describe("Every file of the model in canonical order (a single .onnx is one file named 'model.onnx')");
export type ModelContents = z.infer<typeof modelContentsSchema>;

export const MODEL_DIVISIONS = ['closed', 'open'] as const;
/** How a variant was derived from its reference: the compression techniques on-device AI relies on, and compilation. */
export const VARIANT_TECHNIQUES = ['quantization', 'pruning', 'distillation', 'compilation'] as const;

export const modelSchema = z
  .object({
    id: rowId,
    orgId: rowId,
    name: z.string(),
    version: z.string(),
    format: z.string().describe("'onnx', or the bundle format for LLM bundles"),
    artifactDigest: z.string().describe('SHA-256 of the uploaded file, hex'),
    contentDigest: z
      .string()
      .nullable()
      .describe('Canonical bundle digest (hex): SHA-256 of the file manifest, the same however the files were packed (docs/certification.md); null for bundles stored before it existed'),
    contents: modelContentsSchema.nullable(),
    signature: modelSignatureSchema,
    task: z.string().nullable(),
    visibility: visibilitySchema,
    variantOf: z.string().nullable().describe('Declared lineage: sha256 (hex) of the reference ONNX file this model was derived from; null when none was declared'),
    variantTechnique: z.enum(VARIANT_TECHNIQUES).nullable(),
    division: z
      .enum(MODEL_DIVISIONS)
      .describe("closed: a published suite's reference model, or a declared variant of one; open: any other model, marked open everywhere"),
    suiteWorkload: z.string().nullable().describe("'<suite>/<workload>' whose reference this model is or derives from; null when open"),
    createdAt: timestamp,
    sizeBytes: z.number().int(),
  })
  .meta({ id: 'Model' });
export type Model = z.infer<typeof modelSchema>;

export const modelPageSchema = pageOf(modelSchema, 'ModelPage');
export type ModelPage = z.infer<typeof modelPageSchema>;
