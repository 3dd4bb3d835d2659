// Content-addressed artifact storage. Blobs are written to a temporary file while their sha256 is
// computed on the fly (one pass, constant memory), then renamed to their digest, so a half-written
// upload never becomes visible and identical uploads are stored once. s3-artifact-store.ts keeps the
// same semantics on an S3-compatible bucket.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
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
  /** Resolves once the blob is found, so a missing blob fails before a response has started. */
  open(storageKey: string): Promise<Readable>;
  exists(storageKey: string): Promise<boolean>;
  /** Present when clients can fetch a blob straight from the storage service, bypassing the API. */
  presignedDownloadUrl?(storageKey: string, ttlSeconds: number): Promise<string>;
}

export interface StoredObject {
  storageKey: string;
  size: number;
  modifiedAt: Date;
}

/** What retention needs besides reading and writing: see everything stored, delete what nothing needs. */
export interface PrunableArtifactStore extends ArtifactStore {
  /** Every object in the store, staging leftovers included. */
  list(): AsyncIterable<StoredObject>;
  /** Deletes the object; deleting one that is already gone is not an error. */
  remove(storageKey: string): Promise<void>;
}

export function storageKeyFor(digest: string): string {
  return `sha256/${digest.slice(0, 2)}/${digest}`;
}

/**
 * Streams `source` into a new file under `dir`, hashing and counting as it goes; the file is removed
 * if the stream fails or passes maxBytes.
 */
export async function stageToFile(source: Readable, dir: string, maxBytes: number): Promise<{ path: string; digest: string; size: number }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, randomUUID());
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
    await pipeline(source, meter, createWriteStream(path));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, digest: hash.digest('hex'), size };
}

export class FsArtifactStore implements PrunableArtifactStore {
  constructor(private readonly root: string) {}

  async stage(source: Readable, maxBytes: number): Promise<StagedBlob> {
    const { path, digest, size } = await stageToFile(source, join(this.root, 'tmp'), maxBytes);
    const storageKey = storageKeyFor(digest);
    const finalPath = join(this.root, storageKey);
    return {
      digest,
      size,
      storageKey,
      path,
      commit: async () => {
        await mkdir(join(finalPath, '..'), { recursive: true });
        await rename(path, finalPath);
        return { digest, size, storageKey };
      },
      discard: () => rm(path, { force: true }),
    };
  }

  async open(storageKey: string): Promise<Readable> {
    return (await open(join(this.root, storageKey))).createReadStream();
  }

  async exists(storageKey: string): Promise<boolean> {
    return stat(join(this.root, storageKey)).then(
      () => true,
      () => false,
    );
  }

  async *list(): AsyncIterable<StoredObject> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const info = await stat(path).catch(() => undefined); // removed since the listing
      if (!info) continue;
      yield { storageKey: relative(this.root, path).split(sep).join('/'), size: info.size, modifiedAt: info.mtime };
    }
  }

  async remove(storageKey: string): Promise<void> {
    await rm(join(this.root, storageKey), { force: true });
  }
}
