// Content-addressed artifact storage. Blobs are written to a temporary file while their sha256 is
// computed on the fly (one pass, constant memory), then renamed to their digest, so a half-written
// upload never becomes visible and identical uploads are stored once. The interface leaves room for an
// S3-compatible backend.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredBlob {
  digest: string;
  size: number;
  storageKey: string;
}

export interface StagedBlob extends StoredBlob {
  /** Path of the staged bytes, readable until commit() or discard(). */
  path: string;
  /** Makes the blob visible under its digest. */
  commit(): Promise<StoredBlob>;
  discard(): Promise<void>;
}

export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`blob exceeds ${limit} bytes`);
  }
}

export interface ArtifactStore {
  /** Streams `source` to a staging area, hashing as it goes; rejects with BlobTooLargeError past maxBytes. */
  stage(source: Readable, maxBytes: number): Promise<StagedBlob>;
  open(storageKey: string): Readable;
  exists(storageKey: string): Promise<boolean>;
}

export function storageKeyFor(digest: string): string {
  return `sha256/${digest.slice(0, 2)}/${digest}`;
}

export class FsArtifactStore implements ArtifactStore {
  constructor(private readonly root: string) {}

  async stage(source: Readable, maxBytes: number): Promise<StagedBlob> {
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = join(tmpDir, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new BlobTooLargeError(maxBytes));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmpPath));
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw err;
    }
    const digest = hash.digest('hex');
    const storageKey = storageKeyFor(digest);
    const finalPath = join(this.root, storageKey);
    return {
      digest,
      size,
      storageKey,
      path: tmpPath,
      commit: async () => {
        await mkdir(join(finalPath, '..'), { recursive: true });
        await rename(tmpPath, finalPath);
        return { digest, size, storageKey };
      },
      discard: () => rm(tmpPath, { force: true }),
    };
  }

  open(storageKey: string): Readable {
    return createReadStream(join(this.root, storageKey));
  }

  async exists(storageKey: string): Promise<boolean> {
    return stat(join(this.root, storageKey)).then(
      () => true,
      () => false,
    );
  }
}
