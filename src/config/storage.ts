import { z } from 'zod';

export const storageEnv = z.object({
  /** Root of the embedded defaults: PGlite data and the artifact store live below it. */
  NPUBENCH_DATA_DIR: z.string().min(1).default('./data'),
  /** Content-addressed artifact store (models, raw samples). Defaults to <data dir>/artifacts. */
  NPUBENCH_ARTIFACT_DIR: z.string().min(1).optional(),
});
