// Endpoints agents call (agent token only). See docs/architecture.md for the sequence.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { agentOf, type AuthGuards } from '../plugins/authentication.js';
import { agentRegistration, heartbeat, registerAgent } from '../../services/agents/agents.js';
import { claimJob, failJob, failureInput, progressInput, releaseJob, reportProgress } from '../../services/jobs/job-execution.js';
import { recordResult } from '../../services/reports/reports.js';
import { downloadArtifactForAgent } from '../../services/agents/artifacts.js';
import { guardedParts, multipartRoutes } from '../plugins/multipart-parts.js';
import { unsupportedMediaType } from '../../lib/errors.js';
import { idParams } from './pagination.js';

const digestParams = z.strictObject({ digest: z.string().regex(/^[0-9a-f]{64}$/) });

export const agentProtocolRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    app.addHook('preHandler', guards.requireAgent);
    const tags = ['agent protocol'];

    app.post('/register', { schema: { tags, body: agentRegistration } }, async (request) => registerAgent(deps.db, agentOf(request).agentId, request.body));

    app.post('/heartbeat', { schema: { tags } }, async (request, reply) => {
      await heartbeat(deps.db, agentOf(request).agentId);
      return reply.status(204).send();
    });

    app.post('/jobs/:id/claim', { schema: { tags, params: idParams } }, async (request) => claimJob(deps, agentOf(request).agentId, request.params.id));

    app.post('/jobs/:id/progress', { schema: { tags, params: idParams, body: progressInput } }, async (request) =>
      reportProgress(deps, agentOf(request).agentId, request.params.id, request.body),
    );

    app.post('/jobs/:id/fail', { schema: { tags, params: idParams, body: failureInput } }, async (request) =>
      failJob(deps, agentOf(request).agentId, request.params.id, request.body),
    );

    app.post(
      '/jobs/:id/release',
      { schema: { tags, summary: 'Hand a running job back to the queue (the agent is shutting down)', params: idParams } },
      async (request) => releaseJob(deps, agentOf(request).agentId, request.params.id),
    );

    await app.register(
      multipartRoutes(deps.config.env, (uploads) =>
        uploads.post(
          '/jobs/:id/result',
          { schema: { tags, summary: 'multipart: JSON fields summary, environment; file raw (raw samples)', params: idParams, consumes: ['multipart/form-data'] } },
          async (request, reply) => {
            if (!request.isMultipart()) throw unsupportedMediaType('upload.not_multipart', 'Send the result as multipart/form-data.');
            const { report, created } = await recordResult(deps, agentOf(request).agentId, request.params.id, guardedParts(request, deps.config.env.NPUBENCH_UPLOAD_IDLE_TIMEOUT_MS));
            return reply.status(created ? 201 : 200).send({ reportId: report.id });
          },
        ),
      ),
    );

    app.get('/artifacts/:digest', { schema: { tags, params: digestParams } }, async (request, reply) => {
      const download = await downloadArtifactForAgent(deps, agentOf(request).agentId, request.params.digest);
      // 307: fetch follows it and, the storage host being another origin, drops the agent's Authorization header.
      if (download.kind === 'redirect') return reply.redirect(download.url, 307);
      return reply.type(download.mediaType).header('content-length', download.size).send(download.stream);
    });
  };
