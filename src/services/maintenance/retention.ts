// Data retention: deletes stored bytes that policy or a crash left without a purpose.
//   - raw samples of reports older than the retention period, unless a report using them is certified
//     (the artifact row stays, marked pruned: the signed report keeps naming the digest);
//   - artifact rows that no model, dataset or report references (e.g. of a deleted model), with their bytes;
//   - objects in the store that no artifact row references (a crash between writing the bytes and
//     recording them, or staging leftovers).
// Models themselves are vendor data and are never pruned here. Anything younger than a day is left
// alone, so an upload in flight (bytes written, row not yet committed) is never mistaken for an orphan.
import type { Prisma } from '@prisma/client';
import type { Db } from '../../lib/database.js';
import type { PrunableArtifactStore } from '../../lib/artifact-store.js';
import { RAW_SAMPLES_MEDIA_TYPE } from '../reports/reports.js';

const DAY_MS = 24 * 3_600_000;
export const ORPHAN_MIN_AGE_MS = DAY_MS;

export interface RetentionPolicy {
  /** Raw samples of uncertified reports older than this many days are deleted; 0 keeps them forever. */
  rawSamplesDays: number;
  /** Report what would be deleted without deleting it. */
  dryRun: boolean;
  now?: Date;
}

export interface PrunedArtifact {
  digest: string;
  storageKey: string;
  size: number;
}

export interface RetentionResult {
  dryRun: boolean;
  rawSamples: (PrunedArtifact & { reportIds: string[] })[];
  unreferencedArtifacts: PrunedArtifact[];
  orphanObjects: { storageKey: string; size: number }[];
  bytesFreed: number;
}

export async function pruneArtifacts(deps: { db: Db; store: PrunableArtifactStore }, policy: RetentionPolicy): Promise<RetentionResult> {
  const now = policy.now ?? new Date();
  const orphanCutoff = new Date(now.getTime() - ORPHAN_MIN_AGE_MS);

  const rawSamples = policy.rawSamplesDays > 0 ? await pruneExpiredRawSamples(deps, new Date(now.getTime() - policy.rawSamplesDays * DAY_MS), now, policy.dryRun) : [];
  const unreferencedArtifacts = await pruneUnreferencedArtifacts(deps, orphanCutoff, policy.dryRun);
  const orphanObjects = await findOrphanObjects(deps, orphanCutoff);
  if (!policy.dryRun) for (const orphan of orphanObjects) await deps.store.remove(orphan.storageKey);

  const bytesFreed = [...rawSamples, ...unreferencedArtifacts, ...orphanObjects].reduce((sum, a) => sum + a.size, 0);
  return { dryRun: policy.dryRun, rawSamples, unreferencedArtifacts, orphanObjects, bytesFreed };
}

async function pruneExpiredRawSamples(deps: { db: Db; store: PrunableArtifactStore }, cutoff: Date, now: Date, dryRun: boolean) {
  const expired: Prisma.ArtifactWhereInput = {
    prunedAt: null,
    mediaType: RAW_SAMPLES_MEDIA_TYPE,
    models: { none: {} },
    reports: { some: {}, every: { createdAt: { lt: cutoff }, certificates: { none: {} } } },
  };
  const candidates = await deps.db.artifact.findMany({
    where: expired,
    select: { digest: true, storageKey: true, size: true, reports: { select: { id: true } } },
    orderBy: { createdAt: 'asc' },
  });
  const pruned: RetentionResult['rawSamples'] = [];
  for (const artifact of candidates) {
    if (!dryRun) {
      // Marked first, under the same conditions, so a certificate issued since the query keeps its samples
      // and the API answers 410 rather than failing on missing bytes.
      const marked = await deps.db.artifact.updateMany({ where: { ...expired, digest: artifact.digest }, data: { prunedAt: now } });
      if (marked.count === 0) continue;
      await deps.store.remove(artifact.storageKey);
    }
    pruned.push({ digest: artifact.digest, storageKey: artifact.storageKey, size: Number(artifact.size), reportIds: artifact.reports.map((r) => r.id) });
  }
  return pruned;
}

async function pruneUnreferencedArtifacts(deps: { db: Db; store: PrunableArtifactStore }, cutoff: Date, dryRun: boolean): Promise<PrunedArtifact[]> {
  const unreferenced: Prisma.ArtifactWhereInput = { createdAt: { lt: cutoff }, models: { none: {} }, reports: { none: {} }, datasets: { none: {} } };
  const candidates = await deps.db.artifact.findMany({ where: unreferenced, select: { digest: true, storageKey: true, size: true, prunedAt: true } });
  const pruned: PrunedArtifact[] = [];
  for (const artifact of candidates) {
    if (!dryRun) {
      const deleted = await deps.db.artifact.deleteMany({ where: { ...unreferenced, digest: artifact.digest } });
      if (deleted.count === 0) continue;
      await deps.store.remove(artifact.storageKey);
    }
    // Bytes of an already pruned row were freed before.
    pruned.push({ digest: artifact.digest, storageKey: artifact.storageKey, size: artifact.prunedAt ? 0 : Number(artifact.size) });
  }
  return pruned;
}

async function findOrphanObjects(deps: { db: Db; store: PrunableArtifactStore }, cutoff: Date) {
  // A pruned row no longer owns its bytes: an object left behind by an interrupted prune is an orphan.
  const rows = await deps.db.artifact.findMany({ where: { prunedAt: null }, select: { storageKey: true } });
  const referenced = new Set(rows.map((r) => r.storageKey));
  const orphans: { storageKey: string; size: number }[] = [];
  for await (const object of deps.store.list()) {
    if (!referenced.has(object.storageKey) && object.modifiedAt < cutoff) orphans.push({ storageKey: object.storageKey, size: object.size });
  }
  return orphans;
}
