// Listens for the change notifications Postgres triggers send on "npubench_cache" (see the migration
// cache_invalidation_notify), so in-process caches in every API replica drop what changed. A cache may
// serve entries only while `live` is true: when the listening connection drops, notifications could be
// missed, so every cache is told to clear (`reset`) and stays bypassed until the connection is back.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from './logger.js';

export const CACHE_CHANNEL = 'npubench_cache';
const RECONNECT_MS = 1_000;
const PROBE_TIMEOUT_MS = 2_000;

export interface CacheInvalidationEvents {
  /** A row of `table` changed or was deleted; id '*' means every row (TRUNCATE). */
  change: [table: string, id: string];
  /** Notifications may have been missed: drop everything. */
  reset: [];
}

export class CacheInvalidation extends EventEmitter<CacheInvalidationEvents> {
  private client: pg.Client | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** True while notifications are being received; caches serve entries only then. */
  live = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(50);
  }

  /** Connects and listens; resolves once listening (or once the first attempt failed: caches stay off). */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    this.client = client;
    const lost = (reason: string) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.goOffline(reason);
      client.end().catch(() => undefined);
      if (!this.closed) this.timer = setTimeout(() => void this.start(), RECONNECT_MS).unref();
    };
    client.on('error', (err) => lost(err.message));
    client.on('end', () => lost('connection ended'));
    let probe: { payload: string; arrived: () => void } | undefined;
    client.on('notification', (msg) => {
      if (msg.channel !== CACHE_CHANNEL || !msg.payload) return;
      if (msg.payload === probe?.payload) return probe.arrived();
      const colon = msg.payload.indexOf(':');
      this.emit('change', msg.payload.slice(0, colon), msg.payload.slice(colon + 1));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CACHE_CHANNEL}`);
      // Some servers accept LISTEN but never deliver another session's NOTIFY (embedded PGlite over
      // its socket, PgBouncer in transaction mode). Caches go live only once a notification sent from
      // a second connection has arrived; otherwise they stay off for good.
      const payload = `probe:${randomUUID()}`;
      const arrived = new Promise<boolean>((resolve) => {
        probe = { payload, arrived: () => resolve(true) };
        setTimeout(() => resolve(false), PROBE_TIMEOUT_MS).unref();
      });
      const sender = new pg.Client({ connectionString: this.databaseUrl });
      await sender.connect();
      try {
        await sender.query('SELECT pg_notify($1, $2)', [CACHE_CHANNEL, payload]);
      } finally {
        await sender.end();
      }
      if (!(await arrived)) {
        this.closed = true;
        this.client = undefined;
        await client.end().catch(() => undefined);
        this.log.warn('this database does not deliver notifications between sessions; API keys and reports are read from it on every request');
        return;
      }
      if (this.client !== client) return;
      this.live = true;
    } catch (err) {
      lost((err as Error).message);
    }
  }

  /**
   * Drops what a change made here affects at once, without waiting for its notification: the request
   * that revoked a key gets its answer only after this replica has stopped accepting the key.
   */
  invalidateLocally(table: string, id: string): void {
    this.emit('change', table, id);
  }

  private goOffline(reason: string): void {
    const wasLive = this.live;
    this.live = false;
    this.emit('reset');
    if (wasLive && !this.closed) this.log.warn({ reason }, 'cache invalidation listener lost its connection; caches are bypassed until it is back');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.live = false;
    this.emit('reset');
    await client?.end().catch(() => undefined);
  }
}

export interface InvalidatedCacheOptions<V> {
  /** Total size budget; least recently used entries go first. */
  maxBytes: number;
  /** A safety net only: entries are dropped on notification, long before this. */
  ttlMs: number;
  sizeOf(value: V): number;
  /** Which entries a change notification affects: one key, every entry, those matching, or none. */
  affected(table: string, id: string): { key: string } | 'all' | ((value: V) => boolean) | null;
}

/** One cached value; `dropped` once it left the cache (invalidated, evicted, expired or cleared). */
export interface CacheEntry<V> {
  readonly value: V;
  readonly size: number;
  readonly expiresAt: number;
  touchedAt: number;
  dropped: boolean;
}

/** A hit moves its entry to the young end of the LRU order at most this often. */
const TOUCH_INTERVAL_MS = 1000;

/**
 * An in-process cache whose entries are dropped when Postgres says the rows behind them changed. It
 * serves nothing while the listener is not live. A value read from the database is stored only if no
 * relevant invalidation happened since the read began (`readToken()` before the read, `set()` after),
 * so a stale read can never outlive the notification that overtook it.
 */
export class InvalidatedCache<V> {
  private readonly entries = new Map<string, CacheEntry<V>>();
  private generation = 0;
  private bytes = 0;

  constructor(
    private readonly source: CacheInvalidation,
    private readonly opts: InvalidatedCacheOptions<V>,
  ) {
    source.on('change', (table, id) => {
      const affected = opts.affected(table, id);
      if (affected === null) return;
      this.generation++;
      if (affected === 'all') this.clear();
      else if (typeof affected === 'object') this.delete(affected.key);
      else for (const [key, e] of this.entries) if (affected(e.value)) this.delete(key);
    });
    source.on('reset', () => {
      this.generation++;
      this.clear();
    });
  }

  get(key: string, now = Date.now()): V | undefined {
    return this.entry(key, now)?.value;
  }

  /** The live entry for `key`: for a caller that keeps it and asks `isCurrent` before each use. */
  entry(key: string, now = Date.now()): CacheEntry<V> | undefined {
    if (!this.source.live) return undefined;
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    // Map order is the LRU order. Re-inserting on every hit cost a hot key two Map writes per request
    // (docs/PERFORMANCE.md); once a second keeps the order good enough for eviction.
    if (now - e.touchedAt >= TOUCH_INTERVAL_MS) {
      this.entries.delete(key);
      this.entries.set(key, e);
      e.touchedAt = now;
    }
    return e;
  }

  /** Whether a kept entry may still be served: still in the cache, not expired, listener live. */
  isCurrent(entry: CacheEntry<V>, now = Date.now()): boolean {
    return !entry.dropped && entry.expiresAt > now && this.source.live;
  }

  /** Take before reading the database; pass to set(). Null: the value must not be cached. */
  readToken(): number | null {
    return this.source.live ? this.generation : null;
  }

  set(token: number | null, key: string, value: V, now = Date.now()): void {
    if (token === null || token !== this.generation || !this.source.live) return;
    const size = this.opts.sizeOf(value);
    if (size > this.opts.maxBytes / 4) return;
    this.delete(key);
    this.entries.set(key, { value, size, expiresAt: now + this.opts.ttlMs, touchedAt: now, dropped: false });
    this.bytes += size;
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.opts.maxBytes) break;
      this.delete(oldest);
    }
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.dropped = true;
    this.entries.delete(key);
    this.bytes -= e.size;
  }

  private clear(): void {
    for (const e of this.entries.values()) e.dropped = true;
    this.entries.clear();
    this.bytes = 0;
  }
}
