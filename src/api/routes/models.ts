import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { getModel, listModels, uploadModel } from '../../services/models/models.js';
import { guardedParts, multipartRoutes } from '../plugins/multipart-parts.js';
import { unsupportedMediaType } from '../../lib/errors.js';
import { idParams, pageQuery } from './pagination.js';
import { z } from 'zod';

const modelQuery = pageQuery.extend({
  name: z.string().max(128).optional(),
  version: z.string().max(64).optional(),
  mine: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
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
              tags: ['models'],
              summary: 'Upload an ONNX model (multipart/form-data: fields name, version, task, visibility; then the file in "file")',
              consumes: ['multipart/form-data'],
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

    app.get('/models', { preHandler: guards.requireUser(), schema: { tags: ['models'], querystring: modelQuery } }, async (request) =>
      listModels(deps.db, userOf(request), request.query),
    );

    app.get('/models/:id', { preHandler: guards.requireUser(), schema: { tags: ['models'], params: idParams } }, async (request) =>
      getModel(deps.db, userOf(request), request.params.id),
    );
  };
