// Which harness measured: the package version alone says nothing about local edits, so the build is
// identified by a digest over the harness's own files as they sit on disk (src/harness when run from
// source, dist/harness when built), plus the git commit when the code sits in a git checkout. Computed
// once per process. Definition (docs/certification.md, "Harness build"): the bundle-manifest text of
// every regular file under the harness folder (`npubench-harness-manifest/v1\n`, then
// `<sha256> <size> <path>\n` sorted by UTF-8 path bytes), hashed with SHA-256.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const HARNESS_MANIFEST_HEADER = 'npubench-harness-manifest/v1';

export const harnessBuildSchema = z.strictObject({
  /** package.json version of npubench. */
  version: z.string(),
  /** SHA-256 (hex) over the harness folder's files (see above). */
  sourceDigest: z.string().regex(/^[0-9a-f]{64}$/),
  /** Whether the digest was taken over TypeScript sources or built JavaScript. */
  sourceKind: z.enum(['source', 'built']),
  /** HEAD of the git checkout the code runs from; null outside one. */
  gitCommit: z.string().regex(/^[0-9a-f]{40,64}$/).nullable(),
  /** The harness folder differs from gitCommit (uncommitted edits): the commit alone does not name the code. */
  gitDirty: z.boolean().nullable(),
});
export type HarnessBuild = z.infer<typeof harnessBuildSchema>;

const HARNESS_DIR = dirname(fileURLToPath(import.meta.url));

/** The digest of every file under `dir`, by the definition above. */
export function harnessSourceDigest(dir: string): string {
  const files: { path: string; size: number; sha256: string }[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const bytes = readFileSync(full);
    files.push({ path: relative(dir, full).split(sep).join('/'), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  files.sort((a, b) => Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8')));
  const text = `${HARNESS_MANIFEST_HEADER}\n${files.map((f) => `${f.sha256} ${f.size} ${f.path}\n`).join('')}`;
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function packageVersion(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const parsed = z.object({ name: z.literal('npubench'), version: z.string() }).safeParse(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')));
      if (parsed.success) return parsed.data.version;
    } catch {
      // no package.json here: look further up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

function git(dir: string, args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

/** The build identity of the harness in `dir` (default: this one). */
export function describeHarnessBuild(dir: string = HARNESS_DIR): HarnessBuild {
  const commit = git(dir, ['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(dir, ['status', '--porcelain', '--', '.']);
  return {
    version: packageVersion(dir),
    sourceDigest: harnessSourceDigest(dir),
    sourceKind: import.meta.url.endsWith('.ts') ? 'source' : 'built',
    gitCommit: commit !== null && /^[0-9a-f]{40,64}$/.test(commit) ? commit : null,
    gitDirty: status === null ? null : status !== '',
  };
}

let cached: HarnessBuild | undefined;
/** This process's harness build, computed on first use. */
export function harnessBuild(): HarnessBuild {
  cached ??= describeHarnessBuild();
  return cached;
}

/** A short version string for logs and the agent registration: `0.1.0+<12 hex of the digest>`. */
export function harnessVersionLabel(build: HarnessBuild = harnessBuild()): string {
  return `${build.version}+${build.sourceDigest.slice(0, 12)}`;
}
