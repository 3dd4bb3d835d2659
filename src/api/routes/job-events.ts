// Live job progress as server-sent events. EventSource cannot send an Authorization header and an API
// key must never travel in a URL, so the dashboard reads this stream with fetch() and the usual bearer
// header (docs/dashboard.md). Events come from Redis (services/jobs/job-events.ts), so a client sees
// changes recorded by any API replica.
import type { OutgoingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { seesAllOrgs } from '../../services/auth/principal.js';
import { getJob, listJobs } from '../../services/jobs/jobs.js';
import { withReportIds, type JobEvent, type JobEventHub } from '../../services/jobs/job-events.js';
import { problemResponses } from '../../contracts/problem.js';

/** Comment lines keep proxies and the browser from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export const jobEventRoutes =
  (deps: AppDeps, guards: AuthGuards, hub: JobEventHub): FastifyPluginAsyncZod =>
  async (app) => {
    // Open streams never go idle, so the server's close would wait for them: end them first.
    const open = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const end of open) end();
    });

    app.get(
      '/jobs/events',
      {
        preHandler: guards.requireUser(),
        schema: {
          operationId: 'streamJobEvents',
          tags: ['jobs'],
          summary: 'Live job progress as server-sent events',
          description:
            'text/event-stream: `event: snapshot` with `{ items: Job[] }` (JobSnapshotEvent), then `event: job` with a Job (with reportId) at each change, and `: keepalive` comments. EventSource cannot send the Authorization header: read it with fetch.',
          querystring: z.strictObject({ jobId: z.uuid().optional() }),
          response: {
            200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } },
            ...problemResponses(404),
          },
        },
      },
      async (request, reply) => {
        const principal = userOf(request);
        const { jobId } = request.query;
        const visible = (e: JobEvent) => (seesAllOrgs(principal) || e.orgId === principal.orgId) && (!jobId || e.id === jobId);
        const snapshot = async () => (jobId ? [await getJob(deps.db, principal, jobId)] : (await listJobs(deps.db, principal, { limit: 50 })).items);
        // Checked before the stream opens, so an unknown job is a normal 404 problem.
        await snapshot();

        const res = reply.raw;
        reply.hijack();
        // The hijacked stream writes its own head: with the headers every answer carries (onRequest).
        res.writeHead(200, {
          ...(reply.getHeaders() as OutgoingHttpHeaders),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          'x-accel-buffering': 'no',
        });
        // HEAD (fastify serves it for every GET): a HEAD answer has no body, so the stream would send
        // nothing, not even its headers, and hold the connection forever. Answer the headers and end.
        if (request.method === 'HEAD') return void res.end();
        const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        // Subscribed before the snapshot is read, so no change falls between the two. Changes that arrive
        // while the snapshot is read are sent after it (the client never lets a finished job look unfinished).
        let pending: JobEvent[] | null = [];
        const unsubscribe = await hub.subscribe((e) => {
          if (!visible(e)) return;
          if (pending) pending.push(e);
          else send('job', e);
        });
        const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
        const close = () => {
          clearInterval(keepalive);
          unsubscribe();
          open.delete(end);
        };
        const end = () => {
          close();
          res.end();
        };
        open.add(end);
        res.on('close', close);
        res.on('error', close);
        // The client may have gone while we subscribed: 'close' has then already fired.
        if (res.destroyed) return close();
        send('snapshot', { items: await withReportIds(deps.db, await snapshot()) });
        for (const e of pending) send('job', e);
        pending = null;
      },
    );
  };
