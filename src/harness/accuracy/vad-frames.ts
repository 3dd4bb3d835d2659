// Voice-activity datasets, format `npubench.vad-frames/v1`: one JSON file holding 16 kHz mono audio
// (little-endian int16 PCM, base64) cut into frames of 512 samples (32 ms, Silero VAD's window), one
// label per frame (1 speech, 0 not), and the speech segments the labels are derived from:
//   { "format": "npubench.vad-frames/v1", "sampleRate": 16000, "frameSamples": 512,
//     "audio": { "encoding": "pcm_s16le", "samples": 163840, "sha256": "<of the PCM bytes>", "dataBase64": "…" },
//     "segments": [ { "start": 12800, "end": 30561, "text": "…" } ],   // sample ranges [start, end)
//     "labels": [0, 0, 1, …],                                           // samples / frameSamples entries
//     "source": { … how the audio was made … } }
// A frame is speech when at least half of its samples lie inside a segment; the parser re-derives every
// label from the segments, so the two cannot disagree.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';

export const VAD_FRAMES_FORMAT = 'npubench.vad-frames/v1';
export const VAD_SAMPLE_RATE = 16_000;
export const VAD_FRAME_SAMPLES = 512;

export const vadFramesFileSchema = z.strictObject({
  format: z.literal(VAD_FRAMES_FORMAT),
  sampleRate: z.literal(VAD_SAMPLE_RATE),
  frameSamples: z.literal(VAD_FRAME_SAMPLES),
  audio: z.strictObject({
    encoding: z.literal('pcm_s16le'),
    samples: z.int().min(VAD_FRAME_SAMPLES).max(VAD_SAMPLE_RATE * 3600),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    dataBase64: z.string().min(1),
  }),
  segments: z.array(z.strictObject({ start: z.int().min(0), end: z.int().min(1), text: z.string() })).min(1),
  labels: z.array(z.union([z.literal(0), z.literal(1)])).min(1),
  /** How the audio was made (tool, voice, noise); free-form provenance, not read by the evaluation. */
  source: z.record(z.string(), z.unknown()),
});
export type VadFramesFile = z.infer<typeof vadFramesFileSchema>;

export interface VadFrameSet {
  /** The audio as float32 in [-1, 1): int16 / 32768, as Silero's wrappers feed it. */
  audio: Float32Array;
  labels: (0 | 1)[];
  segments: { start: number; end: number; text: string }[];
}

/** The label of every frame from the speech segments: speech when ≥ half the frame's samples are in one. */
export function labelsFromSegments(segments: readonly { start: number; end: number }[], frames: number): (0 | 1)[] {
  return Array.from({ length: frames }, (_, f) => {
    const [from, to] = [f * VAD_FRAME_SAMPLES, (f + 1) * VAD_FRAME_SAMPLES];
    const inside = segments.reduce((n, s) => n + Math.max(0, Math.min(to, s.end) - Math.max(from, s.start)), 0);
    return inside * 2 >= VAD_FRAME_SAMPLES ? 1 : 0;
  });
}

const invalid = (message: string) => new AppError('dataset.invalid_vad_frames', `Invalid ${VAD_FRAMES_FORMAT} file: ${message}`);

/** Parses a vad-frames file and checks it whole: PCM length and digest, segments in order and in range,
 *  labels equal to the ones the segments give. */
export function parseVadFrames(text: string): VadFrameSet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = vadFramesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'does not match the format'}`);
  }
  const { audio, segments, labels } = parsed.data;
  if (audio.samples % VAD_FRAME_SAMPLES !== 0) throw invalid(`${audio.samples} samples is not a whole number of ${VAD_FRAME_SAMPLES}-sample frames`);
  const bytes = Buffer.from(audio.dataBase64, 'base64');
  if (bytes.length !== audio.samples * 2) throw invalid(`audio has ${bytes.length} bytes for ${audio.samples} int16 samples`);
  if (createHash('sha256').update(bytes).digest('hex') !== audio.sha256) throw invalid('audio bytes do not match audio.sha256');
  segments.forEach((s, i) => {
    if (s.end <= s.start || s.end > audio.samples) throw invalid(`segment ${i} [${s.start}, ${s.end}) is empty or past the audio's end`);
    if (i > 0 && s.start < segments[i - 1]!.end) throw invalid(`segment ${i} overlaps or precedes segment ${i - 1}`);
  });
  const frames = audio.samples / VAD_FRAME_SAMPLES;
  if (labels.length !== frames) throw invalid(`${labels.length} labels for ${frames} frames`);
  const expected = labelsFromSegments(segments, frames);
  const wrong = expected.findIndex((l, f) => l !== labels[f]);
  if (wrong >= 0) throw invalid(`label of frame ${wrong} is ${labels[wrong]}, its segments make it ${expected[wrong]}`);
  // Copied: a decoded Buffer may sit at an odd offset of a shared pool, where an Int16Array cannot.
  const pcm = new Int16Array(Uint8Array.from(bytes).buffer);
  return { audio: Float32Array.from(pcm, (v) => v / 32768), labels, segments };
}
