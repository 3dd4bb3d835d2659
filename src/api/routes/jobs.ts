import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { cancelJob, getJob, jobSubmission, listJobs, submitJob } from '../../services/jobs/jobs.js';
import { JOB_STATUSES, jobPageSchema, jobSchema } from '../../contracts/jobs.js';
import { problemResponses } from '../../contracts/problem.js';
import { idParams, pageQuery } from './pagination.js';

const tags = ['jobs'];

const submitHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
});

export const jobRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/jobs',
      {
        preHandler: guards.requireUser(),
        schema: {
          operationId: 'submitJob',
          tags,
          summary: 'Submit a benchmark job',
          description: 'Honours Idempotency-Key: a retry with the same key and body answers 200 with the first job; the same key with another body is refused (422 idempotency.key_reused).',
          body: jobSubmission,
          headers: submitHeaders,
          response: {
            // 201: created and queued; 200: an idempotent replay (the job the key's first request created).
            201: jobSchema,
            200: jobSchema,
            ...problemResponses(404, 422),
          },
        },
      },
      async (request, reply) => {
        const { job, created } = await submitJob(deps, userOf(request), request.body, { idempotencyKey: request.headers['idempotency-key'], requestId: request.id });
        return reply
          .status(created ? 201 : 200)
          .header('location', `/v1/jobs/${job.id}`)
          .send(job);
      },
    );

    app.get(
      '/jobs',
      {
        preHandler: guards.requireUser(),
        schema: { operationId: 'listJobs', tags, summary: 'Jobs of your organization, newest first', querystring: pageQuery.extend({ status: z.enum(JOB_STATUSES).optional() }), response: { 200: jobPageSchema } },
      },
      async (request) => listJobs(deps.db, userOf(request), request.query),
    );

    app.get(
      '/jobs/:id',
      { preHandler: guards.requireUser(), schema: { operationId: 'getJob', tags, summary: 'One job, with its report id once it succeeded', params: idParams, response: { 200: jobSchema, ...problemResponses(404) } } },
      async (request) => getJob(deps.db, userOf(request), request.params.id),
    );

    app.post(
      '/jobs/:id/cancel',
      {
        preHandler: guards.requireUser(),
        schema: { operationId: 'cancelJob', tags, summary: 'Cancel a queued or running job', params: idParams, response: { 200: jobSchema, ...problemResponses(404, 409) } },
      },
      async (request) => {
        const { job } = await cancelJob(deps, userOf(request), request.params.id);
        return job;
      },
    );
  };
