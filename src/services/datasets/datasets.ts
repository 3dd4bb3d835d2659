// Accuracy datasets: MMLU-style CSVs (hendrycks layout) uploaded as one zip or tar, content-addressed
// like models. The archive is unpacked into a scratch folder with the bundle caps, every CSV is parsed
// with the harness's own reader (the one the agent uses), and only a dataset that parses completely is
// stored, so a job can never reference a half-valid dataset.
import { z } from 'zod';
import type { Prisma } from '@prisma/client';
import type { ServiceDeps } from '../deps.js';
import type { Db } from '../../lib/database.js';
import { badRequest, conflict, notFound, payloadTooLarge, unprocessable } from '../../lib/errors.js';
import { BlobTooLargeError, type StagedBlob } from '../../lib/artifact-store.js';
import { extractArchive, sniffArchiveKind } from '../../lib/bundles/archive-extract.js';
import { readFile } from 'node:fs/promises';
import { BUILTIN_DATASET_REF, builtinMmluDataset, labelledInputsFileIn, loadMmluDatasetFromDir, type MmluDataset, parseLabelledInputs, parseTextLines, parseTextPagesDataset, parseVadFrames, TEXT_LINES_FORMAT, TEXT_PAGES_FORMAT, VAD_FRAMES_FORMAT } from '../../harness/schemas.js';
import { bundleScratchDir } from '../../lib/bundles/model-bundle.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { seesAllOrgs, type UserPrincipal } from '../auth/principal.js';
import { DATASET_FORMATS, datasetFormatSchema, datasetSubjectsSchema, type Dataset } from '../../contracts/datasets.js';
import { isPublishedSuiteDataset } from '../suites/suite-catalog.js';
import { extractLimitsOf, stageSingleFileUpload, type UploadPart } from '../models/models.js';

export const [MMLU_DATASET_FORMAT, LABELLED_INPUTS_DATASET_FORMAT, TEXT_LINES_DATASET_FORMAT, TEXT_PAGES_DATASET_FORMAT, VAD_FRAMES_DATASET_FORMAT] = DATASET_FORMATS;
export const DATASET_MEDIA_TYPE = 'application/vnd.npubench.dataset+archive';

export const datasetFields = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, dot, dash and underscore (max 128)'),
});

const datasetSelect = { id: true, orgId: true, name: true, format: true, artifactDigest: true, subjects: true, questionCount: true, createdAt: true } satisfies Prisma.DatasetSelect;
type DatasetRow = Prisma.DatasetGetPayload<{ select: typeof datasetSelect }>;

/** The row as the Dataset contract says: the subjects column parsed at read, dates as ISO strings. */
function presentDataset(row: DatasetRow): Dataset {
  return { ...row, format: datasetFormatSchema.parse(row.format), subjects: datasetSubjectsSchema.parse(row.subjects), createdAt: row.createdAt.toISOString(), ref: `sha256:${row.artifactDigest}` };
}

function subjectCounts(dataset: MmluDataset) {
  return dataset.subjects.map((s) => ({ subject: s.name, dev: s.dev.length, test: s.test.length }));
}

/** The `format` a single JSON file declares, if it is a JSON object that declares one. */
function declaredFormat(text: string): unknown {
  try {
    const json: unknown = JSON.parse(text);
    return json !== null && typeof json === 'object' ? (json as { format?: unknown }).format : undefined;
  } catch {
    return undefined;
  }
}

/** A single-file dataset by the format it declares: a text-lines file, a text page set, a VAD frame set, or else a
 *  labelled input set (whose parser says what is wrong with it). */
function inspectJsonDataset(text: string): { format: string; subjects: Prisma.InputJsonValue; questionCount: number } {
  const format = declaredFormat(text);
  if (format === TEXT_LINES_FORMAT) return { format: TEXT_LINES_DATASET_FORMAT, subjects: [], questionCount: parseTextLines(text).lines.length };
  if (format === VAD_FRAMES_FORMAT) return { format: VAD_FRAMES_DATASET_FORMAT, subjects: [], questionCount: parseVadFrames(text).labels.length };
  if (format === TEXT_PAGES_FORMAT) return { format: TEXT_PAGES_DATASET_FORMAT, subjects: [], questionCount: parseTextPagesDataset(text).pages.reduce((sum, p) => sum + p.lines.length, 0) };
  const set = parseLabelledInputs(text);
  return { format: LABELLED_INPUTS_DATASET_FORMAT, subjects: [], questionCount: set.samples.reduce((sum, s) => sum + s.labels.length, 0) };
}

/** Reads the whole dataset the way the agent will: an MMLU archive of CSVs, a labelled input set
 *  (labelled-inputs.json alone or in an archive), or a text-lines file or text page set (one JSON
 *  file each). Throws the parser's 4xx problem on the first fault. */
async function inspectDataset(path: string, limits: ReturnType<typeof extractLimitsOf>): Promise<{ format: string; subjects: Prisma.InputJsonValue; questionCount: number }> {
  if ((await sniffArchiveKind(path)) === null) return inspectJsonDataset(await readFile(path, 'utf8'));
  const scratch = await bundleScratchDir('npubench-dataset');
  try {
    const { files } = await extractArchive(path, scratch.dir, limits);
    const labelled = labelledInputsFileIn(files);
    if (labelled) {
      const set = parseLabelledInputs(await readFile(`${scratch.dir}/${labelled}`, 'utf8'));
      return { format: LABELLED_INPUTS_DATASET_FORMAT, subjects: [], questionCount: set.samples.reduce((sum, s) => sum + s.labels.length, 0) };
    }
    const dataset = await loadMmluDatasetFromDir('upload', scratch.dir, files);
    return { format: MMLU_DATASET_FORMAT, subjects: subjectCounts(dataset), questionCount: dataset.subjects.reduce((sum, s) => sum + s.test.length, 0) };
  } finally {
    await scratch.dispose();
  }
}

export async function uploadDataset(deps: ServiceDeps, principal: UserPrincipal, parts: AsyncIterable<UploadPart>) {
  let staged: StagedBlob | undefined;
  try {
    const upload = await stageSingleFileUpload(deps, parts, 'No dataset archive: send a zip or tar of CSV files in the multipart form field "file".');
    staged = upload.staged;
    const { fields, filename } = upload;
    const parsedFields = datasetFields.safeParse({ name: fields.name ?? filename?.replace(/^.*[\\/]/, '').replace(/\.(zip|tar|tar\.gz|tgz)$/i, '') });
    if (!parsedFields.success) {
      throw badRequest('validation.failed', 'Invalid dataset fields.', { errors: parsedFields.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    }
    const inspected = await inspectDataset(staged.path, extractLimitsOf(deps.config.env));
    const blob = await staged.commit();
    staged = undefined;
    try {
      const row = await deps.db.$transaction(async (tx) => {
        await tx.artifact.createMany({ data: [{ digest: blob.digest, size: BigInt(blob.size), mediaType: DATASET_MEDIA_TYPE, storageKey: blob.storageKey }], skipDuplicates: true });
        return tx.dataset.create({
          data: {
            orgId: principal.orgId,
            name: parsedFields.data.name,
            format: inspected.format,
            artifactDigest: blob.digest,
            subjects: inspected.subjects,
            questionCount: inspected.questionCount,
          },
          select: datasetSelect,
        });
      });
      return presentDataset(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('dataset.exists', `A dataset named ${parsedFields.data.name} already exists in your organization.`);
      throw err;
    }
  } catch (err) {
    if (err instanceof BlobTooLargeError) throw payloadTooLarge('upload.too_large', `The dataset is larger than the limit of ${err.limit} bytes.`, { limitBytes: err.limit });
    throw err;
  } finally {
    await staged?.discard();
  }
}

/** A vendor sees its own datasets; the lab sees all. */
function visibleDatasets(principal: UserPrincipal): Prisma.DatasetWhereInput {
  return seesAllOrgs(principal) ? {} : { orgId: principal.orgId };
}

export function builtinDatasetView() {
  const dataset = builtinMmluDataset();
  return { ref: BUILTIN_DATASET_REF, format: MMLU_DATASET_FORMAT, subjects: subjectCounts(dataset), questionCount: dataset.subjects.reduce((sum, s) => sum + s.test.length, 0) };
}

export async function listDatasets(db: Db, principal: UserPrincipal) {
  const rows = await db.dataset.findMany({ where: visibleDatasets(principal), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 500, select: datasetSelect });
  return { builtin: [builtinDatasetView()], items: rows.map(presentDataset) };
}

export async function getDataset(db: Db, principal: UserPrincipal, id: string) {
  const row = await db.dataset.findFirst({ where: { AND: [{ id }, visibleDatasets(principal)] }, select: datasetSelect });
  if (!row) throw notFound('dataset.not_found', 'No such dataset.');
  return presentDataset(row);
}

/** A job may name the built-in dataset or one its organization uploaded (the lab: any), of the right kind. */
export async function checkDatasetRef(db: Db, principal: UserPrincipal, ref: string, format: string): Promise<void> {
  if (ref === BUILTIN_DATASET_REF && format === MMLU_DATASET_FORMAT) return;
  const digest = ref.slice('sha256:'.length);
  // A dataset a published suite pins is public (the suite run registers it under the lab).
  const where = isPublishedSuiteDataset(digest) ? { artifactDigest: digest } : { AND: [{ artifactDigest: digest }, visibleDatasets(principal)] };
  const row = await db.dataset.findFirst({ where, select: { id: true, format: true } });
  if (!row) throw notFound('dataset.not_found', `No dataset ${ref} among your organization's datasets.`);
  if (row.format !== format) throw unprocessable('dataset.wrong_format', `Dataset ${ref} is ${row.format}; this evaluation needs ${format}.`);
}
