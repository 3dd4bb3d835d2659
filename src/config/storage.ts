import { z } from 'zod';
import { join } from 'node:path';
import { envOptionalBoolean } from './env-schema.js';

export const storageEnv = z.object({
  NPUBENCH_DATA_DIR: z.string().min(1).default('./data').describe('Root of the embedded defaults: the embedded Postgres cluster, the signing key and the filesystem artifact store live below it.'),
  NPUBENCH_ARTIFACT_DIR: z.string().min(1).optional().describe('Filesystem artifact store (models, raw samples). Defaults to `<data dir>/artifacts`.'),
  NPUBENCH_ARTIFACT_STORE: z
    .enum(['fs', 's3'])
    .default('fs')
    .describe('Where artifacts live: `fs` (NPUBENCH_ARTIFACT_DIR) or `s3`, an S3-compatible bucket that several API processes can share; agents then download models from it through presigned URLs. Credentials: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (or any AWS SDK credential source).'),
  NPUBENCH_S3_BUCKET: z.string().min(1).optional().describe('The bucket that holds the artifacts; required with `NPUBENCH_ARTIFACT_STORE=s3`.'),
  NPUBENCH_S3_ENDPOINT: z.url().optional().describe('Endpoint of MinIO or another S3-compatible server; unset means AWS S3. Agents must reach it under this same URL (presigned URLs are signed for its host).'),
  NPUBENCH_S3_REGION: z.string().min(1).default('us-east-1').describe('Region of the bucket.'),
  NPUBENCH_S3_FORCE_PATH_STYLE: envOptionalBoolean().describe(
    'Address the bucket as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>`. Defaults to true when NPUBENCH_S3_ENDPOINT is set: S3-compatible servers rarely have per-bucket DNS names.',
  ),
});

/** A single S3 PutObject carries at most 5 GiB, and the S3 store uploads each artifact in one request. */
export const S3_MAX_OBJECT_BYTES = 5 * 1024 ** 3;

type StorageEnv = z.infer<typeof storageEnv>;

/** Cross-variable rules of the storage settings, reported under the variable to fix. */
export function checkStorageEnv(env: StorageEnv & { NPUBENCH_MAX_UPLOAD_BYTES: number; NPUBENCH_MAX_RESULT_BYTES: number }, ctx: z.RefinementCtx): void {
  if (env.NPUBENCH_ARTIFACT_STORE !== 's3') return;
  if (!env.NPUBENCH_S3_BUCKET) {
    ctx.addIssue({ code: 'custom', path: ['NPUBENCH_S3_BUCKET'], message: 'required when NPUBENCH_ARTIFACT_STORE=s3 (the bucket that holds the artifacts)' });
  }
  for (const variable of ['NPUBENCH_MAX_UPLOAD_BYTES', 'NPUBENCH_MAX_RESULT_BYTES'] as const) {
    if (env[variable] > S3_MAX_OBJECT_BYTES) {
      ctx.addIssue({ code: 'custom', path: [variable], message: `must be at most ${S3_MAX_OBJECT_BYTES} bytes (5 GiB) with NPUBENCH_ARTIFACT_STORE=s3` });
    }
  }
}

export type ArtifactStoreSettings =
  | { kind: 'fs'; root: string }
  | {
      kind: 's3';
      bucket: string;
      region: string;
      endpoint: string | undefined;
      forcePathStyle: boolean;
      /** Uploads are hashed (and read by the services) on local disk before they go to the bucket. */
      stagingDir: string;
    };

export function artifactStoreSettings(env: StorageEnv, dirs: { dataDir: string; artifactDir: string }): ArtifactStoreSettings {
  if (env.NPUBENCH_ARTIFACT_STORE === 'fs') return { kind: 'fs', root: dirs.artifactDir };
  // checkStorageEnv has already reported this with the variable's name; this only narrows the type.
  if (!env.NPUBENCH_S3_BUCKET) throw new Error('NPUBENCH_S3_BUCKET is required when NPUBENCH_ARTIFACT_STORE=s3');
  return {
    kind: 's3',
    bucket: env.NPUBENCH_S3_BUCKET,
    region: env.NPUBENCH_S3_REGION,
    endpoint: env.NPUBENCH_S3_ENDPOINT,
    forcePathStyle: env.NPUBENCH_S3_FORCE_PATH_STYLE ?? env.NPUBENCH_S3_ENDPOINT !== undefined,
    stagingDir: join(dirs.dataDir, 'artifact-staging'),
  };
}
