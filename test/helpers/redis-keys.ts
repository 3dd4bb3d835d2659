// The Redis keys under one BullMQ prefix: what a test or benchmark reads back or removes afterwards.
import { Redis } from 'ioredis';

/** Every key under `prefix:`, in SCAN batches (never KEYS, which blocks a shared server). */
export async function* keysUnder(redis: Redis, prefix: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

export async function deleteKeysUnder(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    for await (const keys of keysUnder(redis, prefix)) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}
