import { z } from 'zod';
import { envByteSize, envInt } from './env-schema.js';

export const serverEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1').describe('Address the API listens on (`0.0.0.0` in a container).'),
  PORT: envInt(3000, 0, 65535).describe('API port; `0` picks a free one.'),
  NPUBENCH_PUBLIC_URL: z.url().optional().describe('The URL clients and agents use to reach the API (report links, agent downloads). Defaults to `http://HOST:PORT`.'),
  NPUBENCH_LAB_NAME: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .default('npubench lab')
    .describe('The certification lab\'s name, signed into every certificate as its issuer (with `NPUBENCH_PUBLIC_URL` and the signing key id) and printed on the PDF.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.'),
  NPUBENCH_MAX_UPLOAD_BYTES: envByteSize(2 * 1024 ** 3).describe('Largest accepted model upload (`1048576`, `512MiB`, `2GiB`, …).'),
  NPUBENCH_BUNDLE_MAX_ENTRIES: envInt(1_000, 1, 1_000_000).describe('Most entries (files and folders) an uploaded model bundle or dataset archive may hold.'),
  NPUBENCH_BUNDLE_MAX_ENTRY_BYTES: envByteSize(8 * 1024 ** 3).describe('Largest uncompressed size of one file in an uploaded model bundle or dataset archive.'),
  NPUBENCH_BUNDLE_MAX_UNPACKED_BYTES: envByteSize(16 * 1024 ** 3).describe('Largest uncompressed size of a whole uploaded model bundle or dataset archive (decompression-bomb guard).'),
  NPUBENCH_MAX_RESULT_BYTES: envByteSize(256 * 1024 ** 2).describe('Largest accepted raw-samples upload from an agent.'),
  NPUBENCH_UPLOAD_IDLE_TIMEOUT_MS: envInt(30_000, 100, 3_600_000).describe(
    'An upload (model, agent result) that delivers no new bytes and no new part for this long fails with 400 `upload.malformed_multipart`, so a body the multipart parser cannot finish never holds a request open.',
  ),
  NPUBENCH_CORS_ORIGINS: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((o) => o.trim()).filter(Boolean) : []))
    .pipe(z.array(z.url()))
    .describe('Comma-separated browser origins allowed to call the API cross-origin (e.g. `https://dash.example.org`). Unset: no cross-origin access.'),
  NPUBENCH_AUTH_FAILURE_LIMIT: envInt(20, 1, 100_000).describe('Failed authentications one client IP may make per minute before it gets 429 `auth.too_many_failures`.'),
  NPUBENCH_RECONCILE_INTERVAL_MS: envInt(30_000, 0, 3_600_000).describe('How often the API re-queues jobs Redis lost and fails jobs of vanished agents; `0` turns it off.'),
  NPUBENCH_AGENT_DEADLINE_MS: envInt(120_000, 1_000, 86_400_000).describe('A running job whose agent has sent no heartbeat for this long is failed with `agent.vanished`.'),
  NPUBENCH_DASHBOARD_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('Folder with the built dashboard (`index.html`, `assets/`) that the API serves at `/`. Unset: `dist/dashboard` of this checkout, where `npm run build:dashboard` writes it.'),
  NPUBENCH_METRICS_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe('Bearer token that `GET /metrics` requires (Prometheus `authorization: { credentials: … }`). Unset: `/metrics` is open, as Prometheus expects on a private network.'),
});
