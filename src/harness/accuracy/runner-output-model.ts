// The OutputModel of a runner: evaluations (fidelity, classification top-k, and what is built on them)
// run the candidate through the benchmark's own runner session, after timing, on the model it timed.
//
// Protocol v2: each evaluation input is sent as a sample library (`load_samples`, replacing the timed
// run's) together with one *anchor*: a performance sample whose digests the timed run's accuracy pass
// recorded, in a seeded slot. One `run` with returnOutputs answers both. The host checks that every
// reported digest is the sha256 of the outputs returned, and that the anchor answers what it answered
// before timing, so a runner that switches to another model or precision for evaluations (a library
// that is not the timed one) is caught: it would have to recognise the anchor by its bytes.
// Protocol v1: a `run` with the inputs and returnOutputs; v1 reports no digests ("outputs not verified").
import { HarnessError } from '../../lib/errors.js';
import type { LoadInfo, SampleAnswer } from '../backends/backend.js';
import type { RunnerProcessBackend } from '../backends/runner-process.js';
import { NONDETERMINISTIC_TOLERANCE } from '../compliance/compliance-format.js';
import { outputError } from '../compliance/run-compliance.js';
import { outputDigest } from '../runner/protocol.js';
import { mulberry32 } from '../seeded-random.js';
import type { HostTensor } from '../tensors.js';
import type { OutputModel } from './output-model.js';

/** What ties evaluations to the timed run: its performance samples and their accuracy-pass answers. */
export interface RunnerEvaluationAnchors {
  samples: readonly (readonly HostTensor[])[];
  /** Per performance sample, as runAccuracyPass recorded it (null: dropped). */
  answers: readonly (SampleAnswer | null)[];
  /** Seeds the choice of anchor and its slot, so a rerun redraws them. */
  seed: number;
}

const ANCHOR_SEED_SALT = 0x3c6ef372;

function mismatch(message: string): HarnessError {
  return new HarnessError('runner.evaluation_mismatch', message);
}

/**
 * An OutputModel over a loaded runner backend. close() leaves the runner running: the benchmark owns
 * it. A v2 runner's sample library is replaced, so call this only after the timed run and its checks.
 */
export function runnerOutputModel(backend: RunnerProcessBackend, loaded: LoadInfo, anchors: RunnerEvaluationAnchors | undefined): OutputModel {
  const outputNames = loaded.outputs.map((output) => output.name);
  const library = backend.sampleLibrary();
  const usableAnchors = anchors ? anchors.answers.flatMap((answer, index) => (answer?.digests && answer.outputs ? [index] : [])) : [];
  const random = mulberry32(((anchors?.seed ?? 0) ^ ANCHOR_SEED_SALT) >>> 0);
  let evaluated = 0;

  const pick = (outputs: readonly HostTensor[], wanted: readonly string[] | undefined): Record<string, HostTensor> => {
    const byName: Record<string, HostTensor> = {};
    for (const name of wanted ?? outputNames) {
      const tensor = outputs.find((output) => output.name === name);
      if (tensor === undefined) throw new HarnessError('runner.bad_output', `The runner's answer lacks output '${name}'.`);
      byName[name] = tensor;
    }
    return byName;
  };

  return {
    inputs: loaded.inputs,
    outputNames,
    async run(inputs, wanted) {
      const sampleNumber = evaluated++;
      if (library === undefined) return pick(await backend.runWithOutputs(backend.prepareFeeds(inputs)), wanted);
      const anchorIndex = usableAnchors.length === 0 ? undefined : usableAnchors[Math.floor(random() * usableAnchors.length)];
      const anchorFirst = random() < 0.5;
      const samples: (readonly HostTensor[])[] = [inputs];
      if (anchorIndex !== undefined) samples.splice(anchorFirst ? 0 : 1, 0, anchors!.samples[anchorIndex]!);
      await library.loadSamples(samples);
      const answers = await library.runSamplesWithOutputs(samples.map((_, i) => i));
      const evalSlot = anchorIndex !== undefined && anchorFirst ? 1 : 0;
      for (const [slot, answer] of answers.entries()) {
        const what = slot === evalSlot ? `evaluation sample ${sampleNumber}` : `the anchor (performance sample ${anchorIndex})`;
        if (answer.digests === null || answer.outputs === undefined) throw mismatch(`The runner dropped ${what} of an evaluation.`);
        const computed = answer.outputs.map(outputDigest);
        if (computed.length !== answer.digests.length || computed.some((digest, i) => digest !== answer.digests![i])) {
          throw mismatch(`The runner reported digests for ${what} that are not the sha256 of the outputs it returned.`);
        }
      }
      if (anchorIndex !== undefined) {
        const before = anchors!.answers[anchorIndex]!;
        const now = answers[anchorFirst ? 0 : 1]!;
        const same = library.deterministicOutputs
          ? now.digests!.every((digest, i) => digest === before.digests![i])
          : outputError(now.outputs!, before.outputs!) <= NONDETERMINISTIC_TOLERANCE;
        if (!same) {
          throw mismatch(
            `Performance sample ${anchorIndex}, sent beside evaluation sample ${sampleNumber}, answered other outputs than in the accuracy pass before timing: the runner computes evaluations differently from timed queries.`,
          );
        }
      }
      return pick(answers[evalSlot]!.outputs!, wanted);
    },
    async close() {
      // The benchmark closes the runner.
    },
  };
}
