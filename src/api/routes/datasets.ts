import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../app.js';
import { userOf, type AuthGuards } from '../plugins/authentication.js';
import { datasetFields, getDataset, listDatasets, uploadDataset } from '../../services/datasets/datasets.js';
import type { UploadPart } from '../../services/models/models.js';
import { unsupportedMediaType } from '../../lib/errors.js';
import { datasetListSchema, datasetSchema } from '../../contracts/datasets.js';
import { problemResponses } from '../../contracts/problem.js';
import { idParams } from './pagination.js';
import { multipartRoutes } from '../plugins/multipart-parts.js';
import { multipartFile } from '../plugins/route-contract.js';

const tags = ['datasets'];

/** The upload's parts: the name (default: the file's name), then the archive. */
const datasetUpload = datasetFields.partial().extend({
  file: multipartFile('A zip or tar of MMLU-style hendrycks CSVs ({subject}_dev.csv, {subject}_test.csv), or a labelled input set (labelled-inputs.json, alone or archived)'),
});

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
              operationId: 'uploadDataset',
              tags,
              summary: 'Upload an accuracy dataset',
              description: 'multipart/form-data with the archive in "file": a zip or tar of MMLU-style hendrycks CSVs, or a labelled input set. Stored only if every file parses.',
              multipartBody: datasetUpload,
              response: { 201: datasetSchema, ...problemResponses(409, 422) },
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

    app.get(
      '/datasets',
      { preHandler: guards.requireUser(), schema: { operationId: 'listDatasets', tags, summary: 'Datasets of your organization, and the built-in one', response: { 200: datasetListSchema } } },
      async (request) => listDatasets(deps.db, userOf(request)),
    );

    app.get(
      '/datasets/:id',
      { preHandler: guards.requireUser(), schema: { operationId: 'getDataset', tags, summary: 'One dataset', params: idParams, response: { 200: datasetSchema, ...problemResponses(404) } } },
      async (request) => getDataset(deps.db, userOf(request), request.params.id),
    );
  };
