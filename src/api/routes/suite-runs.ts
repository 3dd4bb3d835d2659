// Suite runs: every workload × required scenario of a suite on one device, one signed suite report.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { createSuiteRun, getSuiteReport, getSuiteRun, suiteConditionGridText } from '../../services/suites/suite-runs.js';
import { suiteReportSchema, suiteRunRequestSchema, suiteRunSchema } from '../../contracts/suite-runs.js';
import { problemResponses } from '../../contracts/problem.js';
import { idParams } from './pagination.js';

const tags = ['suites'];

export const suiteRunRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/suite-runs',
      {
        preHandler: guards.requireUser(),
        schema: {
          operationId: 'createSuiteRun',
          tags,
          summary: 'Run every workload and required scenario of a suite on one device',
          description:
            'Queues one job per workload × required scenario (the first scenario of each workload with its accuracy pass on the suite dataset and its fidelity pass against the FP32 reference). The reference models and datasets are registered from the catalog\'s pinned files on first use. When every entry has finished, the service signs one suite report (GET /v1/suite-runs/{id}/report). `workloads` and `reducedPreset` make the run non-conforming, and the report says so.',
          body: suiteRunRequestSchema,
          response: { 201: suiteRunSchema, ...problemResponses(400, 404, 422, 503) },
        },
      },
      async (request, reply) => {
        const run = await createSuiteRun(deps, userOf(request), request.body, { requestId: request.id });
        return reply.status(201).header('location', `/v1/suite-runs/${run.id}`).send(run);
      },
    );

    app.get(
      '/suite-runs/:id',
      { preHandler: guards.requireUser(), schema: { operationId: 'getSuiteRun', tags, summary: 'A suite run with progress per workload and scenario', params: idParams, response: { 200: suiteRunSchema, ...problemResponses(404) } } },
      async (request) => getSuiteRun(deps, userOf(request), request.params.id),
    );

    app.get(
      '/suite-runs/:id/report',
      {
        preHandler: guards.requireUser(),
        schema: {
          operationId: 'getSuiteReport',
          tags,
          summary: 'The signed suite report (DSSE over an in-toto statement) and its predicate',
          description: 'Subjects: the suite catalog digest and every workload report\'s signed statement. 409 suite_run.not_finished while the run is running.',
          params: idParams,
          response: { 200: suiteReportSchema, ...problemResponses(404, 409) },
        },
      },
      async (request) => getSuiteReport(deps, userOf(request), request.params.id),
    );

    app.get(
      '/suite-runs/:id/condition-grid.csv',
      {
        preHandler: guards.requireUser(),
        schema: {
          operationId: 'getSuiteConditionGrid',
          tags,
          summary: 'The signed suite report as a condition-grid CSV (workload × precision × scenario, LM lengths)',
          description:
            'RFC 4180 CSV with a header row, one row per workload × scenario of the signed suite report (a failed entry keeps its row with its job status and error): suite id and digest, workload, division, model name, precision and sha256, device, result, latency at the percentile and p50/p90/p99, QPS, LM TTFT/TPOT and tokens/s, the workload\'s quality against the reference and its target, fidelity, energy per inference with meter class and uncertainty, accelerator share, report id. An empty cell is not measured (never 0). Columns: docs/report-format.md. 409 suite_run.not_finished while the run is running.',
          params: idParams,
          response: { 200: { description: 'condition-grid.csv', content: { 'text/csv': { schema: z.string() } } }, ...problemResponses(404, 409) },
        },
      },
      async (request, reply) =>
        reply
          .type('text/csv; charset=utf-8; header=present')
          .header('content-disposition', `attachment; filename="suite-condition-grid-${request.params.id}.csv"`)
          .send(await suiteConditionGridText(deps, userOf(request), request.params.id)),
    );
  };
