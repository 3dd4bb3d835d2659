// `npubench prune`: applies the retention policy (src/services/maintenance/retention.ts) to the database
// at DATABASE_URL and the artifact store. Run it from cron or a scheduled job; --dry-run first.
import { loadConfig } from '../../config/index.js';
import { createDb } from '../../lib/database.js';
import { createArtifactStore } from '../../lib/create-artifact-store.js';
import { pruneArtifacts, type RetentionResult } from '../../services/maintenance/retention.js';

export async function pruneCommand(opts: { dryRun?: boolean; json?: boolean }): Promise<number> {
  const config = loadConfig();
  if (!config.env.DATABASE_URL) {
    console.error('npubench prune needs DATABASE_URL, the Postgres of the deployment to prune (it does not open the embedded Postgres of `npm start`).');
    return 2;
  }
  const db = createDb(config.env.DATABASE_URL, 2);
  try {
    const result = await pruneArtifacts(
      { db, store: createArtifactStore(config.artifactStore) },
      { rawSamplesDays: config.env.NPUBENCH_RETENTION_RAW_SAMPLES_DAYS, dryRun: opts.dryRun ?? false },
    );
    console.log(opts.json ? JSON.stringify(result, null, 2) : formatPruneResult(result, config.env.NPUBENCH_RETENTION_RAW_SAMPLES_DAYS));
    return 0;
  } finally {
    await db.$disconnect();
  }
}

function formatPruneResult(result: RetentionResult, rawSamplesDays: number): string {
  const verb = result.dryRun ? 'would delete' : 'deleted';
  const lines = [
    rawSamplesDays > 0
      ? `raw samples older than ${rawSamplesDays} days (uncertified reports): ${verb} ${result.rawSamples.length}`
      : 'raw samples: kept forever (NPUBENCH_RETENTION_RAW_SAMPLES_DAYS=0)',
    ...result.rawSamples.map((a) => `  ${a.digest}  ${a.size} B  report ${a.reportIds.join(', ')}`),
    `artifacts no model or report references: ${verb} ${result.unreferencedArtifacts.length}`,
    ...result.unreferencedArtifacts.map((a) => `  ${a.digest}  ${a.size} B`),
    `stored objects no artifact references: ${verb} ${result.orphanObjects.length}`,
    ...result.orphanObjects.map((o) => `  ${o.storageKey}  ${o.size} B`),
    `${result.dryRun ? 'would free' : 'freed'} ${result.bytesFreed} bytes${result.dryRun ? ' (dry run: nothing was deleted)' : ''}`,
  ];
  return lines.join('\n');
}
