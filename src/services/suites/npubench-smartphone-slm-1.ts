// npubench-smartphone-slm@1: the sector suite for a smartphone's on-device small language model, composed
// of npubench-edge's LM workload as published (the same object, imported): MMLU-style multiple choice and
// TTFT/TPOT at fixed lengths. Its results rank with npubench-edge's slm-mmlu results
// (rankingWorkloadOf in suite-catalog.ts). The suite is versioned on its own.
import type { SuiteCatalog } from '../../contracts/suites.js';
import { NPUBENCH_EDGE_1 } from './npubench-edge-1.js';

export const NPUBENCH_SMARTPHONE_SLM_1: SuiteCatalog = {
  id: 'npubench-smartphone-slm@1',
  name: 'npubench-smartphone-slm',
  version: 1,
  title: 'npubench smartphone small-language-model suite, version 1',
  description:
    'A small causal LM with KV cache on a smartphone NPU: MMLU-style multiple-choice quality against the FP32 reference, and time to first token and per output token at fixed prompt and output lengths. The workload is npubench-edge\'s, unchanged, so its results compare with npubench-edge\'s.',
  divisions: NPUBENCH_EDGE_1.divisions,
  workloads: [NPUBENCH_EDGE_1.workloads.find((w) => w.id === 'slm-mmlu')!],
};
