import type { Readable } from 'node:stream';
import type { ServiceDeps } from '../deps.js';
import { notFound } from '../../lib/errors.js';

/**
 * Agents download only models that a job on one of their devices needs, so an agent token cannot
 * be used to pull arbitrary vendors' models.
 */
export async function openArtifactForAgent(deps: ServiceDeps, agentId: string, digest: string): Promise<{ stream: Readable; size: number; mediaType: string }> {
  const needed = await deps.db.job.findFirst({
    where: { model: { artifactDigest: digest }, status: { in: ['QUEUED', 'RUNNING'] }, device: { agents: { some: { agentId } } } },
    select: { id: true },
  });
  const artifact = needed ? await deps.db.artifact.findUnique({ where: { digest } }) : null;
  if (!artifact) throw notFound('artifact.not_found', 'No such artifact for this agent.');
  return { stream: deps.store.open(artifact.storageKey), size: Number(artifact.size), mediaType: artifact.mediaType };
}
