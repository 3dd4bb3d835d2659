// The one place the process environment is read. Each area declares its variables in its own file;
// parsing happens once at boot and a bad value stops the process with the variable's name.
import { z } from 'zod';
import { resolve } from 'node:path';
import { serverEnv } from './server.js';
import { artifactStoreSettings, checkStorageEnv, storageEnv, type ArtifactStoreSettings } from './storage.js';
import { databaseEnv } from './database.js';
import { redisEnv } from './redis.js';
import { bootstrapEnv } from './bootstrap.js';
import { agentEnv } from './agent.js';
import { logSigningEnv, signingEnv } from './signing.js';
import { retentionEnv } from './retention.js';

export const envSchema = z.object({
  ...serverEnv.shape,
  ...storageEnv.shape,
  ...databaseEnv.shape,
  ...redisEnv.shape,
  ...bootstrapEnv.shape,
  ...agentEnv.shape,
  ...signingEnv.shape,
  ...logSigningEnv.shape,
  ...retentionEnv.shape,
}).superRefine(checkStorageEnv);

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env;
  dataDir: string;
  artifactDir: string;
  artifactStore: ArtifactStoreSettings;
  agentCacheDir: string;
  publicUrl: string;
  /** The lab that issues this service's certificates, as they name it (NPUBENCH_LAB_NAME). */
  labName: string;
  /** Where rotated signing keys live (NPUBENCH_SIGNING_KEY_DIR). */
  signingKeyDir: string;
  /** The transparency log's origin (and its note key's name). */
  logOrigin: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset" (docker-compose and shells often export VAR= ).
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })));
  }
  const env = parsed.data;
  const dataDir = resolve(env.NPUBENCH_DATA_DIR);
  const artifactDir = resolve(env.NPUBENCH_ARTIFACT_DIR ?? `${dataDir}/artifacts`);
  const publicUrl = (env.NPUBENCH_PUBLIC_URL ?? `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}`).replace(/\/$/, '');
  return {
    env,
    dataDir,
    artifactDir,
    artifactStore: artifactStoreSettings(env, { dataDir, artifactDir }),
    agentCacheDir: resolve(env.NPUBENCH_AGENT_CACHE_DIR ?? `${dataDir}/agent-cache`),
    labName: env.NPUBENCH_LAB_NAME,
    signingKeyDir: resolve(env.NPUBENCH_SIGNING_KEY_DIR ?? `${dataDir}/signing-keys`),
    publicUrl,
    logOrigin: env.NPUBENCH_LOG_ORIGIN ?? defaultLogOrigin(publicUrl),
  };
}

/** `https://lab.example/prefix` → `lab.example/prefix/npubench/log`: a schema-less URL, as C2SP recommends. */
export function defaultLogOrigin(publicUrl: string): string {
  const url = new URL(publicUrl);
  return `${url.host}${url.pathname.replace(/\/+$/, '')}/npubench/log`;
}
