// The suite catalogs this service publishes. Each is parsed with its contract when first read and
// addressed by the sha256 of its RFC 8785 canonical JSON, so the digest a client computes over the
// served document (less `digest`) is the one served beside it.
import { createHash } from 'node:crypto';
import { canonicalBytes } from '../../lib/crypto/canonical-json.js';
import { notFound } from '../../lib/errors.js';
import { suiteCatalogSchema, type SuiteCatalog, type SuiteDocument, type SuiteList } from '../../contracts/suites.js';
import { NPUBENCH_EDGE_1 } from './npubench-edge-1.js';
import { NPUBENCH_EDGE_2 } from './npubench-edge-2.js';
import { NPUBENCH_EDGE_3 } from './npubench-edge-3.js';
import { NPUBENCH_VISION_ROBOTICS_1 } from './npubench-vision-robotics-1.js';
import { NPUBENCH_SMARTPHONE_SLM_1 } from './npubench-smartphone-slm-1.js';
import { NPUBENCH_HOME_SPEECH_1 } from './npubench-home-speech-1.js';

// Oldest first: a reference model pinned by several versions is labelled with the first (model-lineage.ts),
// and a workload several suites publish ranks under the first (rankingWorkloadOf).
const CATALOGS: readonly SuiteCatalog[] = [NPUBENCH_EDGE_1, NPUBENCH_EDGE_2, NPUBENCH_EDGE_3, NPUBENCH_VISION_ROBOTICS_1, NPUBENCH_SMARTPHONE_SLM_1, NPUBENCH_HOME_SPEECH_1];

/** sha256:<hex> of a catalog document's canonical JSON. */
export function suiteDigest(catalog: SuiteCatalog): string {
  return `sha256:${createHash('sha256').update(canonicalBytes(catalog)).digest('hex')}`;
}

let published: ReadonlyMap<string, SuiteDocument> | undefined;

function publishedSuites(): ReadonlyMap<string, SuiteDocument> {
  published ??= new Map(
    CATALOGS.map((catalog) => {
      const parsed = suiteCatalogSchema.parse(catalog);
      return [parsed.id, { ...parsed, digest: suiteDigest(parsed) }];
    }),
  );
  return published;
}

export function listSuites(): SuiteList {
  return {
    items: [...publishedSuites().values()].map((s) => ({
      id: s.id,
      name: s.name,
      version: s.version,
      title: s.title,
      description: s.description,
      digest: s.digest,
      workloads: s.workloads.map((w) => ({ id: w.id, title: w.title, task: w.task, scenarios: w.scenarios.map((sc) => sc.scenario) })),
    })),
  };
}

export function getSuite(id: string): SuiteDocument {
  const suite = publishedSuites().get(id);
  if (!suite) throw notFound('suite.not_found', `No suite ${id}; GET /v1/suites lists them.`);
  return suite;
}

let firstPublications: ReadonlyMap<string, string> | undefined;

/**
 * The ranking a result of `workloadId` run in `suiteId` joins: `<suite>/<workload>` of the oldest published
 * suite with a workload of that id whose whole document (reference, dataset, quality target, scenarios,
 * power) is byte-for-byte the same canonical JSON. A workload that a later version or a sector suite reuses
 * unchanged therefore ranks with its first publication; a workload changed in any rule ranks on its own.
 */
export function rankingWorkloadOf(suiteId: string, workloadId: string): string {
  firstPublications ??= (() => {
    const first = new Map<string, string>();
    for (const suite of publishedSuites().values()) {
      for (const w of suite.workloads) {
        const key = `${w.id}\n${canonicalBytes(w).toString('utf8')}`;
        if (!first.has(key)) first.set(key, `${suite.id}/${w.id}`);
      }
    }
    return first;
  })();
  const workload = getSuite(suiteId).workloads.find((w) => w.id === workloadId);
  if (!workload) throw notFound('suite.not_found', `No workload ${workloadId} in ${suiteId}.`);
  return firstPublications.get(`${workloadId}\n${canonicalBytes(workload).toString('utf8')}`)!;
}

/** Whether `sha256` (hex) is a dataset file a published suite pins: such a dataset is public whoever's
 *  organization holds the row, since the catalog publishes it. */
export function isPublishedSuiteDataset(sha256: string): boolean {
  return [...publishedSuites().values()].some((s) => s.workloads.some((w) => w.dataset.sha256 === sha256));
}
