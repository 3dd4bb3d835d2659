import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { certificateBundle, certificatePdf, issueCertificate, listCertificates, revokeCertificate, verifyCertificate } from '../../services/certificates/certificates.js';
import {
  certificateBundleResponse,
  certificatePageSchema,
  certificateVerificationSchema,
  issueCertificateInput,
  revokeCertificateInput,
} from '../../contracts/certificates.js';
import { problemResponses } from '../../contracts/problem.js';
import { idParams, pageQuery } from './pagination.js';
import { sendBytes } from './raw-answer.js';

const LAB = ['ADMIN', 'CERTIFIER'] as const;
const tags = ['certificates'];

export const certificateRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/certificates',
      {
        preHandler: guards.requireUser([...LAB]),
        schema: {
          operationId: 'issueCertificate',
          summary: 'Certify a report under a profile',
          description: 'Answers the certificate bundle. 422 `certificate.profile_failed` carries every rule\'s outcome (`evaluation`) when the report does not pass.',
          tags,
          body: issueCertificateInput,
          response: { 201: certificateBundleResponse, ...problemResponses(404, 409, 422) },
        },
      },
      async (request, reply) => {
        const cert = await issueCertificate(deps, userOf(request), request.body, request.id);
        // This replica's leaderboard shows it in the answer to this request's sender; others on notification.
        deps.cacheInvalidation?.invalidateLocally('leaderboard_entries', '*');
        return reply.status(201).header('location', `/v1/certificates/${cert.id}`).send(await certificateBundle(deps, cert.id));
      },
    );

    // Certificates are public documents: anyone may list, download and verify them.
    app.get(
      '/certificates',
      {
        schema: {
          operationId: 'listCertificates',
          summary: 'Certificates, newest first',
          tags,
          querystring: pageQuery.extend({ reportId: z.uuid().optional() }),
          response: { 200: certificatePageSchema },
        },
      },
      async (request) => listCertificates(deps, request.query),
    );

    app.get(
      '/certificates/:id',
      {
        schema: {
          operationId: 'getCertificate',
          summary: 'The certificate bundle (cert.json) for offline verification with `npubench verify`',
          description: 'Sent inline with a `certificate-<id>.json` file name, so a browser can save it as cert.json.',
          tags,
          params: idParams,
          response: { 200: certificateBundleResponse, ...problemResponses(404) },
        },
      },
      async (request, reply) =>
        reply.header('content-disposition', `inline; filename="certificate-${request.params.id}.json"`).send(await certificateBundle(deps, request.params.id)),
    );

    app.get(
      '/certificates/:id/pdf',
      {
        schema: {
          operationId: 'getCertificatePdf',
          summary: 'The one-page A4 certificate',
          tags,
          params: idParams,
          response: {
            200: { description: 'The certificate as a PDF (an attachment)', content: { 'application/pdf': { schema: z.string().meta({ format: 'binary' }) } } },
            ...problemResponses(404),
          },
        },
      },
      async (request, reply) => {
        const pdf = await certificatePdf(deps, request.params.id);
        reply.header('content-disposition', `attachment; filename="npubench-certificate-${request.params.id}.pdf"`);
        return sendBytes(reply, 'application/pdf', pdf);
      },
    );

    app.get(
      '/certificates/:id/verify',
      {
        schema: {
          operationId: 'verifyCertificate',
          summary: 'Signature, key, expiry, revocation and log inclusion, checked now',
          tags,
          params: idParams,
          response: { 200: certificateVerificationSchema, ...problemResponses(404) },
        },
      },
      async (request) => verifyCertificate(deps, request.params.id),
    );

    app.post(
      '/certificates/:id/revoke',
      {
        preHandler: guards.requireUser([...LAB]),
        schema: {
          operationId: 'revokeCertificate',
          summary: 'Revoke a certificate; answers its verification, now revoked',
          tags,
          params: idParams,
          body: revokeCertificateInput,
          response: { 200: certificateVerificationSchema, ...problemResponses(404, 409) },
        },
      },
      async (request) => {
        await revokeCertificate(deps, request.params.id, request.body, userOf(request), request.id);
        deps.cacheInvalidation?.invalidateLocally('leaderboard_entries', '*');
        return verifyCertificate(deps, request.params.id);
      },
    );
  };
