// Real inputs for the performance sample set: when a run names a dataset whose samples are complete
// model inputs (a labelled input set, a text-lines set, a text page set), the timed queries draw from
// them, as LoadGen's QSL loads real samples, instead of from synthetic tensors; so do a VAD frame set's
// frames (each with a fresh state). A set that does not fit the model's inputs, or MMLU prompts, leave the
// synthetic set in place, and the report says which it was and why.
import type { LabelledInputSet } from '../accuracy/labelled-inputs.js';
import type { TextLineSet } from '../accuracy/text-recognition.js';
import type { TextPagesDataset } from '../accuracy/text-pages-format.js';
import type { VadFrameSet } from '../accuracy/vad-frames.js';
import { sileroFrameInputs } from '../accuracy/voice-activity.js';
import type { HostTensor, TensorSignatureLike } from '../tensors.js';
import { ppocrInput } from './text-lines.js';
import { ppocrDetectorInput, renderTextPage } from './text-pages.js';

/** The datasets a run may carry, as the accuracy inputs hold them. */
export interface RunDatasets {
  labelledInputs?: { ref: string; set: LabelledInputSet } | undefined;
  textLines?: { ref: string; set: TextLineSet } | undefined;
  textPages?: { ref: string; set: TextPagesDataset } | undefined;
  vadFrames?: { ref: string; set: VadFrameSet } | undefined;
}

/** Candidate samples from one dataset: a function per sample, so only the chosen ones are built. */
export interface DatasetSamples {
  ref: string;
  count: number;
  sample(index: number): HostTensor[];
}

/** The first dataset of the run whose samples are model inputs, as lazily built samples for the input `inputName`. */
export function datasetSamplesOf(datasets: RunDatasets | undefined, inputName: string): DatasetSamples | undefined {
  if (datasets?.labelledInputs) {
    const { ref, set } = datasets.labelledInputs;
    return { ref, count: set.samples.length, sample: (i) => [...set.samples[i]!.inputs] };
  }
  if (datasets?.textLines) {
    const { ref, set } = datasets.textLines;
    return {
      ref,
      count: set.lines.length,
      sample: (i) => {
        const { dims, data } = ppocrInput({ height: set.height, width: set.width, pixels: set.lines[i]!.pixels });
        return [{ name: inputName, elementType: 'float32', dims, data }];
      },
    };
  }
  if (datasets?.textPages) {
    const { ref, set } = datasets.textPages;
    return {
      ref,
      count: set.pages.length,
      sample: (i) => {
        const { dims, data } = ppocrDetectorInput(renderTextPage(set.pages[i]!, set), set);
        return [{ name: inputName, elementType: 'float32', dims, data }];
      },
    };
  }
  if (datasets?.vadFrames) {
    const { ref, set } = datasets.vadFrames;
    // Each frame as a fresh stream (zero state): a timed query is one frame's inference, as on a device.
    return { ref, count: set.labels.length, sample: (i) => sileroFrameInputs(set, i) };
  }
  return undefined;
}

/** Why a dataset sample cannot be a timed query of the model, or null: every input, of its element type
 *  and rank, with the model's fixed dims and the run's sizes for symbolic ones (unnamed dims are free). */
export function sampleMismatch(sample: readonly HostTensor[], signatures: readonly TensorSignatureLike[], dynamicDims: Readonly<Record<string, number>>): string | null {
  for (const want of signatures) {
    const got = sample.find((t) => t.name === want.name);
    if (!got) return `it has no input '${want.name}'`;
    if (got.elementType !== want.elementType) return `input '${want.name}' is ${got.elementType}, the model takes ${want.elementType}`;
    const expected = want.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? (dynamicDims[d] ?? null) : null));
    if (got.dims.length !== expected.length || got.dims.some((d, k) => expected[k] !== null && d !== expected[k])) {
      return `input '${want.name}' is [${got.dims.join(', ')}], the run measures [${expected.map((d, k) => d ?? String(want.shape[k] ?? '?')).join(', ')}]`;
    }
  }
  if (sample.length !== signatures.length) return `it has ${sample.length} inputs, the model ${signatures.length}`;
  return null;
}
