// Prisma CLI configuration. Prisma 6.19.3's CLI can run its WebAssembly schema engine (no native
// binary to download, which these offline machines cannot do) when it is given a driver adapter.
// Two Postgres catalog types (`name`, oid 19, and `"char"`, oid 18) break that engine through
// adapter-pg 6.x; the pg.Client subclass below reports them as text. See docs/DECISIONS.md.
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/npubench';
process.env.DATABASE_URL ??= DEFAULT_URL;

const TEXT_OID = 25;
const CATALOG_TEXT_LIKE_OIDS = new Set([18, 19]);

class CatalogTypesAsTextClient extends pg.Client {
  override query(...args: unknown[]): never {
    const patch = (res: unknown): unknown => {
      for (const r of Array.isArray(res) ? res : [res]) {
        const fields = (r as { fields?: { dataTypeID: number }[] } | undefined)?.fields;
        for (const f of fields ?? []) if (CATALOG_TEXT_LIKE_OIDS.has(f.dataTypeID)) f.dataTypeID = TEXT_OID;
      }
      return res;
    };
    // pg-pool calls query with a trailing callback; the adapter may also use the promise form.
    const last = args.at(-1);
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) => (last as (e: unknown, r: unknown) => void)(err, err ? res : patch(res));
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    return (result instanceof Promise ? result.then(patch) : result) as never;
  }
}

function poolConfig(urlString: string): pg.PoolConfig {
  // Discrete fields, not connectionString: a connectionString would override the shadow database name.
  const url = new URL(urlString);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username) || undefined,
    password: decodeURIComponent(url.password) || undefined,
    database: url.pathname.replace(/^\//, '') || undefined,
    idleTimeoutMillis: 100,
    Client: CatalogTypesAsTextClient,
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  async adapter() {
    return new PrismaPg(poolConfig(process.env.DATABASE_URL ?? DEFAULT_URL));
  },
});
