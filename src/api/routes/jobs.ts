import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { cancelJob, getJob, jobSubmission, listJobs, submitJob } from '../../services/jobs/jobs.js';
import { idParams, pageQuery } from './pagination.js';

const submitHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
});

export const jobRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/jobs',
      { preHandler: guards.requireUser(), schema: { tags: ['jobs'], summary: 'Submit a benchmark job (honours Idempotency-Key)', body: jobSubmission, headers: submitHeaders } },
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
        schema: { tags: ['jobs'], querystring: pageQuery.extend({ status: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED']).optional() }) },
      },
      async (request) => listJobs(deps.db, userOf(request), request.query),
    );

    app.get('/jobs/:id', { preHandler: guards.requireUser(), schema: { tags: ['jobs'], params: idParams } }, async (request) =>
      getJob(deps.db, userOf(request), request.params.id),
    );

    app.post('/jobs/:id/cancel', { preHandler: guards.requireUser(), schema: { tags: ['jobs'], params: idParams } }, async (request) => {
      const { job } = await cancelJob(deps, userOf(request), request.params.id);
      return job;
    });
  };
