import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { getModel, listModels, modelFields, uploadModel } from '../../services/models/models.js';
import { guardedParts, multipartRoutes } from '../plugins/multipart-parts.js';
import { multipartFile } from '../plugins/route-contract.js';
import { unsupportedMediaType } from '../../lib/errors.js';
import { modelPageSchema, modelSchema } from '../../contracts/models.js';
import { problemResponses } from '../../contracts/problem.js';
import { idParams, pageQuery } from './pagination.js';
import { z } from 'zod';

const tags = ['models'];

const modelQuery = pageQuery.extend({
  name: z.string().max(128).optional(),
  version: z.string().max(64).optional(),
  mine: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

/** The upload's parts: the service's own field rules (name defaults to the file's name), then the file. */
const modelUpload = modelFields.partial({ name: true }).extend({
  file: multipartFile('The model: a self-contained .onnx file, or an LLM bundle (zip, tar or tar.gz with tokenizer and config)'),
});

export const modelRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    await app.register(
      multipartRoutes(deps.config.env, (uploads) =>
        uploads.post(
          '/models',
          {
            preHandler: guards.requireUser(),
            schema: {
              operationId: 'uploadModel',
              tags,
              summary: 'Upload an ONNX model or LLM bundle',
              description: 'multipart/form-data: the fields name, version, task and visibility (and, for a variant of a suite reference, variantOf and variantTechnique), then the file in "file". The signature is read without running the model.',
              multipartBody: modelUpload,
              response: { 201: modelSchema, ...problemResponses(409, 422) },
            },
          },
          async (request, reply) => {
            if (!request.isMultipart()) throw unsupportedMediaType('upload.not_multipart', 'Send the model as multipart/form-data with the file in the field "file".');
            const model = await uploadModel(deps, userOf(request), guardedParts(request, deps.config.env.NPUBENCH_UPLOAD_IDLE_TIMEOUT_MS));
            return reply.status(201).header('location', `/v1/models/${model.id}`).send(model);
          },
        ),
      ),
    );

    app.get(
      '/models',
      { preHandler: guards.requireUser(), schema: { operationId: 'listModels', tags, summary: "Models your organization uploaded, and public ones", querystring: modelQuery, response: { 200: modelPageSchema } } },
      async (request) => listModels(deps.db, userOf(request), request.query),
    );

    app.get(
      '/models/:id',
      { preHandler: guards.requireUser(), schema: { operationId: 'getModel', tags, summary: 'One model', params: idParams, response: { 200: modelSchema, ...problemResponses(404) } } },
      async (request) => getModel(deps.db, userOf(request), request.params.id),
    );
  };
