// The JSON Schemas published in docs/schemas, keyed by file name (kept in sync by a unit test).
import { z } from 'zod';
import { reportPredicateJsonSchema } from './report-statement.js';
import { accuracyRawSchema, labelledInputsFileSchema, llmLatencyRawSchema, textPagesDatasetSchema, vadFramesFileSchema } from '../../harness/schemas.js';

const jsonSchema = (schema: z.ZodType) => () => z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' });

export const GENERATED_SCHEMAS: Record<string, () => unknown> = {
  'benchmark-report-predicate.v1.schema.json': reportPredicateJsonSchema,
  /** The `accuracy` member of the raw samples: per-question MMLU log-probabilities, classification rows, output comparisons. */
  'accuracy-record.v1.schema.json': jsonSchema(accuracyRawSchema),
  /** The `llm` member of the raw samples: per-token times of each LLM latency run. */
  'llm-latency-record.v1.schema.json': jsonSchema(llmLatencyRawSchema),
  /** The upload format of labelled input sets for classification accuracy. */
  'labelled-inputs.v1.schema.json': jsonSchema(labelledInputsFileSchema),
  /** The upload format of text page sets for text detection accuracy. */
  'text-pages.v1.schema.json': jsonSchema(textPagesDatasetSchema),
  /** Voice-activity frame sets (16 kHz int16 audio, one label per 512-sample frame), e.g. npubench-edge@2's. */
  'vad-frames.v1.schema.json': jsonSchema(vadFramesFileSchema),
};
