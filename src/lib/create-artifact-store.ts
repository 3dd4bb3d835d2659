import type { ArtifactStoreSettings } from '../config/storage.js';
import { FsArtifactStore, type PrunableArtifactStore } from './artifact-store.js';
import { createS3Client, S3ArtifactStore } from './s3-artifact-store.js';

export function createArtifactStore(settings: ArtifactStoreSettings): PrunableArtifactStore {
  if (settings.kind === 'fs') return new FsArtifactStore(settings.root);
  return new S3ArtifactStore({ client: createS3Client(settings), bucket: settings.bucket, stagingDir: settings.stagingDir });
}
