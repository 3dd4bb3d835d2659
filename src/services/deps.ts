// Everything a service needs, passed as one object so tests can hand in their own database,
// queue prefix or artifact directory (no module-level singletons).
import type { Db } from '../lib/database.js';
import type { ArtifactStore } from '../lib/artifact-store.js';
import type { Logger } from '../lib/logger.js';
import type { BenchQueues } from '../queue/bench-queues.js';
import type { Config } from '../config/index.js';
import type { SigningKey } from '../lib/crypto/signing-keys.js';
import type { NoteSigner } from '../lib/crypto/signed-note.js';
import type { ApiMetrics } from '../lib/metrics.js';
import type { BackgroundTasks } from '../lib/background-tasks.js';

export interface ServiceDeps {
  db: Db;
  store: ArtifactStore;
  queues: BenchQueues;
  config: Config;
  log: Logger;
  /** The API's active signing key (reports, certificates). */
  signer: SigningKey;
  /** The transparency log's checkpoint key, named by the log origin; never the signing key. */
  logSigner: NoteSigner;
  /** The API app's metrics and background tasks; build() sets both, so work done with these deps
   *  outside a request (the reconciler) counts where /metrics reads. Absent outside an API process. */
  metrics?: Pick<ApiMetrics, 'observeJobFinished' | 'observeQueueWait'> | undefined;
  background?: BackgroundTasks | undefined;
}
