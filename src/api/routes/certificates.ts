import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import {
  certificateBundle,
  certificatePdf,
  issueCertificate,
  issueInput,
  listCertificates,
  revokeCertificate,
  revokeInput,
  verifyCertificate,
} from '../../services/certificates/certificates.js';
import { idParams, pageQuery } from './pagination.js';

const LAB = ['ADMIN', 'CERTIFIER'] as const;
const tags = ['certificates'];

export const certificateRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/certificates',
      { preHandler: guards.requireUser([...LAB]), schema: { tags, summary: 'Certify a report under a profile (422 with every rule when it does not pass)', body: issueInput } },
      async (request, reply) => {
        const cert = await issueCertificate(deps, userOf(request), request.body, request.id);
        // This replica's leaderboard shows it in the answer to this request's sender; others on notification.
        deps.cacheInvalidation?.invalidateLocally('leaderboard_entries', '*');
        return reply.status(201).header('location', `/v1/certificates/${cert.id}`).send(await certificateBundle(deps, cert.id));
      },
    );

    // Certificates are public documents: anyone may list, download and verify them.
    app.get('/certificates', { schema: { tags, security: [], querystring: pageQuery.extend({ reportId: z.uuid().optional() }) } }, async (request) =>
      listCertificates(deps, request.query),
    );

    app.get(
      '/certificates/:id',
      { schema: { tags, security: [], summary: 'The certificate bundle (cert.json) for offline verification with `npubench verify`', params: idParams } },
      async (request, reply) =>
        reply.header('content-disposition', `inline; filename="certificate-${request.params.id}.json"`).send(await certificateBundle(deps, request.params.id)),
    );

    app.get('/certificates/:id/pdf', { schema: { tags, security: [], summary: 'The one-page A4 certificate', params: idParams } }, async (request, reply) =>
      reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="npubench-certificate-${request.params.id}.pdf"`)
        .send(await certificatePdf(deps, request.params.id)),
    );

    app.get(
      '/certificates/:id/verify',
      { schema: { tags, security: [], summary: 'Signature, key, expiry, revocation and log inclusion, checked now', params: idParams } },
      async (request) => verifyCertificate(deps, request.params.id),
    );

    app.post(
      '/certificates/:id/revoke',
      { preHandler: guards.requireUser([...LAB]), schema: { tags, params: idParams, body: revokeInput } },
      async (request) => {
        await revokeCertificate(deps, request.params.id, request.body, userOf(request), request.id);
        deps.cacheInvalidation?.invalidateLocally('leaderboard_entries', '*');
        return verifyCertificate(deps, request.params.id);
      },
    );
  };
