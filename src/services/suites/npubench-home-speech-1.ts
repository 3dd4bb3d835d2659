// npubench-home-speech@1: the sector suite for home-appliance speech, composed of npubench-edge@2's
// voice-activity workload as published (the same object, imported). Its results rank with npubench-edge's
// voice-activity results (rankingWorkloadOf in suite-catalog.ts). A keyword-spotting workload joins it as
// npubench-home-speech@2, in a file of its own; this version stays as it is.
import type { SuiteCatalog } from '../../contracts/suites.js';
import { NPUBENCH_EDGE_2 } from './npubench-edge-2.js';

export const NPUBENCH_HOME_SPEECH_1: SuiteCatalog = {
  id: 'npubench-home-speech@1',
  name: 'npubench-home-speech',
  version: 1,
  title: 'npubench home-appliance speech suite, version 1',
  description:
    'The always-on speech front end of a home appliance: voice-activity detection (Silero VAD v5) on 32 ms frames of 16 kHz audio, scored by frame F1 against labels known from where the speech was placed. The workload is npubench-edge@2\'s, unchanged, so its results compare with npubench-edge\'s.',
  divisions: NPUBENCH_EDGE_2.divisions,
  workloads: [NPUBENCH_EDGE_2.workloads.find((w) => w.id === 'voice-activity')!],
};
