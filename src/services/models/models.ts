import { z } from 'zod';
import type { Readable } from 'node:stream';
import type { Prisma } from '@prisma/client';
import type { ServiceDeps } from '../deps.js';
import type { Db } from '../../lib/database.js';
import { AppError, badRequest, conflict, notFound, payloadTooLarge } from '../../lib/errors.js';
import { BlobTooLargeError, type StagedBlob } from '../../lib/artifact-store.js';
import { readOnnxSignature, type ModelSignature } from '../../lib/onnx/model-signature.js';
import { sniffArchiveKind, type ArchiveKind, type ExtractLimits } from '../../lib/bundles/archive-extract.js';
import { bundleScratchDir, MODEL_BUNDLE_FORMAT, openModelBundle } from '../../lib/bundles/model-bundle.js';
import { computeBundleManifest, hashFile, manifestOf, SINGLE_MODEL_FILE, type BundleManifest } from '../../lib/bundles/bundle-manifest.js';
import { causalLmLayout, type CausalLmLayout, loadTokenizer, readBundleConfig } from '../../harness/schemas.js';
import type { serverEnv } from '../../config/server.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { visibleWhere, type UserPrincipal } from '../auth/principal.js';
import { cursorPage, cursorPageArgs } from '../cursor-page.js';
import { MODEL_DIVISIONS, modelContentsSchema, modelSignatureSchema, VARIANT_TECHNIQUES, type Model } from '../../contracts/models.js';
import { divisionOf } from './model-lineage.js';

type ServerEnv = z.output<typeof serverEnv>;

export const ONNX_MEDIA_TYPE = 'application/vnd.onnx';
export const BUNDLE_MEDIA_TYPES: Record<ArchiveKind, string> = {
  zip: 'application/vnd.npubench.model-bundle+zip',
  tar: 'application/vnd.npubench.model-bundle+tar',
  'tar.gz': 'application/vnd.npubench.model-bundle+tar+gzip',
};

/** The upload caps on unpacking archives (bundles and datasets), from the server config. */
export function extractLimitsOf(env: Pick<ServerEnv, 'NPUBENCH_BUNDLE_MAX_ENTRIES' | 'NPUBENCH_BUNDLE_MAX_ENTRY_BYTES' | 'NPUBENCH_BUNDLE_MAX_UNPACKED_BYTES'>): ExtractLimits {
  return { maxEntries: env.NPUBENCH_BUNDLE_MAX_ENTRIES, maxEntryBytes: env.NPUBENCH_BUNDLE_MAX_ENTRY_BYTES, maxTotalBytes: env.NPUBENCH_BUNDLE_MAX_UNPACKED_BYTES };
}

/** What an upload is: a single .onnx, or an LLM bundle (checked by unpacking it into a scratch folder). */
interface InspectedModel {
  format: string;
  mediaType: string;
  /** The ONNX signature (a bundle's inner model), plus for bundles the files and the LM layout. */
  signature: ModelSignature & { bundle?: { modelFile: string; files: string[]; unpackedBytes: number; llm: CausalLmLayout } };
  /** Every file with its digest, and the packaging-independent digest over them. */
  manifest: BundleManifest;
}

async function inspectUpload(path: string, limits: ExtractLimits): Promise<InspectedModel> {
  const kind = await sniffArchiveKind(path);
  if (kind === null) {
    const signature = await readOnnxSignature(path);
    if (signature.usesExternalData) {
      throw new AppError('model.external_data_unsupported', 'The model references external data files; upload a single self-contained .onnx file, or a bundle (zip/tar) holding the model with its data files.');
    }
    return { format: 'onnx', mediaType: ONNX_MEDIA_TYPE, signature, manifest: manifestOf([{ path: SINGLE_MODEL_FILE, ...(await hashFile(path)) }]) };
  }
  const scratch = await bundleScratchDir('npubench-bundle');
  try {
    const bundle = await openModelBundle(path, scratch.dir, limits);
    const llm = causalLmLayout(bundle.signature);
    // Load what the harness will load, so a broken tokenizer or config is refused now, not mid-run.
    await loadTokenizer(bundle.root);
    await readBundleConfig(bundle.root);
    const manifest = await computeBundleManifest(bundle.root, bundle.files);
    return {
      manifest,
      format: MODEL_BUNDLE_FORMAT,
      mediaType: BUNDLE_MEDIA_TYPES[kind],
      signature: { ...bundle.signature, bundle: { modelFile: bundle.modelFile, files: bundle.files, unpackedBytes: bundle.unpackedBytes, llm } },
    };
  } finally {
    await scratch.dispose();
  }
}

export const modelFields = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, dot, dash and underscore (max 128)'),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/).default('1'),
  task: z.string().max(100).optional(),
  visibility: z.enum(['PRIVATE', 'PUBLIC']).default('PRIVATE'),
  variantOf: z.string().regex(/^[0-9a-f]{64}$/, "the reference ONNX file's sha256, 64 lowercase hex").optional(),
  variantTechnique: z.enum(VARIANT_TECHNIQUES).optional(),
});

/** One part of a multipart upload, as @fastify/multipart yields it. */
export type UploadPart =
  | { type: 'file'; fieldname: string; filename: string; file: Readable }
  | { type: 'field'; fieldname: string; value: unknown };

const modelSelect = {
  id: true,
  orgId: true,
  name: true,
  version: true,
  format: true,
  artifactDigest: true,
  contentDigest: true,
  contents: true,
  signature: true,
  task: true,
  visibility: true,
  variantOf: true,
  variantTechnique: true,
  division: true,
  suiteWorkload: true,
  createdAt: true,
  artifact: { select: { size: true } },
} satisfies Prisma.ModelSelect;

type ModelRow = Prisma.ModelGetPayload<{ select: typeof modelSelect }>;

/** The row as the Model contract says: the signature column parsed at read, dates as ISO strings. */
export function presentModel(m: ModelRow): Model {
  const { artifact, signature, contents, createdAt, variantTechnique, division, ...rest } = m;
  return {
    ...rest,
    variantTechnique: variantTechnique === null ? null : z.enum(VARIANT_TECHNIQUES).parse(variantTechnique),
    division: z.enum(MODEL_DIVISIONS).parse(division),
    signature: modelSignatureSchema.parse(signature),
    contents: contents === null ? null : modelContentsSchema.parse(contents),
    createdAt: createdAt.toISOString(),
    sizeBytes: Number(artifact.size),
  };
}

/**
 * Reads a multipart upload of form fields and exactly one file (field "file"), staging the file in the
 * artifact store while it streams (hashed, size-limited). The caller commits or discards the blob; a
 * failure here discards it.
 */
export async function stageSingleFileUpload(
  deps: ServiceDeps,
  parts: AsyncIterable<UploadPart>,
  missingFileMessage: string,
): Promise<{ fields: Record<string, unknown>; staged: StagedBlob; filename: string | undefined }> {
  const fields: Record<string, unknown> = {};
  let staged: StagedBlob | undefined;
  let filename: string | undefined;
  try {
    for await (const part of parts) {
      if (part.type === 'field') {
        fields[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== 'file' || staged) {
        part.file.resume();
        throw badRequest('upload.unexpected_file', 'Send exactly one file, in the form field "file".');
      }
      filename = part.filename;
      staged = await deps.store.stage(part.file, deps.config.env.NPUBENCH_MAX_UPLOAD_BYTES);
    }
  } catch (err) {
    await staged?.discard();
    throw err;
  }
  if (!staged) throw badRequest('upload.missing_file', missingFileMessage);
  return { fields, staged, filename };
}

/**
 * Streams the uploaded file to the artifact store (hashing as it goes), reads its ONNX signature
 * without executing it, and only then records artifact and model in one transaction, so a rejected
 * upload leaves nothing behind.
 */
export async function uploadModel(deps: ServiceDeps, principal: UserPrincipal, parts: AsyncIterable<UploadPart>) {
  let staged: StagedBlob | undefined;
  try {
    const upload = await stageSingleFileUpload(deps, parts, 'No model file: send it in the multipart form field "file".');
    staged = upload.staged;
    const { fields, filename } = upload;
    if (staged.size === 0) throw badRequest('model.empty', 'The uploaded file is empty.');

    const parsedFields = modelFields.safeParse({ ...fields, name: fields.name ?? defaultModelName(filename) });
    if (!parsedFields.success) {
      throw badRequest('validation.failed', 'Invalid model fields.', { errors: parsedFields.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    }
    if ((parsedFields.data.variantOf === undefined) !== (parsedFields.data.variantTechnique === undefined)) {
      const path = parsedFields.data.variantOf === undefined ? 'variantOf' : 'variantTechnique';
      throw badRequest('validation.failed', 'Invalid model fields.', { errors: [{ path, message: 'variantOf and variantTechnique go together: the reference and how this model was derived from it' }] });
    }
    const { format, mediaType, signature, manifest } = await inspectUpload(staged.path, extractLimitsOf(deps.config.env));
    const blob = await staged.commit();
    staged = undefined;
    try {
      const model = await deps.db.$transaction(async (tx) => {
        await tx.artifact.createMany({
          data: [{ digest: blob.digest, size: BigInt(blob.size), mediaType, storageKey: blob.storageKey }],
          skipDuplicates: true,
        });
        return tx.model.create({
          data: {
            orgId: principal.orgId,
            name: parsedFields.data.name,
            version: parsedFields.data.version,
            task: parsedFields.data.task ?? null,
            visibility: parsedFields.data.visibility,
            variantOf: parsedFields.data.variantOf ?? null,
            variantTechnique: parsedFields.data.variantTechnique ?? null,
            ...divisionOf({ files: manifest.files, variantOf: parsedFields.data.variantOf }),
            format,
            artifactDigest: blob.digest,
            contentDigest: manifest.digest,
            contents: manifest.files,
            signature: signature as unknown as Prisma.InputJsonObject,
          },
          select: modelSelect,
        });
      });
      return presentModel(model);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict('model.exists', `Model ${parsedFields.data.name} version ${parsedFields.data.version} already exists in your organization.`);
      }
      throw err;
    }
  } catch (err) {
    if (err instanceof BlobTooLargeError) {
      throw payloadTooLarge('upload.too_large', `The model is larger than the limit of ${err.limit} bytes.`, { limitBytes: err.limit });
    }
    throw err;
  } finally {
    await staged?.discard();
  }
}

function defaultModelName(filename: string | undefined): string | undefined {
  const base = filename?.replace(/^.*[\\/]/, '').replace(/\.(onnx|zip|tar|tar\.gz|tgz)$/i, '');
  return base ? base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128) || undefined : undefined;
}

export async function getModel(db: Db, principal: UserPrincipal, id: string) {
  const model = await db.model.findFirst({ where: { AND: [{ id }, visibleWhere(principal)] }, select: modelSelect });
  if (!model) throw notFound('model.not_found', 'No such model.');
  return presentModel(model);
}

export interface ModelFilter {
  limit: number;
  cursor?: string | undefined;
  name?: string | undefined;
  version?: string | undefined;
  /** Only the caller's organization's models. */
  mine?: boolean | undefined;
}

export async function listModels(db: Db, principal: UserPrincipal, filter: ModelFilter) {
  const rows = await db.model.findMany({
    where: {
      AND: [visibleWhere(principal), filter.mine ? { orgId: principal.orgId } : {}, filter.name ? { name: filter.name } : {}, filter.version ? { version: filter.version } : {}],
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    ...cursorPageArgs(filter),
    select: modelSelect,
  });
  return cursorPage(rows, filter, presentModel);
}
