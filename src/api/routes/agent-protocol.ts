// Endpoints agents call (agent token only). See docs/architecture.md for the sequence. Requests and
// answers are declared in src/contracts/agent-protocol.ts, which the agent parses its answers with.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { agentOf, type AuthGuards } from '../plugins/authentication.js';
import { heartbeat, registerAgent } from '../../services/agents/agents.js';
import { claimJob, failJob, releaseJob, reportProgress } from '../../services/jobs/job-execution.js';
import { recordResult } from '../../services/reports/reports.js';
import { AGENT_ARTIFACT_MEDIA_TYPES, downloadArtifactForAgent } from '../../services/agents/artifacts.js';
import { guardedParts, multipartRoutes } from '../plugins/multipart-parts.js';
import { multipartFile } from '../plugins/route-contract.js';
import { unsupportedMediaType } from '../../lib/errors.js';
import { idParams } from './pagination.js';
import { sendBytes } from './raw-answer.js';
import {
  agentRegisteredSchema,
  agentRegistrationSchema,
  claimedJobSchema,
  failureRecordedSchema,
  jobFailureSchema,
  jobProgressSchema,
  jobReleasedSchema,
  progressAcceptedSchema,
  resultRecordedSchema,
} from '../../contracts/agent-protocol.js';
import { problemResponses } from '../../contracts/problem.js';

const binary = z.string().meta({ format: 'binary' });
const digestParams = z.strictObject({ digest: z.string().regex(/^[0-9a-f]{64}$/) });

/** The parts of a result upload, for the document (recordResult checks them: src/services/reports). */
const resultParts = z.object({
  summary: z.string().describe('JSON: the latency summary (the harness\'s LatencySummaryReport)'),
  environment: z.string().describe('JSON: the environment the run measured'),
  resourceUsage: z.string().optional().describe('JSON: peakRssBytes, modelSizeBytes, method'),
  profile: z.string().optional().describe('JSON: the operator profile'),
  raw: multipartFile('The raw samples (application/json)'),
});

export const agentProtocolRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    // On each route, not as a plugin hook: the route contract derives security and 401/429 from it.
    const preHandler = guards.requireAgent;
    const tags = ['agent protocol'];

    app.post(
      '/register',
      {
        preHandler,
        schema: {
          operationId: 'registerAgent',
          summary: 'Announce the agent and the devices it serves',
          tags,
          body: agentRegistrationSchema,
          response: { 200: agentRegisteredSchema },
        },
      },
      async (request) => registerAgent(deps.db, agentOf(request).agentId, request.body),
    );

    app.post(
      '/heartbeat',
      { preHandler, schema: { operationId: 'sendAgentHeartbeat', summary: 'Tell the service the agent is alive', tags, response: { 204: z.undefined() } } },
      async (request, reply) => {
        await heartbeat(deps.db, agentOf(request).agentId);
        return reply.status(204).send();
      },
    );

    app.post(
      '/jobs/:id/claim',
      {
        preHandler,
        schema: {
          operationId: 'claimJob',
          summary: 'Take a queued job and get what is needed to run it',
          tags,
          params: idParams,
          response: { 200: claimedJobSchema, ...problemResponses(403, 404, 409) },
        },
      },
      async (request) => claimJob(deps, agentOf(request).agentId, request.params.id),
    );

    app.post(
      '/jobs/:id/progress',
      {
        preHandler,
        schema: {
          operationId: 'reportJobProgress',
          summary: 'Report a running job\'s progress; the answer says whether to go on',
          tags,
          params: idParams,
          body: jobProgressSchema,
          response: { 200: progressAcceptedSchema, ...problemResponses(403, 404) },
        },
      },
      async (request) => reportProgress(deps, agentOf(request).agentId, request.params.id, request.body),
    );

    app.post(
      '/jobs/:id/fail',
      {
        preHandler,
        schema: {
          operationId: 'failJob',
          summary: 'Record that a running job failed, with a stable code',
          tags,
          params: idParams,
          body: jobFailureSchema,
          response: { 200: failureRecordedSchema, ...problemResponses(403, 404) },
        },
      },
      async (request) => failJob(deps, agentOf(request).agentId, request.params.id, request.body),
    );

    app.post(
      '/jobs/:id/release',
      {
        preHandler,
        schema: {
          operationId: 'releaseJob',
          summary: 'Hand a running job back to the queue (the agent is shutting down)',
          tags,
          params: idParams,
          response: { 200: jobReleasedSchema, ...problemResponses(403, 404) },
        },
      },
      async (request) => releaseJob(deps, agentOf(request).agentId, request.params.id),
    );

    await app.register(
      multipartRoutes(deps.config.env, (uploads) =>
        uploads.post(
          '/jobs/:id/result',
          {
            preHandler,
            schema: {
              operationId: 'submitJobResult',
              summary: 'Upload a finished job\'s summary, environment and raw samples',
              description: 'The summary must follow from the raw samples and be measured with the job\'s suite spec; the service recomputes it. 201 when the report was created, 200 when this upload repeats one already recorded.',
              tags,
              params: idParams,
              multipartBody: resultParts,
              response: { 200: resultRecordedSchema, 201: resultRecordedSchema, ...problemResponses(403, 404, 409, 422) },
            },
          },
          async (request, reply) => {
            if (!request.isMultipart()) throw unsupportedMediaType('upload.not_multipart', 'Send the result as multipart/form-data.');
            const { report, created } = await recordResult(deps, agentOf(request).agentId, request.params.id, guardedParts(request, deps.config.env.NPUBENCH_UPLOAD_IDLE_TIMEOUT_MS));
            return reply.status(created ? 201 : 200).send({ reportId: report.id });
          },
        ),
      ),
    );

    app.get(
      '/artifacts/:digest',
      {
        preHandler,
        schema: {
          operationId: 'downloadAgentArtifact',
          summary: 'Download a model, reference model or dataset a job of this agent needs',
          description: 'Answers 307 to a presigned storage URL when the artifact store can presign; otherwise streams the bytes.',
          tags,
          params: digestParams,
          response: {
            200: { description: 'The artifact\'s bytes', content: Object.fromEntries(AGENT_ARTIFACT_MEDIA_TYPES.map((type) => [type, { schema: binary }])) },
            307: z.undefined().describe('Fetch the artifact from the storage URL in Location (the Authorization header is not forwarded)'),
            ...problemResponses(404),
          },
        },
      },
      async (request, reply) => {
        const download = await downloadArtifactForAgent(deps, agentOf(request).agentId, request.params.digest);
        // 307: fetch follows it and, the storage host being another origin, drops the agent's Authorization header.
        if (download.kind === 'redirect') return reply.redirect(download.url, 307);
        return sendBytes(reply.header('content-length', download.size), download.mediaType, download.stream);
      },
    );
  };
