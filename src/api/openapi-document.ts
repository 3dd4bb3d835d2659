// The OpenAPI document without a running service: the app is built with dependencies that are never
// called (building registers routes and schemas only), so `npm run docs:generate` can write
// docs/openapi.json and a test can catch API changes that were not meant.
import type { Redis } from 'ioredis';
import { build } from './app.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../lib/logger.js';
import { createDb } from '../lib/database.js';
import { FsArtifactStore } from '../lib/artifact-store.js';
import { BenchQueues } from '../queue/bench-queues.js';
import { generateSigningKeyPem, signingKeyFromPem } from '../lib/crypto/signing-keys.js';
import { noteSignerFrom } from '../lib/crypto/signed-note.js';

export async function buildOpenApiDocument(): Promise<unknown> {
  const config = loadConfig({ NPUBENCH_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent' });
  const unusedRedis = {} as Redis;
  const db = createDb('postgresql://unused@127.0.0.1:1/unused', 1);
  const app = await build({
    db,
    redis: unusedRedis,
    queues: new BenchQueues(unusedRedis, 'unused'),
    store: new FsArtifactStore('/nonexistent'),
    config,
    log: createLogger('silent'),
    signer: signingKeyFromPem(generateSigningKeyPem()),
    logSigner: noteSignerFrom(config.logOrigin, signingKeyFromPem(generateSigningKeyPem())),
  });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return JSON.parse(JSON.stringify(document)) as unknown;
}
