import { z } from 'zod';
import { envInt } from './env-schema.js';

export const retentionEnv = z.object({
  NPUBENCH_RETENTION_RAW_SAMPLES_DAYS: envInt(0, 0, 36_500).describe(
    '`npubench prune` deletes the raw samples of reports older than this many days, except reports with a certificate. `0` keeps them forever.',
  ),
});
