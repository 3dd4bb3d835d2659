import { z } from 'zod';

export const signingEnv = z.object({
  NPUBENCH_SIGNING_KEY_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('PKCS#8 PEM file of the Ed25519 key the API signs reports and certificates with (`npubench keys generate`). When neither this nor `NPUBENCH_SIGNING_KEY` is set, a key is generated at `<data dir>/signing-key.pem`.'),
  NPUBENCH_SIGNING_KEY: z.string().min(1).optional().describe('The same key given inline (PEM text); takes precedence over the file.'),
});
