import { z } from 'zod';

export const signingEnv = z.object({
  NPUBENCH_SIGNING_KEY_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('PKCS#8 PEM file of the Ed25519 key the API signs reports and certificates with (`npubench keys generate`). When neither this nor `NPUBENCH_SIGNING_KEY` is set, a key is generated at `<data dir>/signing-key.pem`.'),
  NPUBENCH_SIGNING_KEY: z.string().min(1).optional().describe('The same key given inline (PEM text); takes precedence over the file.'),
  NPUBENCH_SIGNING_KEY_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Directory of the keys `npubench keys rotate` makes (`<key id>.pem`, mode 600). Every API replica reads the active key from the database and its private half from here, so share it between replicas (a secret volume). Default `<data dir>/signing-keys`.',
    ),
});
