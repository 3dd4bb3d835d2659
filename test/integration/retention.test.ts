// Retention against a real Postgres and the fs artifact store: what `npubench prune` deletes, what it
// keeps, and that a dry run touches nothing.
import { Readable } from 'node:stream';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import type { PrunableArtifactStore } from '../../src/lib/artifact-store.js';
import { pruneArtifacts } from '../../src/services/maintenance/retention.js';
import { RAW_SAMPLES_MEDIA_TYPE } from '../../src/services/reports/reports.js';

const DAY_MS = 24 * 3_600_000;
const NOW = new Date();
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

let t: TestApi;
let store: PrunableArtifactStore;
let admin: { key: string };
let seed: Awaited<ReturnType<typeof seedDeployment>>;

/** Writes bytes through the store and backdates the file, as if it had been stored `days` ago. */
async function storeBlob(content: string, days: number) {
  const staged = await store.stage(Readable.from([Buffer.from(content)]), 1 << 20);
  const blob = await staged.commit();
  await utimes(join(t.deps.config.artifactDir, blob.storageKey), daysAgo(days), daysAgo(days));
  return blob;
}

async function storeArtifact(content: string, days: number, mediaType = RAW_SAMPLES_MEDIA_TYPE) {
  const blob = await storeBlob(content, days);
  await t.deps.db.artifact.create({ data: { digest: blob.digest, size: BigInt(blob.size), mediaType, storageKey: blob.storageKey, createdAt: daysAgo(days) } });
  return blob;
}

async function seedDeployment() {
  const db = t.deps.db;
  const { orgId } = await t.createOrgWithKey('VENDOR', 'retention-vendor');
  const device = await db.device.create({ data: { slug: 'retention-cpu', name: 'CPU', manufacturer: 'test', backendKind: 'onnxruntime', executionProvider: 'cpu' } });
  const modelBlob = await storeArtifact('model bytes', 400, 'application/onnx');
  const model = await db.model.create({ data: { orgId, name: 'm', version: '1', format: 'onnx', artifactDigest: modelBlob.digest, signature: {}, createdAt: daysAgo(400) } });

  const report = async (label: string, days: number) => {
    const raw = await storeArtifact(`raw samples of ${label}`, days);
    const job = await db.job.create({ data: { orgId, modelId: model.id, deviceId: device.id, suite: {}, status: 'SUCCEEDED', createdAt: daysAgo(days) } });
    const row = await db.report.create({
      data: { jobId: job.id, orgId, visibility: 'PUBLIC', summary: {}, environment: {}, rawSamplesDigest: raw.digest, createdAt: daysAgo(days) },
    });
    return { id: row.id, raw };
  };
  const expired = await report('an old uncertified report', 100);
  const certified = await report('an old certified report', 100);
  const recent = await report('a recent report', 5);
  const profile = await db.certificationProfile.findFirstOrThrow();
  await db.certificate.create({
    data: {
      reportId: certified.id, profileId: profile.id, orgId, deviceId: device.id, evaluation: [], keyFigures: {}, envelope: {},
      issuedAt: daysAgo(99), expiresAt: daysAgo(-265), logIndex: 0,
    },
  });

  return {
    modelBlob,
    expired,
    certified,
    recent,
    unreferencedOld: await storeArtifact('bytes of a deleted model', 3, 'application/onnx'),
    unreferencedNew: await storeArtifact('an upload being recorded right now', 0, 'application/onnx'),
    orphanOld: await storeBlob('bytes a crash left without a row', 2),
    orphanNew: await storeBlob('bytes whose row is about to be committed', 0),
  };
}

beforeAll(async () => {
  t = await startTestApi();
  store = t.deps.store as PrunableArtifactStore;
  admin = await t.createOrgWithKey('ADMIN');
  seed = await seedDeployment();
});

const storedKeys = async () => {
  const keys: string[] = [];
  for await (const object of store.list()) keys.push(object.storageKey);
  return keys.sort();
};

describe('npubench prune', () => {
  it('lists in a dry run what it would delete, and deletes nothing', async () => {
    const before = await storedKeys();
    const result = await pruneArtifacts({ db: t.deps.db, store }, { rawSamplesDays: 30, dryRun: true, now: NOW });
    expect(result.dryRun).toBe(true);
    expect(result.rawSamples).toEqual([{ digest: seed.expired.raw.digest, storageKey: seed.expired.raw.storageKey, size: seed.expired.raw.size, reportIds: [seed.expired.id] }]);
    expect(result.unreferencedArtifacts.map((a) => a.digest)).toEqual([seed.unreferencedOld.digest]);
    expect(result.orphanObjects.map((o) => o.storageKey)).toEqual([seed.orphanOld.storageKey]);
    expect(result.bytesFreed).toBe(seed.expired.raw.size + seed.unreferencedOld.size + seed.orphanOld.size);
    expect(await storedKeys()).toEqual(before);
    expect(await t.deps.db.artifact.count({ where: { prunedAt: { not: null } } })).toBe(0);
  });

  it('deletes expired raw samples of uncertified reports, unreferenced artifacts and old orphans', async () => {
    const result = await pruneArtifacts({ db: t.deps.db, store }, { rawSamplesDays: 30, dryRun: false, now: NOW });
    expect(result.rawSamples.map((a) => a.digest)).toEqual([seed.expired.raw.digest]);
    expect(result.unreferencedArtifacts.map((a) => a.digest)).toEqual([seed.unreferencedOld.digest]);
    expect(result.orphanObjects.map((o) => o.storageKey)).toEqual([seed.orphanOld.storageKey]);

    const kept = [seed.modelBlob, seed.certified.raw, seed.recent.raw, seed.unreferencedNew, seed.orphanNew].map((b) => b.storageKey);
    expect(await storedKeys()).toEqual(kept.sort());
    // The report keeps the digest it signed; its artifact row says the bytes are gone.
    const expiredRow = await t.deps.db.artifact.findUniqueOrThrow({ where: { digest: seed.expired.raw.digest } });
    expect(expiredRow.prunedAt).toEqual(NOW);
    expect(await t.deps.db.artifact.findUnique({ where: { digest: seed.unreferencedOld.digest } })).toBeNull();
  });

  it('answers 410 for pruned raw samples and still serves the others', async () => {
    const pruned = await t.app.inject({ method: 'GET', url: `/v1/reports/${seed.expired.id}/raw-samples`, headers: bearer(admin.key) });
    expectProblem(pruned, 410, 'report.raw_samples_pruned');
    const certified = await t.app.inject({ method: 'GET', url: `/v1/reports/${seed.certified.id}/raw-samples`, headers: bearer(admin.key) });
    expect(certified.statusCode).toBe(200);
    expect(certified.body).toBe('raw samples of an old certified report');
  });

  it('finds nothing more on a second run', async () => {
    const result = await pruneArtifacts({ db: t.deps.db, store }, { rawSamplesDays: 30, dryRun: false, now: NOW });
    expect(result).toEqual({ dryRun: false, rawSamples: [], unreferencedArtifacts: [], orphanObjects: [], bytesFreed: 0 });
  });

  it('keeps raw samples forever when the retention period is 0', async () => {
    const result = await pruneArtifacts({ db: t.deps.db, store }, { rawSamplesDays: 0, dryRun: true, now: new Date(NOW.getTime() + 10_000 * DAY_MS) });
    expect(result.rawSamples).toEqual([]);
  });
});
