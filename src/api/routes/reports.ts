import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import type { AuthGuards } from '../plugins/authentication.js';
import { getReportJson, mlperfSummaryText, openRawSamples, RAW_SAMPLES_MEDIA_TYPE, type ReportCache } from '../../services/reports/reports.js';
import { idParams } from './pagination.js';
import { z } from 'zod';
import { powerTraceView } from '../../services/reports/power-trace-view.js';

const principalOf = (p: { kind: string } | null) => (p?.kind === 'user' ? (p as Parameters<typeof getReportJson>[1]) : null);

export const reportRoutes =
  (deps: AppDeps, guards: AuthGuards, cache?: ReportCache): FastifyPluginAsyncZod =>
  async (app) => {
    // The answer is sent as the bytes serialised once (and cached), not re-serialised per request.
    // Not async: a cached report is sent without a promise (a synchronous throw becomes its problem answer).
    app.get('/reports/:id', { preHandler: guards.optionalUser, schema: { tags: ['reports'], params: idParams } }, (request, reply) => {
      const json = getReportJson(deps.db, principalOf(request.principal), request.params.id, cache);
      const send = (bytes: Buffer) => reply.type('application/json; charset=utf-8').send(bytes);
      return json instanceof Promise ? json.then(send) : send(json);
    });

    app.get(
      '/reports/:id/mlperf-summary',
      { preHandler: guards.optionalUser, schema: { tags: ['reports'], summary: "The report in the shape of MLPerf LoadGen's mlperf_log_summary.txt", params: idParams } },
      async (request, reply) => reply.type('text/plain; charset=utf-8').send(await mlperfSummaryText(deps.db, principalOf(request.principal), request.params.id)),
    );

    app.get(
      '/reports/:id/power-trace',
      {
        preHandler: guards.optionalUser,
        schema: { tags: ['reports'], summary: 'The power trace downsampled for charts ([tMs, minW, meanW, maxW] buckets) with the measured window', params: idParams, querystring: z.strictObject({ points: z.coerce.number().int().min(10).max(5000).default(500) }) },
      },
      async (request) => powerTraceView(deps, principalOf(request.principal), request.params.id, request.query.points),
    );

    app.get(
      '/reports/:id/raw-samples',
      { preHandler: guards.optionalUser, schema: { tags: ['reports'], summary: 'Download the raw per-query samples the report was computed from', params: idParams } },
      async (request, reply) => {
        const raw = await openRawSamples(deps, principalOf(request.principal), request.params.id);
        return reply
          .type(RAW_SAMPLES_MEDIA_TYPE)
          .header('content-length', raw.size)
          .header('digest', `sha-256=:${Buffer.from(raw.digest, 'hex').toString('base64')}:`)
          .header('content-disposition', `attachment; filename="raw-samples-${request.params.id}.json"`)
          .send(raw.stream);
      },
    );
  };
