import { z } from 'zod';
import { envBoolean } from './env-schema.js';

export const bootstrapEnv = z.object({
  /** `npm start` runs one quick benchmark of the bundled sample model on first start. */
  NPUBENCH_SAMPLE_BENCHMARK: envBoolean(true),
  /** `npm start` also runs an agent in-process serving the host CPU as device `host-cpu`. */
  NPUBENCH_LOCAL_AGENT: envBoolean(true),
});
