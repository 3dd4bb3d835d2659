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

export const logSigningEnv = z.object({
  NPUBENCH_LOG_KEY_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('PKCS#8 PEM file of the Ed25519 key the transparency log signs its checkpoints with (`npubench keys generate`); must not be the signing key. When neither this nor `NPUBENCH_LOG_KEY` is set, a key is generated at `<data dir>/log-key.pem`.'),
  NPUBENCH_LOG_KEY: z.string().min(1).optional().describe('The same log key given inline (PEM text); takes precedence over the file.'),
  NPUBENCH_LOG_ORIGIN: z
    .string()
    .regex(/^[^\s+]+$/u, 'a log origin holds no spaces and no "+"')
    .optional()
    .describe('The log\'s origin line and note key name (c2sp.org/tlog-checkpoint), e.g. `lab.example/npubench/log`. Defaults to the public URL\'s host and path followed by `/npubench/log`; set it explicitly in production, since verifiers and monitors pin it.'),
});
