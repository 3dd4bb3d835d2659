// The artifact store on an S3-compatible bucket (AWS S3, MinIO, ...), so several API processes can
// share artifacts and agents can download them straight from the bucket through presigned URLs.
//
// Uploads are staged in a local file, not in a temporary object: the services read the staged bytes
// (ONNX signature, raw-samples JSON) before they commit, and the digest (hence the object key) is only
// known once the last byte has been hashed. commit() then uploads the file once, straight to its
// content-addressed key; S3 makes an object visible only when its PUT completes, so a half-written
// upload is never seen, and a copy + delete of a temporary object would move every byte twice.
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { stageToFile, storageKeyFor, type PrunableArtifactStore, type StagedBlob, type StoredObject } from './artifact-store.js';

const STORAGE_KEY_PREFIX = 'sha256/';

export interface S3ArtifactStoreOptions {
  client: S3Client;
  bucket: string;
  /** Local folder for uploads being hashed; one file per upload in flight. */
  stagingDir: string;
}

export interface S3ClientSettings {
  region: string;
  endpoint: string | undefined;
  forcePathStyle: boolean;
}

/** Credentials come from the SDK's default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles. */
export function createS3Client(settings: S3ClientSettings): S3Client {
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint && { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle,
  });
}

export class S3ArtifactStore implements PrunableArtifactStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly stagingDir: string;

  constructor(options: S3ArtifactStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.stagingDir = options.stagingDir;
  }

  async stage(source: Readable, maxBytes: number): Promise<StagedBlob> {
    const { path, digest, size } = await stageToFile(source, this.stagingDir, maxBytes);
    const storageKey = storageKeyFor(digest);
    return {
      digest,
      size,
      storageKey,
      path,
      commit: async () => {
        // Same key means same bytes: an artifact already in the bucket is not uploaded again.
        if (!(await this.exists(storageKey))) {
          await this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: storageKey,
              Body: createReadStream(path),
              ContentLength: size,
              // S3 and MinIO check the bytes they received against the digest computed while staging.
              // Given a checksum, the SDK sends it as a header; left to itself it would stream the body
              // as aws-chunked with a CRC trailer, which some S3-compatible servers (s3rver) store verbatim.
              ChecksumSHA256: Buffer.from(digest, 'hex').toString('base64'),
            }),
          );
        }
        await rm(path, { force: true });
        return { digest, size, storageKey };
      },
      discard: () => rm(path, { force: true }),
    };
  }

  async open(storageKey: string): Promise<Readable> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: storageKey }));
    // In Node the SDK's body is an http.IncomingMessage, i.e. already a Readable.
    if (!(object.Body instanceof Readable)) throw new Error(`GetObject ${storageKey} returned no stream`);
    return object.Body;
  }

  async exists(storageKey: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: storageKey }));
      return true;
    } catch (err) {
      // Only "not found" means absent; denied access or an unreachable server must not read as "missing".
      // (AWS answers 404 rather than 403 for a missing key only with s3:ListBucket, which list() needs anyway.)
      if (err instanceof NotFound) return false;
      throw err;
    }
  }

  presignedDownloadUrl(storageKey: string, ttlSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: storageKey }), { expiresIn: ttlSeconds });
  }

  /** Only the store's own keys: whatever else shares the bucket is neither listed nor pruned. */
  async *list(): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: STORAGE_KEY_PREFIX, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { storageKey: object.Key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
      }
      token = page.NextContinuationToken;
    } while (token);
  }

  async remove(storageKey: string): Promise<void> {
    // S3 answers a delete of a missing key with success, as the interface asks.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: storageKey }));
  }
}
