// Defensive extraction of uploaded archives (zip, tar, tar.gz) into a fresh directory. Uploads are
// untrusted: every entry name is checked before anything is written (no absolute paths, no `..`, no
// backslashes or control characters; `./` prefixes, as `tar -C dir .` writes, are dropped), only regular files and directories are accepted (symlinks, hard links and
// devices are refused, since they can point outside the directory), each file is created exclusively
// (a repeated name cannot overwrite an earlier file), and the entry count, each entry's size and the
// total size are capped while the bytes stream, so a decompression bomb stops at the cap instead of
// filling the disk. A zip's declared sizes are not trusted either: the streamed bytes are counted.
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';
import tarStream from 'tar-stream';
import { AppError } from '../errors.js';

export interface ExtractLimits {
  /** Most entries (files and directories) one archive may hold. */
  maxEntries: number;
  /** Largest uncompressed size of one file. */
  maxEntryBytes: number;
  /** Largest uncompressed size of all files together. */
  maxTotalBytes: number;
}

/** Generous caps for the agent, which re-checks archives the API already accepted under its own (configured) caps. */
export const DEFAULT_EXTRACT_LIMITS: Readonly<ExtractLimits> = { maxEntries: 10_000, maxEntryBytes: 64 * 1024 ** 3, maxTotalBytes: 64 * 1024 ** 3 };

export type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

export interface ExtractedArchive {
  kind: ArchiveKind;
  /** Relative paths (with '/') of the files written, in archive order. */
  files: string[];
  totalBytes: number;
}

const unsafe = (message: string) => new AppError('bundle.unsafe_entry', message);
const tooLarge = (message: string, extra: Record<string, unknown>) => new AppError('bundle.too_large', message, extra);
const unreadable = (message: string) => new AppError('bundle.unreadable', message);

/** The archive kind from the first bytes, or null when the file is none of them. */
export async function sniffArchiveKind(path: string): Promise<ArchiveKind | null> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip';
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
    if (bytesRead >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
    return null;
  } finally {
    await handle.close();
  }
}

/** The archive's own root folder (`./`, as `tar -C dir .` writes first): nothing to create. */
export function isRootEntry(raw: string): boolean {
  return raw.length > 0 && raw.split('/').every((segment) => segment === '' || segment === '.') && !raw.startsWith('/');
}

/** Checks an entry name and returns it normalized (no trailing '/', no './' segments). */
export function safeEntryPath(raw: string): string {
  const shown = JSON.stringify(raw.slice(0, 200));
  if (raw.includes('\0')) throw unsafe(`Archive entry ${shown} has a NUL byte in its name.`);
  // A newline in a name would break the one-line-per-file bundle manifest (bundle-manifest.ts).
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw unsafe(`Archive entry ${shown} has a control character in its name.`);
  if (raw.includes('\\')) throw unsafe(`Archive entry ${shown} uses backslashes; use '/' as the path separator.`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw unsafe(`Archive entry ${shown} has an absolute path; entries must stay inside the bundle.`);
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw unsafe(`Archive entry ${shown} climbs out with '..'; entries must stay inside the bundle.`);
  if (segments.length === 0) throw unsafe(`Archive entry ${shown} has an empty name.`);
  return segments.join('/');
}

class Budget {
  entries = 0;
  totalBytes = 0;
  constructor(private readonly limits: ExtractLimits) {}

  countEntry(): void {
    if (++this.entries > this.limits.maxEntries) {
      throw new AppError('bundle.too_many_entries', `The archive holds more than ${this.limits.maxEntries} entries.`, { limit: this.limits.maxEntries });
    }
  }

  checkDeclared(name: string, size: number): void {
    if (size > this.limits.maxEntryBytes) throw tooLarge(`Archive entry '${name}' unpacks to ${size} bytes; one entry may hold at most ${this.limits.maxEntryBytes}.`, { limitBytes: this.limits.maxEntryBytes });
  }

  /** Counts bytes as they stream, so sizes that lie in a header cannot get past the caps. */
  meter(name: string): Transform {
    let entryBytes = 0;
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        entryBytes += chunk.length;
        this.totalBytes += chunk.length;
        if (entryBytes > this.limits.maxEntryBytes) return callback(tooLarge(`Archive entry '${name}' unpacks to more than ${this.limits.maxEntryBytes} bytes.`, { limitBytes: this.limits.maxEntryBytes }));
        if (this.totalBytes > this.limits.maxTotalBytes) return callback(tooLarge(`The archive unpacks to more than ${this.limits.maxTotalBytes} bytes.`, { limitBytes: this.limits.maxTotalBytes }));
        callback(null, chunk);
      },
    });
  }
}

async function writeEntry(dest: string, name: string, source: Readable, budget: Budget): Promise<void> {
  const target = resolve(dest, name);
  // safeEntryPath already rules this out; the check keeps the invariant local to the write.
  if (!target.startsWith(dest + sep)) throw unsafe(`Archive entry '${name}' resolves outside the bundle.`);
  await mkdir(dirname(target), { recursive: true });
  let handle;
  try {
    handle = await open(target, 'wx', 0o644);
  } catch (err) {
    source.resume();
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw unsafe(`Archive entry '${name}' appears twice.`);
    throw unsafe(`Archive entry '${name}' cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'}); is a file also used as a folder?`);
  }
  await pipeline(source, budget.meter(name), handle.createWriteStream());
}

/**
 * Unpacks `archivePath` into `dest` (created; must not exist yet). On any failure `dest` is removed, so
 * nothing half-extracted is left behind. Throws AppError (`bundle.*`) for hostile or broken archives.
 */
export async function extractArchive(archivePath: string, dest: string, limits: ExtractLimits): Promise<ExtractedArchive> {
  const kind = await sniffArchiveKind(archivePath);
  if (kind === null) throw unreadable('The file is neither a zip nor a tar (optionally gzip-compressed) archive.');
  const root = resolve(dest);
  await mkdir(root, { recursive: false });
  try {
    const budget = new Budget(limits);
    const files = kind === 'zip' ? await extractZip(archivePath, root, budget) : await extractTar(archivePath, kind === 'tar.gz', root, budget);
    return { kind, files, totalBytes: budget.totalBytes };
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    if (err instanceof AppError) throw err;
    throw unreadable(`The archive could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolvePromise, reject) =>
    // decodeStrings: false hands us raw names, so our own checks (not yauzl's) decide and explain.
    yauzl.open(path, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true }, (err, zip) => (err ? reject(err) : resolvePromise(zip))),
  );
}

async function extractZip(path: string, dest: string, budget: Budget): Promise<string[]> {
  const zip = await openZip(path);
  const files: string[] = [];
  try {
    await new Promise<void>((resolvePromise, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolvePromise());
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          budget.countEntry();
          const rawName = (entry.fileName as unknown as Buffer).toString('utf8');
          const isDirectory = rawName.endsWith('/');
          if (isDirectory && isRootEntry(rawName)) {
            zip.readEntry();
            return;
          }
          const name = safeEntryPath(rawName);
          // Unix mode bits live in the high half of the external attributes (0 when made elsewhere).
          const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
          if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) throw unsafe(`Archive entry '${name}' is a symbolic link or special file; bundles may hold only regular files.`);
          if (isDirectory || mode === S_IFDIR) {
            await mkdir(join(dest, name), { recursive: true });
          } else {
            budget.checkDeclared(name, entry.uncompressedSize);
            const stream = await zip.openReadStreamPromise(entry);
            await writeEntry(dest, name, stream, budget);
            files.push(name);
          }
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return files;
}

async function extractTar(path: string, gzip: boolean, dest: string, budget: Budget): Promise<string[]> {
  const files: string[] = [];
  const extract = tarStream.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      budget.countEntry();
      const { header } = entry;
      if (header.type === 'directory' && isRootEntry(header.name)) {
        entry.resume();
        continue;
      }
      const name = safeEntryPath(header.name);
      if (header.type === 'directory') {
        await mkdir(join(dest, name), { recursive: true });
        entry.resume();
      } else if (header.type === 'file' || header.type === 'contiguous-file') {
        budget.checkDeclared(name, header.size ?? 0);
        await writeEntry(dest, name, entry as unknown as Readable, budget);
        files.push(name);
      } else {
        entry.resume();
        const what = header.type === 'symlink' || header.type === 'link' ? `a ${header.type === 'link' ? 'hard' : 'symbolic'} link to '${header.linkname ?? ''}'` : `a ${header.type ?? 'special'} entry`;
        throw unsafe(`Archive entry '${name}' is ${what}; bundles may hold only regular files and folders.`);
      }
    }
  })();
  const feed = gzip ? pipeline(createReadStream(path), createGunzip(), extract) : pipeline(createReadStream(path), extract);
  try {
    await Promise.all([consume, feed]);
  } catch (err) {
    extract.destroy();
    await Promise.allSettled([consume, feed]);
    throw err;
  }
  return files;
}

/** Relative paths of every file under `dir` (for checks after extraction). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split(sep).join('/'));
}
