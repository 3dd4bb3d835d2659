import { z } from 'zod';

export const signingEnv = z.object({
  /** PKCS#8 PEM file of the Ed25519 key the API signs reports and certificates with. */
  NPUBENCH_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** The same key given inline (PEM text); takes precedence over the file. */
  NPUBENCH_SIGNING_KEY: z.string().min(1).optional(),
});
