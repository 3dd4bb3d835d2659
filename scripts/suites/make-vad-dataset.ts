// Writes the voice-activity dataset of npubench-edge@2 (`vad-speech-silence@1`, format
// npubench.vad-frames/v1, src/harness/accuracy/vad-frames.ts) from speech that Debian's espeak-ng speaks
// at build time: `apt-get install espeak-ng`, then
//   npx tsx scripts/suites/make-vad-dataset.ts [out.json] [--wav listen.wav]
// The output is committed (test/fixtures/suites/vad-speech-silence-1.json) and pinned by sha256 in the
// catalog, so neither CI nor an agent needs espeak-ng. The same espeak-ng version and Node give the same
// bytes (espeak-ng is deterministic; everything else here is integer or seeded arithmetic).
//
// How the audio is made, and why the labels are right:
//   1. Each sentence (written for npubench) is spoken by espeak-ng with a fixed voice, speed, pitch and
//      amplitude, as 22,050 Hz mono int16 WAV.
//   2. espeak pads its speech with near-silence; it is trimmed by energy: the speech runs from the first
//      to the last 10 ms window whose RMS is at least 1/100 (−40 dB) of the loudest 10 ms window's RMS.
//   3. The trimmed speech is resampled to 16 kHz (windowed-sinc, Blackman window, 7.2 kHz cut-off),
//      scaled to a peak of 0.5 full scale and placed after a seeded silence of 0.4–1.0 s; the audio ends
//      with another silence and is padded to a whole number of 512-sample frames.
//   4. Low-level seeded noise (uniform sum, RMS ≈ 1e-3 full scale, −60 dBFS) is added everywhere, so
//      "silence" is not digital zero.
//   5. The speech segments are where step 3 placed the trimmed speech; a frame is labelled speech when at
//      least half of its 512 samples lie inside one (labelsFromSegments).
// Licence: espeak-ng is GPL-3.0-or-later; the audio it produced of our own sentences is not a derivative
// work of espeak-ng's code, so the dataset is npubench's (Apache-2.0, as the project).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../src/harness/seeded-random.js';
import { labelsFromSegments, parseVadFrames, VAD_FRAME_SAMPLES, VAD_FRAMES_FORMAT, VAD_SAMPLE_RATE, type VadFramesFile } from '../../src/harness/accuracy/vad-frames.js';

/** Written for npubench: short, plain sentences without commas (espeak pauses at commas). */
export const VAD_SENTENCES: readonly string[] = [
  'The benchmark starts now.',
  'Please open the window.',
  'My phone listens for its name.',
  'Quiet rooms sound clean.',
];

const VOICE = { voice: 'en-us', wordsPerMinute: 175, pitch: 50, amplitude: 100 } as const;
const SEED = 20261204;
const NOISE_RMS = 1e-3;
const PEAK = 0.5;
const ESPEAK_RATE = 22_050;

function espeak(text: string): Int16Array {
  const wav = execFileSync('espeak-ng', ['-v', VOICE.voice, '-s', String(VOICE.wordsPerMinute), '-p', String(VOICE.pitch), '-a', String(VOICE.amplitude), '--stdout', text]);
  // RIFF header then chunks; espeak writes 'fmt ' then 'data' (its data size field may be 0x7ffff… on stdout).
  if (wav.toString('latin1', 0, 4) !== 'RIFF' || wav.toString('latin1', 8, 12) !== 'WAVE') throw new Error('espeak-ng did not write a WAV');
  let offset = 12;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('latin1', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      const [format, channels, rate, bits] = [wav.readUInt16LE(offset + 8), wav.readUInt16LE(offset + 10), wav.readUInt32LE(offset + 12), wav.readUInt16LE(offset + 22)];
      if (format !== 1 || channels !== 1 || rate !== ESPEAK_RATE || bits !== 16) throw new Error(`espeak-ng wrote ${format}/${channels} ch/${rate} Hz/${bits} bit, expected PCM mono 22050 Hz 16 bit`);
    }
    if (id === 'data') {
      const end = Math.min(wav.length, offset + 8 + size);
      const data = Uint8Array.from(wav.subarray(offset + 8, end - ((end - offset - 8) % 2)));
      return new Int16Array(data.buffer);
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error('no data chunk in espeak-ng output');
}

/** [start, end) of the speech: first to last 10 ms window with RMS ≥ 1/100 of the loudest window's. */
export function energyTrim(pcm: Int16Array, rate: number): [number, number] {
  const window = Math.round(rate / 100);
  const rms: number[] = [];
  for (let w = 0; w * window < pcm.length; w++) {
    let sum = 0;
    const end = Math.min(pcm.length, (w + 1) * window);
    for (let i = w * window; i < end; i++) sum += pcm[i]! * pcm[i]!;
    rms.push(Math.sqrt(sum / (end - w * window)));
  }
  const floor = Math.max(...rms) / 100;
  const first = rms.findIndex((r) => r >= floor);
  const last = rms.findLastIndex((r) => r >= floor);
  return [first * window, Math.min(pcm.length, (last + 1) * window)];
}

/** Windowed-sinc resampling of float samples from `from` Hz to `to` Hz. */
function resample(x: Float64Array, from: number, to: number): Float64Array {
  const cutoff = 7200 / from; // cycles per input sample, below the 8 kHz Nyquist of 16 kHz
  const half = 32; // taps each side
  const out = new Float64Array(Math.floor((x.length * to) / from));
  for (let n = 0; n < out.length; n++) {
    const t = (n * from) / to;
    const centre = Math.floor(t);
    let sum = 0;
    for (let k = centre - half + 1; k <= centre + half; k++) {
      if (k < 0 || k >= x.length) continue;
      const u = t - k;
      const sinc = u === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * u) / (Math.PI * u);
      const w = 0.42 + 0.5 * Math.cos((Math.PI * u) / half) + 0.08 * Math.cos((2 * Math.PI * u) / half);
      sum += x[k]! * sinc * w;
    }
    out[n] = sum;
  }
  return out;
}

export function makeVadDataset(): { json: string; pcm: Int16Array } {
  const espeakVersion = execFileSync('espeak-ng', ['--version']).toString().trim();
  const random = mulberry32(SEED);
  const silence = () => Math.round(VAD_SAMPLE_RATE * (0.4 + 0.6 * random()));
  const pieces: Float64Array[] = [];
  const segments: VadFramesFile['segments'] = [];
  let length = 0;
  for (const text of VAD_SENTENCES) {
    const spoken = espeak(text);
    const [start, end] = energyTrim(spoken, ESPEAK_RATE);
    const speech = resample(Float64Array.from(spoken.subarray(start, end), (v) => v / 32768), ESPEAK_RATE, VAD_SAMPLE_RATE);
    const peak = speech.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const gap = silence();
    pieces.push(new Float64Array(gap), speech.map((v) => (v * PEAK) / peak));
    segments.push({ start: length + gap, end: length + gap + speech.length, text });
    length += gap + speech.length;
  }
  const tail = silence();
  const samples = Math.ceil((length + tail) / VAD_FRAME_SAMPLES) * VAD_FRAME_SAMPLES;
  pieces.push(new Float64Array(samples - length));
  const pcm = new Int16Array(samples);
  let at = 0;
  // Sum of four uniforms, centred: close to Gaussian, with variance 4/12 = 1/3 before scaling.
  const noise = () => (random() + random() + random() + random() - 2) * NOISE_RMS * Math.sqrt(3);
  for (const piece of pieces) for (const v of piece) pcm[at++] = Math.max(-32768, Math.min(32767, Math.round((v + noise()) * 32768)));
  const bytes = Buffer.from(pcm.buffer);
  const file: VadFramesFile = {
    format: VAD_FRAMES_FORMAT,
    sampleRate: VAD_SAMPLE_RATE,
    frameSamples: VAD_FRAME_SAMPLES,
    audio: { encoding: 'pcm_s16le', samples, sha256: createHash('sha256').update(bytes).digest('hex'), dataBase64: bytes.toString('base64') },
    segments,
    labels: labelsFromSegments(segments, samples / VAD_FRAME_SAMPLES),
    source: {
      generator: 'scripts/suites/make-vad-dataset.ts',
      tts: espeakVersion,
      ...VOICE,
      trim: 'first to last 10 ms window with RMS >= 1/100 of the loudest window',
      resampling: '22050 -> 16000 Hz, windowed sinc (Blackman, 64 taps, 7.2 kHz cut-off)',
      peak: PEAK,
      silence: 'seeded 0.4-1.0 s before each sentence and at the end',
      noise: { kind: 'sum of 4 uniforms', rms: NOISE_RMS, seed: SEED },
      licence: 'Apache-2.0 (npubench): our own sentences; espeak-ng (GPL-3.0-or-later) was the tool, its output is not its code',
    },
  };
  const json = JSON.stringify(file);
  parseVadFrames(json); // the file the evaluation will read must parse
  return { json, pcm };
}

function wavOf(pcm: Int16Array): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.byteLength, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(VAD_SAMPLE_RATE, 24);
  header.writeUInt32LE(VAD_SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.byteLength, 40);
  return Buffer.concat([header, Buffer.from(pcm.buffer)]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const args = process.argv.slice(2);
  const wavAt = args.indexOf('--wav');
  const wav = wavAt >= 0 ? args.splice(wavAt, 2)[1] : undefined;
  const out = path.resolve(args[0] ?? path.join(root, 'test/fixtures/suites/vad-speech-silence-1.json'));
  const { json, pcm } = makeVadDataset();
  writeFileSync(out, json);
  if (wav) writeFileSync(wav, wavOf(pcm));
  const frames = pcm.length / VAD_FRAME_SAMPLES;
  const speech = (JSON.parse(json) as VadFramesFile).labels.filter((l) => l === 1).length;
  console.log(`${path.relative(root, out)}: ${(json.length / 1024).toFixed(0)} KiB, ${(pcm.length / VAD_SAMPLE_RATE).toFixed(2)} s, ${frames} frames (${speech} speech), sha256:${createHash('sha256').update(json).digest('hex')}`);
}
