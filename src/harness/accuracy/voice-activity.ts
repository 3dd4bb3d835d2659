// Voice-activity detection scored per frame: Silero VAD v5 (or any model with its interface) runs over a
// npubench.vad-frames/v1 set frame after frame, carrying its recurrent state, as silero-vad's own
// OnnxWrapper and @ricky0123/vad-web run it: each call gets the 512 new samples behind the last 64 of
// the previous frame (zeros before the first), `state` [2, 1, 128] from the previous call's `stateN`
// (zeros at first) and `sr` = 16000. Every frame's speech probability is recorded, of the candidate and
// of the FP32 reference, so the scores (voice-activity-format.ts) can be recomputed from the record.
// The models run through OutputModel, so a runner device is scored the same way as onnxruntime.
import { HarnessError } from '../../lib/errors.js';
import type { HostTensor, TensorSignatureLike } from '../tensors.js';
import type { OutputModel } from './output-model.js';
import { VAD_FRAME_SAMPLES, VAD_SAMPLE_RATE, type VadFrameSet } from './vad-frames.js';
import type { VoiceActivityRaw, VoiceActivitySpec } from './voice-activity-format.js';

/** Samples of the previous frame put before each new one (silero-vad's context for 16 kHz). */
export const SILERO_CONTEXT_SAMPLES = 64;
const STATE_DIMS = [2, 1, 128] as const;

/** Refuses a model without Silero v5's interface, naming what does not fit. */
export function checkVoiceActivityModel(model: Pick<OutputModel, 'inputs' | 'outputNames'>, what: string): void {
  const problems: string[] = [];
  const input = (name: string) => model.inputs.find((i) => i.name === name);
  const expect = (name: string, elementType: string, rank: number) => {
    const found: TensorSignatureLike | undefined = input(name);
    if (!found) problems.push(`no input '${name}'`);
    else if (found.elementType !== elementType || found.shape.length !== rank) problems.push(`'${name}' is ${found.elementType} of rank ${found.shape.length}, expected ${elementType} of rank ${rank}`);
  };
  expect('input', 'float32', 2);
  expect('state', 'float32', 3);
  expect('sr', 'int64', 0);
  const extra = model.inputs.filter((i) => !['input', 'state', 'sr'].includes(i.name));
  if (extra.length > 0) problems.push(`unexpected inputs ${extra.map((i) => `'${i.name}'`).join(', ')}`);
  for (const name of ['output', 'stateN']) if (!model.outputNames.includes(name)) problems.push(`no output '${name}'`);
  if (problems.length > 0) {
    throw new HarnessError('harness.not_voice_activity_model', `The ${what} does not have Silero VAD v5's interface (inputs input [1, 576] float32, state [2, 1, 128] float32, sr int64; outputs output, stateN): ${problems.join('; ')}.`);
  }
}

/** Silero v5's inputs for frame `f`: the frame behind the previous frame's last 64 samples, the state
 *  (zeros: a fresh stream) and the sample rate. The latency run's performance samples are these too. */
export function sileroFrameInputs(set: VadFrameSet, f: number, state: HostTensor = zeroState()): HostTensor[] {
  const start = f * VAD_FRAME_SAMPLES;
  const window = new Float32Array(SILERO_CONTEXT_SAMPLES + VAD_FRAME_SAMPLES);
  if (f > 0) window.set(set.audio.subarray(start - SILERO_CONTEXT_SAMPLES, start), 0);
  window.set(set.audio.subarray(start, start + VAD_FRAME_SAMPLES), SILERO_CONTEXT_SAMPLES);
  return [{ name: 'input', elementType: 'float32', dims: [1, window.length], data: window }, state, { name: 'sr', elementType: 'int64', dims: [], data: BigInt64Array.of(BigInt(VAD_SAMPLE_RATE)) }];
}

function zeroState(): HostTensor {
  return { name: 'state', elementType: 'float32', dims: STATE_DIMS, data: new Float32Array(STATE_DIMS[0] * STATE_DIMS[1] * STATE_DIMS[2]) };
}

/** Every frame's speech probability, in order, the state carried from frame to frame. */
export async function speechProbabilities(model: OutputModel, set: VadFrameSet, signal?: AbortSignal): Promise<number[]> {
  const frames = set.labels.length;
  let state = zeroState();
  const probabilities: number[] = [];
  for (let f = 0; f < frames; f++) {
    if (signal?.aborted) throw new HarnessError('job.canceled', 'The run was canceled.');
    const out = await model.run(sileroFrameInputs(set, f, state), ['output', 'stateN']);
    const p = out.output?.data;
    const next = out.stateN;
    if (!(p instanceof Float32Array) || p.length !== 1 || next === undefined || !(next.data instanceof Float32Array)) {
      throw new HarnessError('harness.unsupported_output', `Frame ${f}: expected one float32 speech probability in 'output' and a float32 'stateN'.`);
    }
    // A probability outside [0, 1] (or NaN) is not one; the record's schema would refuse it later, less clearly.
    const value = p[0]!;
    if (!(value >= 0 && value <= 1)) throw new HarnessError('harness.unsupported_output', `Frame ${f}: 'output' is ${value}, not a probability.`);
    probabilities.push(value);
    state = { name: 'state', elementType: 'float32', dims: next.dims, data: next.data };
  }
  return probabilities;
}

/** Runs candidate and (when given) reference over the set; the record the summary is computed from. */
export async function evaluateVoiceActivity(
  spec: VoiceActivitySpec,
  set: VadFrameSet,
  candidate: OutputModel,
  reference: OutputModel | null,
  options: { signal?: AbortSignal | undefined; onProgress?: (fraction: number) => void } = {},
): Promise<VoiceActivityRaw> {
  checkVoiceActivityModel(candidate, 'model');
  if (reference) checkVoiceActivityModel(reference, 'reference model');
  const probabilities = await speechProbabilities(candidate, set, options.signal);
  options.onProgress?.(reference ? 0.5 : 1);
  const referenceProbabilities = reference ? await speechProbabilities(reference, set, options.signal) : undefined;
  options.onProgress?.(1);
  return {
    dataset: spec.dataset,
    sampleRate: VAD_SAMPLE_RATE,
    frameSamples: VAD_FRAME_SAMPLES,
    threshold: spec.threshold,
    labels: set.labels,
    probabilities,
    ...(referenceProbabilities && { referenceProbabilities }),
  };
}
