import { z } from 'zod';
import { envBoolean } from './env-schema.js';

export const bootstrapEnv = z.object({
  NPUBENCH_SAMPLE_BENCHMARK: envBoolean(true).describe('`npm start` runs one quick benchmark of the bundled sample model on first start.'),
  NPUBENCH_LOCAL_AGENT: envBoolean(true).describe('`npm start` also runs an agent in-process serving the host CPU as device `host-cpu`.'),
});
