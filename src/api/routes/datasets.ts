import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { getDataset, listDatasets, uploadDataset } from '../../services/datasets/datasets.js';
import type { UploadPart } from '../../services/models/models.js';
import { unsupportedMediaType } from '../../lib/errors.js';
import { idParams } from './pagination.js';
import { multipartRoutes } from '../plugins/multipart-parts.js';

export const datasetRoutes =
  (deps: AppDeps, guards: AuthGuards): FastifyPluginAsyncZod =>
  async (app) => {
    await app.register(
      multipartRoutes(deps.config.env, (uploads) =>
        uploads.post(
          '/datasets',
          {
            preHandler: guards.requireUser(),
            schema: {
              tags: ['datasets'],
              summary: 'Upload a dataset in "file" (field name): a zip or tar of MMLU-style hendrycks CSVs ({subject}_dev.csv, {subject}_test.csv), or a labelled input set (labelled-inputs.json, alone or archived)',
              consumes: ['multipart/form-data'],
            },
          },
          async (request, reply) => {
            if (!request.isMultipart()) throw unsupportedMediaType('upload.not_multipart', 'Send the dataset as multipart/form-data with the archive in the field "file".');
            const dataset = await uploadDataset(deps, userOf(request), request.parts() as AsyncIterable<UploadPart>);
            return reply.status(201).header('location', `/v1/datasets/${dataset.id}`).send(dataset);
          },
        ),
      ),
    );

    app.get('/datasets', { preHandler: guards.requireUser(), schema: { tags: ['datasets'], summary: 'Datasets of your organization, and the built-in one' } }, async (request) =>
      listDatasets(deps.db, userOf(request)),
    );

    app.get('/datasets/:id', { preHandler: guards.requireUser(), schema: { tags: ['datasets'], params: idParams } }, async (request) => getDataset(deps.db, userOf(request), request.params.id));
  };
