import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { optionalUserOf, type AuthGuards } from '../plugins/authentication.js';
import { conditionGridText, getReportJson, mlperfSummaryText, openRawSamples, type ReportCache } from '../../services/reports/reports.js';
import { powerTraceView } from '../../services/reports/power-trace-view.js';
import { powerTraceViewSchema, RAW_SAMPLES_MEDIA_TYPE, reportSchema } from '../../contracts/reports.js';
import { problemResponses } from '../../contracts/problem.js';
import { idParams } from './pagination.js';
import { sendBytes } from './raw-answer.js';

const tags = ['reports'];
const VISIBILITY_NOTE = 'Public reports answer anyone; private ones only their organization and the lab (404 to others).';

export const reportRoutes =
  (deps: AppDeps, guards: AuthGuards, cache?: ReportCache): FastifyPluginAsyncZod =>
  async (app) => {
    // The answer is sent as the bytes serialised once (and cached), not re-serialised per request
    // (sendBytes: reportSchema documents these bytes). Not async: a cached report is sent without a promise (a synchronous throw becomes its problem answer).
    app.get(
      '/reports/:id',
      { preHandler: guards.optionalUser, schema: { operationId: 'getReport', tags, summary: 'One report: the measured summary, environment and signed statement', description: VISIBILITY_NOTE, params: idParams, response: { 200: reportSchema, ...problemResponses(404) } } },
      (request, reply) => {
        const json = getReportJson(deps.db, optionalUserOf(request), request.params.id, cache);
        const send = (bytes: Buffer) => void sendBytes(reply, 'application/json; charset=utf-8', bytes);
        return json instanceof Promise ? json.then(send) : send(json);
      },
    );

    app.get(
      '/reports/:id/mlperf-summary',
      {
        preHandler: guards.optionalUser,
        schema: {
          operationId: 'getMlperfSummary',
          tags,
          summary: "The report as MLPerf LoadGen's mlperf_log_summary.txt",
          params: idParams,
          response: { 200: { description: 'mlperf_log_summary.txt', content: { 'text/plain': { schema: z.string() } } }, ...problemResponses(404, 422) },
        },
      },
      async (request, reply) => reply.type('text/plain; charset=utf-8').send(await mlperfSummaryText(deps.db, optionalUserOf(request), request.params.id)),
    );

    app.get(
      '/reports/:id/condition-grid.csv',
      {
        preHandler: guards.optionalUser,
        schema: {
          operationId: 'getConditionGrid',
          tags,
          summary: 'The report as a condition-grid CSV row (workload × precision × scenario)',
          description: 'RFC 4180 CSV with a header row, the same columns as a suite run\'s grid (GET /v1/suite-runs/{id}/condition-grid.csv): model digest, precision, scenario, latency at the percentile and p50/p90/p99, QPS, LM TTFT/TPOT, quality and fidelity, energy per inference with meter class and uncertainty, accelerator share; an empty cell is not measured (never 0). Columns: docs/report-format.md.',
          params: idParams,
          response: { 200: { description: 'condition-grid.csv', content: { 'text/csv': { schema: z.string() } } }, ...problemResponses(404, 422) },
        },
      },
      async (request, reply) =>
        reply
          .type('text/csv; charset=utf-8; header=present')
          .header('content-disposition', `attachment; filename="condition-grid-${request.params.id}.csv"`)
          .send(await conditionGridText(deps.db, optionalUserOf(request), request.params.id)),
    );

    app.get(
      '/reports/:id/power-trace',
      {
        preHandler: guards.optionalUser,
        schema: {
          operationId: 'getPowerTrace',
          tags,
          summary: 'The power trace downsampled for charts',
          description: '[tMs, minW, meanW, maxW] buckets per run, with the measured window. 404 report.no_power_trace when power was not measured; 410 once the raw samples were pruned.',
          params: idParams,
          querystring: z.strictObject({ points: z.coerce.number().int().min(10).max(5000).default(500) }),
          response: { 200: powerTraceViewSchema, ...problemResponses(404, 410) },
        },
      },
      async (request) => powerTraceView(deps, optionalUserOf(request), request.params.id, request.query.points),
    );

    app.get(
      '/reports/:id/raw-samples',
      {
        preHandler: guards.optionalUser,
        schema: {
          operationId: 'getRawSamples',
          tags,
          summary: 'Download the raw per-query samples the report was computed from',
          description: 'JSON (npubench.raw-samples/v2) with a Digest header; 410 once the retention policy pruned them.',
          params: idParams,
          response: { 200: { description: 'The raw samples', content: { [RAW_SAMPLES_MEDIA_TYPE]: { schema: z.string().meta({ format: 'binary' }) } } }, ...problemResponses(404, 410) },
        },
      },
      async (request, reply) => {
        const raw = await openRawSamples(deps, optionalUserOf(request), request.params.id);
        reply
          .header('content-length', raw.size)
          .header('digest', `sha-256=:${Buffer.from(raw.digest, 'hex').toString('base64')}:`)
          .header('content-disposition', `attachment; filename="raw-samples-${request.params.id}.json"`);
        return sendBytes(reply, RAW_SAMPLES_MEDIA_TYPE, raw.stream);
      },
    );
  };
