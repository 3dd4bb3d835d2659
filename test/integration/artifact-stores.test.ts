// One contract for both artifact stores: the filesystem one in a temp folder, the S3 one against a real
// s3rver on loopback. Then presigned downloads, and a whole job run by an API that keeps its
// artifacts in the bucket (the agent fetches the model through the 307 to a presigned URL).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import S3rver from 's3rver';
import { BlobTooLargeError, FsArtifactStore, storageKeyFor, type PrunableArtifactStore } from '../../src/lib/artifact-store.js';
import { createArtifactStore } from '../../src/lib/create-artifact-store.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { ApiHttpClient } from '../../src/lib/http-client.js';
import { createAgent } from '../../src/services/agents/agents.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';

const BUCKET = 'npubench-artifacts';
let s3Endpoint: string;
let s3rver: S3rver;

beforeAll(async () => {
  // s3rver checks signatures against these; the store reads them like any AWS credentials.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory: await createTempDir('npubench-s3rver'), silent: true, configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3rver.run();
  s3Endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await s3rver.close();
  vi.unstubAllEnvs();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** Several chunks, as an HTTP upload arrives. */
const chunked = (bytes: Buffer) => Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000, 70_000), bytes.subarray(70_000)]);
const readAll = async (stream: Readable) => Buffer.concat(await stream.toArray());
async function keysIn(store: PrunableArtifactStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list()) keys.push(object.storageKey);
  return keys;
}

interface Backend {
  name: string;
  create(): Promise<{ store: PrunableArtifactStore; stagingDir: string }>;
}

const backends: Backend[] = [
  {
    name: 'filesystem',
    async create() {
      const root = await createTempDir('npubench-fs-store');
      return { store: new FsArtifactStore(root), stagingDir: join(root, 'tmp') };
    },
  },
  {
    name: 's3',
    async create() {
      const dataDir = await createTempDir('npubench-s3-store');
      const config = loadConfig({ NPUBENCH_DATA_DIR: dataDir, NPUBENCH_ARTIFACT_STORE: 's3', NPUBENCH_S3_BUCKET: BUCKET, NPUBENCH_S3_ENDPOINT: s3Endpoint });
      if (config.artifactStore.kind !== 's3') throw new Error('expected the S3 settings');
      return { store: createArtifactStore(config.artifactStore), stagingDir: config.artifactStore.stagingDir };
    },
  },
];

describe.each(backends)('$name artifact store', (backend) => {
  let store: PrunableArtifactStore;
  let stagingDir: string;
  const stagingLeftovers = () => readdir(stagingDir).catch(() => []);

  beforeAll(async () => {
    ({ store, stagingDir } = await backend.create());
  });

  it('stages while hashing, commits under the digest and reads the same bytes back', async () => {
    const bytes = randomBytes(200_000);
    const staged = await store.stage(chunked(bytes), 1_000_000);
    expect(staged).toMatchObject({ digest: sha256(bytes), size: bytes.length, storageKey: `sha256/${sha256(bytes).slice(0, 2)}/${sha256(bytes)}` });
    expect(await readFile(staged.path)).toEqual(bytes);
    expect(await store.exists(staged.storageKey)).toBe(false);

    const blob = await staged.commit();
    expect(blob).toEqual({ digest: staged.digest, size: bytes.length, storageKey: staged.storageKey });
    expect(await store.exists(blob.storageKey)).toBe(true);
    expect(sha256(await readAll(await store.open(blob.storageKey)))).toBe(blob.digest);
    expect(await stagingLeftovers()).toEqual([]);
  });

  it('rejects an upload past the size limit and keeps nothing of it', async () => {
    const bytes = randomBytes(100_000);
    await expect(store.stage(chunked(bytes), 99_999)).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await stagingLeftovers()).toEqual([]);
    expect(await keysIn(store)).not.toContain(storageKeyFor(sha256(bytes)));
  });

  it('discards a staged upload without storing it', async () => {
    const staged = await store.stage(chunked(randomBytes(80_000)), 1_000_000);
    await staged.discard();
    expect(await stagingLeftovers()).toEqual([]);
    expect(await store.exists(staged.storageKey)).toBe(false);
  });

  it('stores identical content once', async () => {
    const bytes = randomBytes(90_000);
    const first = await (await store.stage(chunked(bytes), 1_000_000)).commit();
    const second = await (await store.stage(chunked(bytes), 1_000_000)).commit();
    expect(second).toEqual(first);
    expect((await keysIn(store)).filter((key) => key === first.storageKey)).toHaveLength(1);
    expect(await stagingLeftovers()).toEqual([]);
  });

  it('answers exists() and open() for a blob it does not hold', async () => {
    const missing = storageKeyFor(sha256(randomBytes(16)));
    expect(await store.exists(missing)).toBe(false);
    await expect(store.open(missing)).rejects.toThrow();
  });

  it('removes a blob, and removing it again is not an error', async () => {
    const blob = await (await store.stage(chunked(randomBytes(75_000)), 1_000_000)).commit();
    await store.remove(blob.storageKey);
    await store.remove(blob.storageKey);
    expect(await store.exists(blob.storageKey)).toBe(false);
  });
});

describe('presigned downloads', () => {
  it('the S3 store presigns URLs that fetch the bytes with no credentials at all', async () => {
    const store = createArtifactStore({ kind: 's3', bucket: BUCKET, region: 'us-east-1', endpoint: s3Endpoint, forcePathStyle: true, stagingDir: await createTempDir('npubench-s3-staging') });
    const bytes = randomBytes(120_000);
    const blob = await (await store.stage(chunked(bytes), 1_000_000)).commit();
    const url = await store.presignedDownloadUrl!(blob.storageKey, 60);
    expect(url.startsWith(`${s3Endpoint}/${BUCKET}/${blob.storageKey}?`)).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(blob.digest);
    // Like S3, s3rver refuses a presigned URL sent with an Authorization header too: agents must not forward theirs.
    expect((await fetch(url, { headers: { authorization: 'Bearer agent-token' } })).status).toBe(400);
  });

  it('presigned URLs expire after their TTL', async () => {
    // s3rver does not recompute SigV4 signatures (AWS and MinIO do), but it does enforce expiry.
    const store = createArtifactStore({ kind: 's3', bucket: BUCKET, region: 'us-east-1', endpoint: s3Endpoint, forcePathStyle: true, stagingDir: await createTempDir('npubench-s3-staging') });
    const blob = await (await store.stage(chunked(randomBytes(75_000)), 1_000_000)).commit();
    const url = await store.presignedDownloadUrl!(blob.storageKey, 1);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetch(url)).status).toBe(403);
  });

  it("the agent's client follows a 307 to another origin without sending its token there", async () => {
    const bytes = randomBytes(50_000);
    const storageSaw: (string | undefined)[] = [];
    const storage = await listening(
      createServer((req, res) => {
        storageSaw.push(req.headers.authorization);
        res.end(bytes);
      }),
    );
    const api = await listening(
      createServer((req, res) => {
        res.writeHead(req.headers.authorization === 'Bearer agent-secret' ? 307 : 401, { location: `http://localhost:${port(storage)}/blob` });
        res.end();
      }),
    );
    try {
      const client = new ApiHttpClient(`http://127.0.0.1:${port(api)}`, 'agent-secret');
      const dest = join(await createTempDir('npubench-download'), 'model.onnx');
      await client.download('/v1/agent/artifacts/x', dest, sha256(bytes));
      expect(await readFile(dest)).toEqual(bytes);
      expect(storageSaw).toEqual([undefined]);
      await expect(client.download('/v1/agent/artifacts/x', `${dest}.2`, '0'.repeat(64))).rejects.toMatchObject({ code: 'download.digest_mismatch' });
    } finally {
      api.close();
      storage.close();
    }
  });
});

async function listening(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const port = (server: Server) => (server.address() as { port: number }).port;

describe('artifact store configuration', () => {
  it('refuses the S3 store without a bucket, naming the variable', () => {
    try {
      loadConfig({ NPUBENCH_ARTIFACT_STORE: 's3' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues).toEqual([{ variable: 'NPUBENCH_S3_BUCKET', message: expect.stringContaining('NPUBENCH_ARTIFACT_STORE=s3') }]);
    }
  });

  it('refuses upload limits a single S3 PUT cannot carry', () => {
    expect(() => loadConfig({ NPUBENCH_ARTIFACT_STORE: 's3', NPUBENCH_S3_BUCKET: 'b', NPUBENCH_MAX_UPLOAD_BYTES: '6GiB' })).toThrow(/NPUBENCH_MAX_UPLOAD_BYTES/);
  });

  it('defaults to the filesystem store, and to path-style addressing only with an endpoint', () => {
    expect(loadConfig({ NPUBENCH_DATA_DIR: '/srv/npubench' }).artifactStore).toEqual({ kind: 'fs', root: '/srv/npubench/artifacts' });
    const s3 = { NPUBENCH_DATA_DIR: '/srv/npubench', NPUBENCH_ARTIFACT_STORE: 's3', NPUBENCH_S3_BUCKET: 'b' };
    expect(loadConfig(s3).artifactStore).toEqual({ kind: 's3', bucket: 'b', region: 'us-east-1', endpoint: undefined, forcePathStyle: false, stagingDir: '/srv/npubench/artifact-staging' });
    expect(loadConfig({ ...s3, NPUBENCH_S3_ENDPOINT: 'http://minio:9000' }).artifactStore).toMatchObject({ endpoint: 'http://minio:9000', forcePathStyle: true });
    expect(loadConfig({ ...s3, NPUBENCH_S3_ENDPOINT: 'http://minio:9000', NPUBENCH_S3_FORCE_PATH_STYLE: 'false' }).artifactStore).toMatchObject({ forcePathStyle: false });
  });
});

describe('an API whose artifacts live in S3', () => {
  let t: TestApi;
  let vendor: { key: string };
  let modelDigest: string;
  let modelId: string;

  beforeAll(async () => {
    t = await startTestApi({ listen: true, env: { NPUBENCH_ARTIFACT_STORE: 's3', NPUBENCH_S3_BUCKET: BUCKET, NPUBENCH_S3_ENDPOINT: s3Endpoint } });
    const admin = await t.createOrgWithKey('ADMIN');
    vendor = await t.createOrgWithKey('VENDOR');
    for (const slug of ['cpu-s3', 'other-device']) {
      await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug, name: slug, manufacturer: 'test' } });
    }
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp' }) });
    expect(up.statusCode, up.body).toBe(201);
    modelId = (up.json() as { id: string }).id;
    modelDigest = sha256(await readFile(fixtureModel('mlp-classifier.onnx')));
  });

  it('keeps an uploaded model in the bucket', async () => {
    expect(await t.deps.store.exists(storageKeyFor(modelDigest))).toBe(true);
  });

  it('redirects an entitled agent to a presigned URL, and only that agent', async () => {
    const entitled = await createAgent(t.deps.db, { name: 'probe-entitled', devices: ['cpu-s3'] });
    const outsider = await createAgent(t.deps.db, { name: 'probe-outsider', devices: ['other-device'] });
    // Queued and not yet claimable by anyone: no agent runs cpu-s3 yet.
    const job = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'cpu-s3', suite: { preset: 'smoke' } } });
    expect(job.statusCode, job.body).toBe(201);

    expectProblem(await t.app.inject({ method: 'GET', url: `/v1/agent/artifacts/${modelDigest}`, headers: bearer(outsider.token) }), 404, 'artifact.not_found');
    const res = await t.app.inject({ method: 'GET', url: `/v1/agent/artifacts/${modelDigest}`, headers: bearer(entitled.token) });
    expect(res.statusCode).toBe(307);
    const location = String(res.headers.location);
    expect(location.startsWith(`${s3Endpoint}/${BUCKET}/${storageKeyFor(modelDigest)}?`)).toBe(true);
    expect(sha256(new Uint8Array(await (await fetch(location)).arrayBuffer()))).toBe(modelDigest);

    const canceled = await t.app.inject({ method: 'POST', url: `/v1/jobs/${(job.json() as { id: string }).id}/cancel`, headers: bearer(vendor.key) });
    expect(canceled.json()).toMatchObject({ status: 'CANCELED' });
  });

  it('runs a job: the agent downloads the model from the bucket and its raw samples are stored there', async () => {
    await startTestAgent(t, ['cpu-s3']);
    const job = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'cpu-s3', suite: { preset: 'smoke', minQueryCount: 100 } } });
    const done = await waitForJob(t, (job.json() as { id: string }).id);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('SUCCEEDED');

    const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: done.id }, include: { rawSamples: true } });
    expect(await t.deps.store.exists(report.rawSamples.storageKey)).toBe(true);
    const raw = await t.app.inject({ method: 'GET', url: `/v1/reports/${report.id}/raw-samples`, headers: bearer(vendor.key) });
    expect(raw.statusCode).toBe(200);
    expect(sha256(raw.rawPayload)).toBe(report.rawSamplesDigest);
    expect(JSON.parse(await text(await t.deps.store.open(report.rawSamples.storageKey)))).toEqual(raw.json());
  });
});
