// Real inputs for the performance sample set: when a run names a dataset whose samples are complete
// model inputs (a labelled input set, a text-lines set, a text page set), the timed queries draw from
// them, as LoadGen's QSL loads real samples, instead of from synthetic tensors. A set that does not fit
// the model's inputs, or a dataset of another kind (MMLU prompts, a stateful VAD stream), leaves the
// synthetic set in place, and the report says which it was and why.
import type { LabelledInputSet } from '../accuracy/labelled-inputs.js';
import type { TextLineSet } from '../accuracy/text-recognition.js';
import type { TextPagesDataset } from '../accuracy/text-pages-format.js';
import type { HostTensor } from '../tensors.js';
import { ppocrInput } from './text-lines.js';
import { ppocrDetectorInput, renderTextPage } from './text-pages.js';

/** The datasets a run may carry, as the accuracy inputs hold them. */
export interface RunDatasets {
  labelledInputs?: { ref: string; set: LabelledInputSet } | undefined;
  textLines?: { ref: string; set: TextLineSet } | undefined;
  textPages?: { ref: string; set: TextPagesDataset } | undefined;
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
  return undefined;
}

/** Why a dataset sample cannot stand in for a synthetic one (which has the shapes the run measures), or null. */
export function sampleMismatch(sample: readonly HostTensor[], synthetic: readonly HostTensor[]): string | null {
  for (const want of synthetic) {
    const got = sample.find((t) => t.name === want.name);
    if (!got) return `it has no input '${want.name}'`;
    if (got.elementType !== want.elementType) return `input '${want.name}' is ${got.elementType}, the model takes ${want.elementType}`;
    if (got.dims.length !== want.dims.length || got.dims.some((d, k) => d !== want.dims[k])) return `input '${want.name}' is [${got.dims.join(', ')}], the run measures [${want.dims.join(', ')}]`;
  }
  if (sample.length !== synthetic.length) return `it has ${sample.length} inputs, the model ${synthetic.length}`;
  return null;
}
