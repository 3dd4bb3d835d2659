// A model bundle: a zip or tar holding an ONNX causal LM exported the usual way (optimum layout) with
// its tokenizer and config, so an LLM can be evaluated from local files only. The same code unpacks
// and checks a bundle at upload (API) and before a run (agent), so the agent never trusts the archive
// more than the API did.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve, sep } from 'node:path';
import { AppError } from '../errors.js';
import { readOnnxSignature, type ModelSignature } from '../onnx/model-signature.js';
import { extractArchive, type ArchiveKind, type ExtractLimits } from './archive-extract.js';

export const MODEL_BUNDLE_FORMAT = 'onnx-llm-bundle';
export const BUNDLE_REQUIRED_FILES = ['tokenizer.json', 'tokenizer_config.json', 'config.json'] as const;
/** Tried in order when a bundle holds several .onnx files (optimum names its merged decoder so). */
const PREFERRED_MODEL_FILES = ['model.onnx', 'decoder_model_merged.onnx', 'decoder_with_past_model.onnx'];

export interface OpenedBundle {
  kind: ArchiveKind;
  /** Absolute path of the folder holding model, tokenizer and config. */
  root: string;
  /** Path of the ONNX model relative to root. */
  modelFile: string;
  modelPath: string;
  files: string[];
  signature: ModelSignature;
  unpackedBytes: number;
}

const missing = (message: string, extra?: Record<string, unknown>) => new AppError('bundle.missing_file', message, extra);

/** The folder the bundle's files sit in: the archive root, or its one top-level folder (zips often wrap). */
function bundlePrefix(files: readonly string[]): string {
  const tops = new Set(files.map((file) => file.split('/')[0]));
  const [only] = tops;
  return tops.size === 1 && only !== undefined && files.every((file) => file.startsWith(`${only}/`)) ? `${only}/` : '';
}

/**
 * Unpacks `archivePath` into `dest` (which must not exist) and checks it is a usable LLM bundle:
 * required files present, one ONNX model, every external-data file it names inside the bundle and
 * present. Throws AppError `bundle.*`; on failure `dest` is removed.
 */
export async function openModelBundle(archivePath: string, dest: string, limits: ExtractLimits): Promise<OpenedBundle> {
  const extracted = await extractArchive(archivePath, dest, limits);
  try {
    const prefix = bundlePrefix(extracted.files);
    const files = extracted.files.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length));
    const root = resolve(dest, prefix);
    const absent = BUNDLE_REQUIRED_FILES.filter((name) => !files.includes(name));
    const models = files.filter((f) => f.endsWith('.onnx') && !f.includes('/'));
    if (models.length === 0) absent.unshift('model.onnx' as never);
    if (absent.length > 0) {
      throw missing(`The bundle lacks ${absent.join(', ')}. A bundle holds an ONNX causal LM (model.onnx) with tokenizer.json, tokenizer_config.json and config.json next to it.`, {
        missing: absent,
        found: files.slice(0, 50),
      });
    }
    const modelFile = PREFERRED_MODEL_FILES.find((name) => models.includes(name)) ?? (models.length === 1 ? models[0]! : undefined);
    if (modelFile === undefined) {
      throw new AppError('bundle.ambiguous_model', `The bundle holds several ONNX files (${models.join(', ')}) and none is named model.onnx.`);
    }
    const modelPath = join(root, modelFile);
    const signature = await readOnnxSignature(modelPath);
    await checkExternalData(root, dirname(modelPath), signature.externalDataLocations);
    return { kind: extracted.kind, root, modelFile, modelPath, files, signature, unpackedBytes: extracted.totalBytes };
  } catch (err) {
    await rm(dest, { recursive: true, force: true });
    throw err;
  }
}

/** External data must be a file inside the bundle: a location such as '../../etc/passwd' or '/dev/zero'
 *  would make onnxruntime read outside it. */
async function checkExternalData(root: string, modelDir: string, locations: readonly string[]): Promise<void> {
  for (const location of locations) {
    const shown = JSON.stringify(location.slice(0, 200));
    const normalized = posix.normalize(location.replaceAll('\\', '/'));
    const target = resolve(modelDir, normalized);
    if (posix.isAbsolute(normalized) || /^[A-Za-z]:/.test(location) || !target.startsWith(root + sep)) {
      throw new AppError('bundle.external_data_outside', `The model's external data location ${shown} points outside the bundle.`, { location });
    }
    const info = await stat(target).catch(() => null);
    if (!info?.isFile()) throw missing(`The model's external data file ${shown} is not in the bundle.`, { missing: [location] });
  }
}

/** A temporary folder for unpacking, removed by the caller. */
export async function bundleScratchDir(prefix: string): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const parent = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { dir: join(parent, 'bundle'), dispose: () => rm(parent, { recursive: true, force: true }) };
}
