// The accuracy part of a run: MMLU on an LLM bundle, and fidelity against a reference model (the FP32
// original, always on the CPU EP) with the same inputs, classification top-k on a labelled set and
// text recognition on a text-lines set.
// Fidelity, classification and text recognition run the candidate through an OutputModel (output-model.ts): onnxruntime
// in-process, or the run's runner process; the reference always runs in-process on the CPU EP.
import { HarnessError, errorMessage } from '../../lib/errors.js';
import type { OnnxRuntimeBackendConfig } from '../backends/onnxruntime.js';
import type { HostTensor } from '../tensors.js';
import { openOnnxRuntimeOutputModel, type OutputModel } from './output-model.js';
import { createSyntheticInputs } from '../inputs/synthetic-inputs.js';
import type { AccuracyRaw, AccuracySpec, ClassificationRaw, OutputComparisonRaw } from './accuracy-format.js';
import { CausalLm, type CausalLanguageModel } from './causal-lm.js';
import { BUILTIN_DATASET_REF, builtinMmluDataset, type MmluDataset } from './mmlu-dataset.js';
import { evaluateMmlu } from './mmlu-eval.js';
import { loadTokenizer } from './tokenizer.js';
import type { LabelledInputSet } from './labelled-inputs.js';
import { evaluateTextRecognition, loadCtcClasses, type TextLineSet, type TextRecognizer } from './text-recognition.js';
import { evaluateTextDetection } from './text-detection.js';
import type { TextPagesDataset } from './text-pages-format.js';
import type { VadFrameSet } from './vad-frames.js';
import { evaluateVoiceActivity } from './voice-activity.js';

export interface AccuracyRunOptions {
  spec: AccuracySpec;
  /** The latency run's input generator settings; fidelity sample i uses seed + i. */
  seed: number;
  dynamicDims: Readonly<Record<string, number>>;
  modelPath: string;
  /** The unpacked bundle folder (tokenizer.json, config.json) when the model is an LLM bundle. */
  bundleDir?: string | undefined;
  reference?: { modelPath: string; bundleDir?: string | undefined; digest: string } | undefined;
  dataset?: MmluDataset | undefined;
  /** The labelled input set of spec.classification. */
  labelledInputs?: { ref: string; set: LabelledInputSet } | undefined;
  /** The text-lines set of spec.textRecognition. */
  textLines?: { ref: string; set: TextLineSet } | undefined;
  /** The page set of spec.textDetection. */
  textPages?: { ref: string; set: TextPagesDataset } | undefined;
  /** The voice-activity frame set of spec.voiceActivity (npubench.vad-frames/v1). */
  vadFrames?: { ref: string; set: VadFrameSet } | undefined;
  /** The onnxruntime config the candidate runs with in-process (MMLU, and fidelity/classification unless openCandidate is given). */
  backend: OnnxRuntimeBackendConfig;
  /** Opens the candidate for fidelity and classification another way (the run's runner); each call's model is closed after its evaluation. */
  openCandidate?: (() => Promise<OutputModel>) | undefined;
  /** The candidate LM for MMLU when it is not onnxruntime with `backend` (a runner's); closed after MMLU. */
  candidateLm?: (() => Promise<CausalLanguageModel>) | undefined;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal | undefined;
}

export const REFERENCE_BACKEND: OnnxRuntimeBackendConfig = { executionProvider: 'cpu' };

export async function runAccuracy(options: AccuracyRunOptions): Promise<AccuracyRaw> {
  const { spec } = options;
  const started = process.hrtime.bigint();
  let promptNs = 0;
  let modelNs = 0;
  const raw: AccuracyRaw = { timing: { promptNs: 0, modelNs: 0, totalNs: 0 } };
  if (spec.reference && !options.reference) throw new HarnessError('harness.reference_missing', 'The spec names a reference model and none was provided.');

  if (spec.mmlu) {
    if (!options.bundleDir) throw new HarnessError('harness.not_an_llm_bundle', 'MMLU needs an LLM bundle (model + tokenizer.json, tokenizer_config.json, config.json); this model is a single .onnx file.');
    const dataset = options.dataset ?? (spec.mmlu.dataset === BUILTIN_DATASET_REF ? builtinMmluDataset() : undefined);
    if (!dataset) throw new HarnessError('harness.dataset_missing', `MMLU was asked for with dataset ${spec.mmlu.dataset} and none was provided.`);
    if (dataset.ref !== spec.mmlu.dataset) throw new HarnessError('harness.dataset_missing', `The dataset provided is ${dataset.ref}; the spec names ${spec.mmlu.dataset}.`);
    const tokenizer = await loadTokenizer(options.bundleDir);
    const lm = options.candidateLm ? await options.candidateLm() : await CausalLm.load(options.modelPath, options.bundleDir, options.backend);
    let reference: CausalLanguageModel | null = null;
    try {
      if (options.reference) {
        if (!options.reference.bundleDir) throw new HarnessError('harness.reference_mismatch', 'The reference of an LLM bundle must be an LLM bundle too.');
        reference = await CausalLm.load(options.reference.modelPath, options.reference.bundleDir, REFERENCE_BACKEND);
      }
      const result = await evaluateMmlu(lm, tokenizer, dataset, spec.mmlu, reference, {
        signal: options.signal,
        onProgress: (done, total) => options.onProgress?.((0.8 * done) / total),
      });
      raw.mmlu = result.raw;
      if (result.tokenAgreement) raw.tokenAgreement = result.tokenAgreement;
      promptNs += result.timing.promptNs;
      modelNs += result.timing.modelNs;
    } finally {
      await lm.close();
      await reference?.close();
    }
  }

  if (spec.classification) {
    if (!options.labelledInputs) throw new HarnessError('harness.dataset_missing', 'Classification accuracy was asked for and no labelled input set was provided.');
    const t0 = process.hrtime.bigint();
    raw.classification = await classify(options, options.labelledInputs);
    modelNs += Number(process.hrtime.bigint() - t0);
  }

  if (spec.textRecognition) {
    const textLines = options.textLines;
    if (!textLines || textLines.ref !== spec.textRecognition.dataset) throw new HarnessError('harness.dataset_missing', `Text recognition was asked for on ${spec.textRecognition.dataset} and ${textLines ? `${textLines.ref} was provided` : 'no text-lines set was provided'}.`);
    const t0 = process.hrtime.bigint();
    raw.textRecognition = await withModels(options, 'Text recognition', (candidate, reference) =>
      evaluateTextRecognition(asRecognizer(candidate), reference && asRecognizer(reference), textLines.set, {
        dataset: textLines.ref,
        output: spec.textRecognition!.output,
        ctc: loadCtcClasses(spec.textRecognition!.keys),
        signal: options.signal,
      }),
    );
    modelNs += Number(process.hrtime.bigint() - t0);
  }

  if (spec.textDetection) {
    const pages = options.textPages;
    if (!pages || pages.ref !== spec.textDetection.dataset) throw new HarnessError('harness.dataset_missing', `Text detection was asked for on ${spec.textDetection.dataset} and ${pages ? `${pages.ref} was provided` : 'no page set was provided'}.`);
    const t0 = process.hrtime.bigint();
    raw.textDetection = await withModels(options, 'Text detection', (candidate, reference) => evaluateTextDetection(pages.set, pages.ref, candidate, reference, { signal: options.signal }));
    modelNs += Number(process.hrtime.bigint() - t0);
  }

  if (spec.voiceActivity) {
    const vad = options.vadFrames;
    if (vad?.ref !== spec.voiceActivity.dataset) throw new HarnessError('harness.dataset_missing', `Voice activity was asked for on ${spec.voiceActivity.dataset} and ${vad ? `${vad.ref} was provided` : 'no frame set was provided'}.`);
    const t0 = process.hrtime.bigint();
    const vadSpec = spec.voiceActivity;
    raw.voiceActivity = await withModels(options, 'Voice activity', (candidate, reference) => evaluateVoiceActivity(vadSpec, vad.set, candidate, reference, { signal: options.signal }));
    modelNs += Number(process.hrtime.bigint() - t0);
  }

  // A VAD's fidelity is read from its frames (summarizeAccuracy); synthetic inputs cannot drive it.
  if (options.reference && raw.voiceActivity) raw.referenceModelDigest = options.reference.digest;
  else if (options.reference) {
    const t0 = process.hrtime.bigint();
    raw.outputs = await compareOutputs(options, options.reference.modelPath);
    raw.referenceModelDigest = options.reference.digest;
    modelNs += Number(process.hrtime.bigint() - t0);
  }
  raw.timing = { promptNs, modelNs, totalNs: Number(process.hrtime.bigint() - started) };
  options.onProgress?.(1);
  return raw;
}

/** A failure outside the harness's own errors (which already say what failed) as `harness.inference_failed`. */
function inferenceFailed(what: string, err: unknown): HarnessError {
  if (err instanceof HarnessError) return err;
  return new HarnessError('harness.inference_failed', `${what}: ${errorMessage(err)}`, { cause: err });
}

function asFloat64(tensor: HostTensor): Float64Array {
  const data = tensor.data;
  if (data instanceof Float32Array || data instanceof Float64Array) return Float64Array.from(data);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, Number);
  if (Array.isArray(data)) throw new HarnessError('harness.unsupported_output', `Output of type ${tensor.elementType} cannot be compared numerically.`);
  return Float64Array.from(data);
}

/** A single-input OutputModel as text-recognition.ts's recognizer (the image goes to its one input). */
function asRecognizer(model: OutputModel): TextRecognizer {
  const input = model.inputs[0];
  if (input === undefined || model.inputs.length !== 1) throw new HarnessError('harness.unsupported_output', `A text recognizer has one image input; this model has ${model.inputs.length}.`);
  return {
    inputName: input.name,
    outputNames: model.outputNames,
    run: async ({ dims, data }) => {
      try {
        const out = await model.run([{ name: input.name, elementType: 'float32', dims, data }]);
        return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, { dims: t.dims, data: asFloat64(t) }]));
      } catch (err) {
        throw inferenceFailed('Text recognition inference failed', err);
      }
    },
  };
}

/** Indices of the k largest values of a row, largest first. */
function topK(row: Float64Array, k: number): number[] {
  return [...row.keys()].sort((a, b) => row[b]! - row[a]! || a - b).slice(0, k);
}

/** Opens the candidate: through the run's own backend when it supplies one (a runner), else onnxruntime. */
function openCandidate(options: AccuracyRunOptions): Promise<OutputModel> {
  return options.openCandidate ? options.openCandidate() : openOnnxRuntimeOutputModel(options.modelPath, options.backend, 'model');
}

/** Opens the candidate and, when the run has one, the reference (CPU EP) for one evaluation, and closes both after it. */
async function withModels<T>(options: AccuracyRunOptions, what: string, evaluate: (candidate: OutputModel, reference: OutputModel | null) => Promise<T>): Promise<T> {
  const candidate = await openCandidate(options);
  try {
    const reference = options.reference ? await openOnnxRuntimeOutputModel(options.reference.modelPath, REFERENCE_BACKEND, 'reference model') : null;
    try {
      return await evaluate(candidate, reference);
    } catch (err) {
      throw inferenceFailed(`${what} failed`, err);
    } finally {
      await reference?.close();
    }
  } finally {
    await candidate.close();
  }
}

/** Runs candidate (its device's EP, or its runner) and reference (CPU) on the same synthetic inputs and
 *  records, per sample and output, what the fidelity figures are computed from. */
async function compareOutputs(options: AccuracyRunOptions, referencePath: string): Promise<OutputComparisonRaw[]> {
  const candidate = await openCandidate(options);
  try {
    const reference = await openOnnxRuntimeOutputModel(referencePath, REFERENCE_BACKEND, 'reference model');
    try {
      return await compareWith(options, candidate, reference);
    } finally {
      await reference.close();
    }
  } finally {
    await candidate.close();
  }
}

async function compareWith(options: AccuracyRunOptions, candidate: OutputModel, reference: OutputModel): Promise<OutputComparisonRaw[]> {
  const inputs = candidate.inputs;
  const refInputs = new Set(reference.inputs.map((i) => i.name));
  const missing = inputs.filter((i) => !refInputs.has(i.name));
  if (missing.length > 0) throw new HarnessError('harness.reference_mismatch', `The reference model lacks the inputs ${missing.map((i) => i.name).join(', ')}.`);
  const names = candidate.outputNames.filter((name) => reference.outputNames.includes(name));
  if (names.length === 0) throw new HarnessError('harness.reference_mismatch', 'The reference model has none of the candidate\'s output names.');
  const records = new Map<string, OutputComparisonRaw>();
  for (let sample = 0; sample < options.spec.fidelitySamples; sample++) {
    if (options.signal?.aborted) throw new HarnessError('job.canceled', 'The run was canceled.');
    const feeds = createSyntheticInputs(inputs, { seed: (options.seed + sample) >>> 0, dynamicDims: options.dynamicDims });
    const [out, ref] = await Promise.all([candidate.run(feeds, names), reference.run(feeds, names)]).catch((err: unknown) => {
      throw inferenceFailed('Fidelity inference failed', err);
    });
    for (const name of names) {
      const a = asFloat64(out[name]!);
      const b = asFloat64(ref[name]!);
      if (a.length !== b.length) throw new HarnessError('harness.reference_mismatch', `Output '${name}' has ${a.length} elements, the reference's ${b.length}.`);
      if (a.length === 0) continue;
      const record = records.get(name) ?? { name, elements: a.length, dot: [], candidateNormSq: [], referenceNormSq: [], maxAbsError: [], sumAbsError: [] };
      let dot = 0, na = 0, nb = 0, maxAbs = 0, sumAbs = 0;
      for (let i = 0; i < a.length; i++) {
        dot += a[i]! * b[i]!;
        na += a[i]! * a[i]!;
        nb += b[i]! * b[i]!;
        const err = Math.abs(a[i]! - b[i]!);
        sumAbs += err;
        if (err > maxAbs) maxAbs = err;
      }
      record.dot.push(dot);
      record.candidateNormSq.push(na);
      record.referenceNormSq.push(nb);
      record.maxAbsError.push(maxAbs);
      record.sumAbsError.push(sumAbs);
      // Classifier-like outputs ([batch, classes]): agreement of the predicted class per row.
      const dims = out[name]!.dims;
      if (dims.length === 2 && dims[1]! > 1) {
        const classes = dims[1]!;
        record.top1Match ??= [];
        record.top5Match ??= [];
        for (let row = 0; row < dims[0]!; row++) {
          const ra = a.subarray(row * classes, (row + 1) * classes);
          const rb = b.subarray(row * classes, (row + 1) * classes);
          const refTop = topK(rb, 1)[0]!;
          const candTop5 = topK(ra, 5);
          record.top1Match.push(candTop5[0] === refTop);
          record.top5Match.push(candTop5.includes(refTop));
        }
      }
      records.set(name, record);
    }
  }
  return [...records.values()];
}

/** The top-5 classes of each row of a [rows, classes] score tensor. */
function top5PerRow(tensor: HostTensor, rows: number, output: string): number[][] {
  const scores = asFloat64(tensor);
  if (rows === 0 || scores.length % rows !== 0) throw new HarnessError('harness.unsupported_output', `Output '${output}' has ${scores.length} values, not a whole number per each of ${rows} labelled rows.`);
  const classes = scores.length / rows;
  return Array.from({ length: rows }, (_, row) => topK(scores.subarray(row * classes, (row + 1) * classes), 5));
}

/** Runs every labelled sample through the candidate (and the reference, on the CPU EP). */
async function classify(options: AccuracyRunOptions, labelled: { ref: string; set: LabelledInputSet }): Promise<ClassificationRaw> {
  return withModels(options, 'Classification', (candidate, reference) => classifyWith(labelled, candidate, reference, options.signal));
}

async function classifyWith(labelled: { ref: string; set: LabelledInputSet }, candidate: OutputModel, reference: OutputModel | null, signal: AbortSignal | undefined): Promise<ClassificationRaw> {
  const output = labelled.set.output ?? candidate.outputNames[0]!;
  if (!candidate.outputNames.includes(output)) throw new HarnessError('harness.unsupported_output', `The model has no output '${output}' (it has ${candidate.outputNames.join(', ')}).`);
  const rows: ClassificationRaw['rows'] = [];
  for (const [i, sample] of labelled.set.samples.entries()) {
    if (signal?.aborted) throw new HarnessError('job.canceled', 'The run was canceled.');
    const run = async (model: OutputModel) => {
      try {
        return (await model.run(sample.inputs, [output]))[output]!;
      } catch (err) {
        throw inferenceFailed(`Labelled sample ${i} failed`, err);
      }
    };
    const top5 = top5PerRow(await run(candidate), sample.labels.length, output);
    const refTop5 = reference ? top5PerRow(await run(reference), sample.labels.length, output) : null;
    sample.labels.forEach((label, row) => rows.push({ label, top5: top5[row]!, ...(refTop5 && { referenceTop5: refTop5[row]! }) }));
  }
  return { dataset: labelled.ref, output, rows };
}
