// What the API says about an accuracy dataset. Zod only: the dashboard and the CLI import this file.
import { z } from 'zod';
import { rowId, timestamp } from './common.js';

export const DATASET_FORMATS = ['mmlu-csv', 'labelled-inputs', 'text-lines', 'text-pages', 'vad-frames'] as const;
export const datasetFormatSchema = z.enum(DATASET_FORMATS);

const subjectCountSchema = z.object({ subject: z.string(), dev: z.number().int(), test: z.number().int() });

export const datasetSchema = z
  .object({
    id: rowId,
    orgId: rowId,
    name: z.string(),
    format: datasetFormatSchema,
    artifactDigest: z.string(),
    ref: z.string().describe('How a suite names the dataset: sha256:<artifactDigest>'),
    subjects: z.array(subjectCountSchema).describe('MMLU subjects with their question counts; empty for other formats'),
    questionCount: z.number().int().describe('What a score rests on: MMLU test questions, labelled rows, text lines, text boxes of a page set, or VAD frames'),
    createdAt: timestamp,
  })
  .meta({ id: 'Dataset' });
export type Dataset = z.infer<typeof datasetSchema>;

export const builtinDatasetSchema = z
  .object({ ref: z.string(), format: datasetFormatSchema, subjects: z.array(subjectCountSchema), questionCount: z.number().int() })
  .meta({ id: 'BuiltinDataset' });

export const datasetListSchema = z
  .object({ builtin: z.array(builtinDatasetSchema).describe('Datasets every job may name'), items: z.array(datasetSchema) })
  .meta({ id: 'DatasetList' });
export type DatasetList = z.infer<typeof datasetListSchema>;

/** The JSON column `datasets.subjects`, parsed at read. */
export const datasetSubjectsSchema = z.array(subjectCountSchema);
