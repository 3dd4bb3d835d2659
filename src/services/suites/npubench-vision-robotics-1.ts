// npubench-vision-robotics@1: the sector suite for robot and vehicle vision, composed of npubench-edge's
// workloads as published (the same objects, imported, never copies): 224×224 image classification and
// OCR text detection and recognition (signs, labels, displays). A result of one of these workloads
// ranks with the same workload's results from npubench-edge (rankingWorkloadOf in suite-catalog.ts),
// since the reference, dataset and quality target are the same. The suite is versioned on its own.
import type { SuiteCatalog } from '../../contracts/suites.js';
import { NPUBENCH_EDGE_2 } from './npubench-edge-2.js';
import { IMAGE_CLASSIFICATION_224 } from './npubench-edge-3.js';

const workload = (id: string) => NPUBENCH_EDGE_2.workloads.find((w) => w.id === id)!;

export const NPUBENCH_VISION_ROBOTICS_1: SuiteCatalog = {
  id: 'npubench-vision-robotics@1',
  name: 'npubench-vision-robotics',
  version: 1,
  title: 'npubench robot and vehicle vision suite, version 1',
  description:
    'The vision a robot or a vehicle runs on its NPU: image classification at 224×224 (SqueezeNet 1.1) and reading text in the scene (PP-OCRv4 detection and recognition). The workloads are npubench-edge\'s, unchanged, so their results compare with npubench-edge\'s; each with a pinned FP32 reference model, a dataset with known ground truth and a quality target relative to the reference.',
  divisions: NPUBENCH_EDGE_2.divisions,
  workloads: [IMAGE_CLASSIFICATION_224, workload('ocr-detection'), workload('ocr-recognition')],
};
