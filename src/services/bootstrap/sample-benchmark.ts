// On first start, benchmark a bundled real model on host-cpu so a newcomer sees a real report at once.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { uploadModel, type UploadPart } from '../models/models.js';
import { submitJob } from '../jobs/jobs.js';
import type { JobServiceDeps } from '../jobs/job-changes.js';
import { sampleModelPath } from '../../lib/sample-models.js';
import type { UserPrincipal } from '../auth/principal.js';
import { SAMPLE_MODEL_NAME } from './sample-model.js';

async function* sampleUpload(path: string): AsyncIterable<UploadPart> {
  yield { type: 'field', fieldname: 'name', value: SAMPLE_MODEL_NAME };
  yield { type: 'field', fieldname: 'version', value: '1' };
  yield { type: 'field', fieldname: 'task', value: 'image-classification' };
  yield { type: 'field', fieldname: 'visibility', value: 'PUBLIC' };
  yield { type: 'file', fieldname: 'file', filename: basename(path), file: createReadStream(path) };
}

// The classifier takes 3x48x192 text-line crops; its batch, height and width are symbolic in the graph.
const SAMPLE_SUITE = { preset: 'quick', dynamicDims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 } };

export async function submitSampleBenchmark(deps: JobServiceDeps, vendorOrgId: string, deviceSlug: string) {
  const principal: UserPrincipal = { kind: 'user', keyId: 'first-start', orgId: vendorOrgId, role: 'VENDOR' };
  const model = await uploadModel(deps, principal, sampleUpload(sampleModelPath()));
  const { job } = await submitJob(deps, principal, { modelId: model.id, device: deviceSlug, suite: SAMPLE_SUITE }, { idempotencyKey: 'first-start-sample' });
  return { model, job };
}
