import type { Readable } from 'node:stream';
import type { ServiceDeps } from '../deps.js';
import { notFound } from '../../lib/errors.js';
import { BUNDLE_MEDIA_TYPES, ONNX_MEDIA_TYPE } from '../models/models.js';
import { DATASET_MEDIA_TYPE } from '../datasets/datasets.js';

/** The media types an agent download can have: a model, a model bundle, a dataset archive. */
export const AGENT_ARTIFACT_MEDIA_TYPES = [ONNX_MEDIA_TYPE, ...Object.values(BUNDLE_MEDIA_TYPES), DATASET_MEDIA_TYPE];

/** The agent follows the redirect at once, and the storage service checks expiry only when a download starts. */
const PRESIGNED_URL_TTL_SECONDS = 300;

export type AgentArtifactDownload = { kind: 'redirect'; url: string } | { kind: 'stream'; stream: Readable; size: number; mediaType: string };

/**
 * Agents download only models (and reference models and datasets) that a job on one of their devices needs, so an agent token cannot
 * be used to pull arbitrary vendors' models. A store that can presign hands the bytes out directly,
 * so large models do not pass through the API process.
 */
export async function downloadArtifactForAgent(deps: ServiceDeps, agentId: string, digest: string): Promise<AgentArtifactDownload> {
  // The job's model, its reference model, or its uploaded dataset (both named in the suite by the API).
  const needed = await deps.db.job.findFirst({
    where: {
      status: { in: ['QUEUED', 'RUNNING'] },
      device: { agents: { some: { agentId } } },
      OR: [
        { model: { artifactDigest: digest } },
        { suite: { path: ['accuracy', 'reference', 'modelDigest'], equals: digest } },
        { suite: { path: ['accuracy', 'mmlu', 'dataset'], equals: `sha256:${digest}` } },
        { suite: { path: ['accuracy', 'classification', 'dataset'], equals: `sha256:${digest}` } },
        { suite: { path: ['accuracy', 'textRecognition', 'dataset'], equals: `sha256:${digest}` } },
        { suite: { path: ['accuracy', 'textDetection', 'dataset'], equals: `sha256:${digest}` } },
        { suite: { path: ['accuracy', 'voiceActivity', 'dataset'], equals: `sha256:${digest}` } },
      ],
    },
    select: { id: true },
  });
  const artifact = needed ? await deps.db.artifact.findUnique({ where: { digest } }) : null;
  if (!artifact) throw notFound('artifact.not_found', 'No such artifact for this agent.');
  if (deps.store.presignedDownloadUrl) return { kind: 'redirect', url: await deps.store.presignedDownloadUrl(artifact.storageKey, PRESIGNED_URL_TTL_SECONDS) };
  return { kind: 'stream', stream: await deps.store.open(artifact.storageKey), size: Number(artifact.size), mediaType: artifact.mediaType };
}
