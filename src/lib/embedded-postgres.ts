// Embedded Postgres for `npm start` without DATABASE_URL: PGlite (Postgres compiled to WebAssembly)
// persisted under the data dir and served over the Postgres wire protocol on a loopback port, so the
// service uses exactly the same Prisma + pg code path as with a real server.
import { mkdir } from 'node:fs/promises';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dataDir);
  // maxConnections > 1: the default of one connection deadlocks a connection pool.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  // After start() the server reports the port the OS picked for port 0.
  return {
    url: `postgresql://postgres:postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
