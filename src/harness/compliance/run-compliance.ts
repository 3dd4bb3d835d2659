// The compliance checks' measuring side, for backends with a sample library (runner protocol v2): the
// accuracy pass before timing, the comparison of every answered query with it, the TEST04-like caching
// check after timing, and the pairing of device times with host times. The verdicts are in
// compliance-format.ts, computed from what this records.
import { InferenceSession, type Tensor } from 'onnxruntime-node';
import type { SampleAnswer, SampleLibrary } from '../backends/backend.js';
import { fromOnnxRuntimeTensor, onnxRuntimeSessionOptions, toOnnxRuntimeFeeds } from '../backends/onnxruntime.js';
import { mulberry32 } from '../seeded-random.js';
import { outputDigest } from '../runner/protocol.js';
import type { HostTensor } from '../tensors.js';
import { NONDETERMINISTIC_TOLERANCE, REFERENCE_TOLERANCE, type ComplianceRaw } from './compliance-format.js';

/** Fresh distinct samples and replays of one fresh sample in the caching check, interleaved. */
export const CACHING_CHECK_QUERIES = 32;
/** Non-deterministic devices: share of queries that return full outputs to compare within tolerance. */
export const NONDETERMINISTIC_OUTPUT_SHARE = 1 / 16;

type Numeric = Exclude<HostTensor['data'], string[]>;

/** Largest |a - b| / max(1, largest |expected|) over all outputs; Infinity when shapes or types differ. */
export function outputError(actual: readonly HostTensor[], expected: readonly HostTensor[]): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (const [i, want] of expected.entries()) {
    const got = actual[i];
    if (got === undefined || got.elementType !== want.elementType || got.data.length !== want.data.length) return Infinity;
    if (Array.isArray(want.data) || Array.isArray(got.data)) {
      if (JSON.stringify(got.data) !== JSON.stringify(want.data)) return Infinity;
      continue;
    }
    const a: Numeric = got.data;
    const b: Numeric = want.data;
    let scale = 1;
    let diff = 0;
    for (let k = 0; k < b.length; k++) {
      const wantValue = Number(b[k]);
      const gotValue = Number(a[k]);
      scale = Math.max(scale, Math.abs(wantValue));
      const d = Math.abs(gotValue - wantValue);
      diff = Number.isNaN(d) ? (Number.isNaN(gotValue) && Number.isNaN(wantValue) ? diff : Infinity) : Math.max(diff, d);
    }
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

function ortToHost(name: string, tensor: Tensor): HostTensor {
  const host = fromOnnxRuntimeTensor(name, tensor);
  if (host === undefined) throw new Error(`reference output '${name}' has type ${tensor.type}, which the compliance check cannot compare`);
  return host;
}

/** The reference backend's outputs for each sample: onnxruntime on the CPU, in this process. */
export async function referenceOutputs(modelPath: string, samples: readonly (readonly HostTensor[])[]): Promise<HostTensor[][]> {
  const session = await InferenceSession.create(modelPath, onnxRuntimeSessionOptions({ executionProvider: 'cpu' }));
  try {
    const outputs: HostTensor[][] = [];
    for (const sample of samples) {
      const results = await session.run(toOnnxRuntimeFeeds(sample));
      outputs.push(
        session.outputNames.map((name) => {
          const tensor = results[name];
          if (tensor === undefined) throw new Error(`the reference returned no output '${name}'`);
          return ortToHost(name, tensor);
        }),
      );
    }
    return outputs;
  } finally {
    await session.release();
  }
}

export interface AccuracyPass {
  record: NonNullable<ComplianceRaw['accuracyPass']>;
  /** Per performance sample: the digests and outputs it answered with (null: dropped). */
  answers: (SampleAnswer | null)[];
}

/** Runs every performance sample once with full outputs and checks each reported digest against them. */
export async function runAccuracyPass(
  library: SampleLibrary,
  samples: readonly (readonly HostTensor[])[],
  reference: { modelPath: string } | undefined,
): Promise<AccuracyPass> {
  const answers: (SampleAnswer | null)[] = [];
  for (let index = 0; index < samples.length; index++) {
    const [answer] = await library.runSamplesWithOutputs([index]);
    answers.push(answer?.digests === null || answer === undefined ? null : answer);
  }
  const digestMismatchSamples: number[] = [];
  const droppedSamples: number[] = [];
  answers.forEach((answer, index) => {
    if (answer === null) return droppedSamples.push(index);
    const computed = (answer.outputs ?? []).map(outputDigest);
    if (computed.length !== answer.digests?.length || computed.some((digest, i) => digest !== answer.digests?.[i])) digestMismatchSamples.push(index);
    return undefined;
  });
  let referenceRecord: NonNullable<ComplianceRaw['accuracyPass']>['reference'] = null;
  if (reference !== undefined) {
    const expected = await referenceOutputs(reference.modelPath, samples);
    let maxError = 0;
    const failedSamples: number[] = [];
    answers.forEach((answer, index) => {
      if (answer === null) return;
      const error = outputError(answer.outputs ?? [], expected[index] ?? []);
      maxError = Math.max(maxError, error);
      if (!(error <= REFERENCE_TOLERANCE)) failedSamples.push(index);
    });
    // JSON has no Infinity; a shape or type mismatch records as the largest finite error.
    referenceRecord = { maxError: Number.isFinite(maxError) ? maxError : Number.MAX_VALUE, failedSamples };
  }
  return { record: { samples: samples.length, digestMismatchSamples, droppedSamples, reference: referenceRecord }, answers };
}

/** Every answer to a performance sample against that sample's accuracy-pass answer. */
export function compareAnswers(answers: readonly SampleAnswer[], pass: AccuracyPass, deterministic: boolean): NonNullable<ComplianceRaw['queryOutputs']> {
  let comparedAnswers = 0;
  let mismatches = 0;
  let dropped = 0;
  let firstMismatchSample: number | null = null;
  for (const answer of answers) {
    if (answer.digests === null) {
      dropped++;
      continue;
    }
    const expected = pass.answers[answer.sampleIndex];
    if (expected === undefined) continue; // the caching check's fresh samples have no accuracy pass
    let matches: boolean;
    if (deterministic) {
      matches = expected !== null && expected.digests !== null && expected.digests.every((digest, i) => answer.digests?.[i] === digest);
    } else if (answer.outputs !== undefined) {
      // The outputs must also be what the digests say, or a runner could send honest outputs beside cheap digests.
      const honestDigests = answer.outputs.map(outputDigest).every((digest, i) => answer.digests?.[i] === digest);
      matches = honestDigests && expected !== null && outputError(answer.outputs, expected.outputs ?? []) <= NONDETERMINISTIC_TOLERANCE;
    } else {
      continue;
    }
    comparedAnswers++;
    if (!matches) {
      mismatches++;
      firstMismatchSample ??= answer.sampleIndex;
    }
  }
  return { answers: answers.length, compared: deterministic ? 'digest' : 'tolerance', comparedAnswers, mismatches, dropped, firstMismatchSample };
}

/** Whether each successive query of a non-deterministic device returns full outputs (a seeded subset). */
export function outputSubset(seed: number): () => boolean {
  const random = mulberry32(seed);
  return () => random() < NONDETERMINISTIC_OUTPUT_SHARE;
}

/**
 * TEST04-like: fresh samples `firstFresh .. firstFresh + count - 1` once each, interleaved with sample
 * `firstFresh + count` replayed, host-timed. Interleaving gives both the same machine load.
 */
export async function runCachingCheck(library: SampleLibrary, firstFresh: number, count: number): Promise<{ caching: NonNullable<ComplianceRaw['caching']>; answers: SampleAnswer[] }> {
  const replayIndex = firstFresh + count;
  const distinctNs: number[] = [];
  const replayNs: number[] = [];
  const droppedPairs: number[] = [];
  // Every answer goes back to the caller (the query-outputs check reads them all); each pair's are looked at
  // here to leave out a pair with a dropped answer.
  const answers = library.takeAnswers();
  const answered = () => {
    const taken = library.takeAnswers();
    answers.push(...taken);
    return taken.every((a) => a.digests !== null);
  };
  // The replayed sample's first run would be a cache miss; it primes the comparison.
  await library.runSamples([replayIndex]);
  answered();
  for (let i = 0; i < count; i++) {
    let start = process.hrtime.bigint();
    await library.runSamples([firstFresh + i]);
    distinctNs.push(Number(process.hrtime.bigint() - start));
    const fresh = answered();
    start = process.hrtime.bigint();
    await library.runSamples([replayIndex]);
    replayNs.push(Number(process.hrtime.bigint() - start));
    if (!answered() || !fresh) droppedPairs.push(i);
  }
  return { caching: { distinctNs, replayNs, ...(droppedPairs.length > 0 && { droppedPairs }) }, answers };
}

/** Each query's host latency (issue to answer) beside the sum of its samples' device times; `concurrent`
 *  for Server and Offline, where queries overlap and host time includes waiting for a free queue. */
export function pairDeviceTimes(hostLatenciesNs: readonly number[], deviceNs: readonly number[], samplesPerQuery: number, concurrent = false): NonNullable<ComplianceRaw['timing']> | null {
  if (hostLatenciesNs.length === 0 || deviceNs.length !== hostLatenciesNs.length * samplesPerQuery) return null;
  const perQuery = hostLatenciesNs.map((_, q) => {
    let total = 0;
    for (let s = 0; s < samplesPerQuery; s++) total += deviceNs[q * samplesPerQuery + s] as number;
    return Math.round(total);
  });
  return { hostNs: hostLatenciesNs.map((ns) => Math.round(ns)), deviceNs: perQuery, ...(concurrent && { concurrent }) };
}
