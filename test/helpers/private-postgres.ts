// A throw-away Postgres cluster on a free loopback port, for tests that stop the database under a
// running API. Never the shared server: stopping that would break every other test file. initdb
// refuses to run as root, so as root the cluster belongs to the `postgres` user (Debian's package
// creates it) and its commands run through runuser.
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/lib/free-port.js';

const run = promisify(execFile);

export interface PrivatePostgres {
  /** postgresql://… of the `postgres` database. */
  url: string;
  port: number;
  start(): Promise<void>;
  /** Fast shutdown: open connections are cut, as in a crash or failover. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

async function binDir(): Promise<string> {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? (await readdir(root)).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions[0]) throw new Error('No Postgres binaries under /usr/lib/postgresql (apt-get install postgresql) and PG_BIN_DIR is unset');
  return join(root, versions[0], 'bin');
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'npubench-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(uid), Number(gid));
  }
  const pgCommand = (tool: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args));
  const data = join(dir, 'data');
  await pgCommand('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const pg: PrivatePostgres = {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => void (await pgCommand('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'])),
    stop: async () => void (await pgCommand('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'])),
    destroy: async () => {
      await pgCommand('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}
