// The canonical digest of a model's files, independent of how they were packed: tar or zip, entry
// order, a wrapping folder, `./` prefixes. Definition (docs/certification.md, "Bundle digest"): one
// line `<sha256 hex> <size> <path>\n` per file, paths relative to the bundle root with '/' and no
// '.' segments, sorted by their UTF-8 bytes, after the header line `npubench-bundle-manifest/v1\n`;
// the digest is the SHA-256 of those UTF-8 bytes. Entry names with control characters are refused at
// extraction, so a line is always one file.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';

export const BUNDLE_MANIFEST_HEADER = 'npubench-bundle-manifest/v1';
/** The name a single-file .onnx upload has in its manifest (a bundle of one file). */
export const SINGLE_MODEL_FILE = 'model.onnx';

// A type, not an interface, so a list of them is a Prisma JSON value as it is.
export type BundleFile = {
  path: string;
  size: number;
  sha256: string;
};

export interface BundleManifest {
  /** SHA-256 (hex) of the canonical manifest text. */
  digest: string;
  /** Every file, in canonical order. */
  files: BundleFile[];
}

const byUtf8 = (a: BundleFile, b: BundleFile) => Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8'));

export function manifestText(files: readonly BundleFile[]): string {
  return `${BUNDLE_MANIFEST_HEADER}\n${[...files].sort(byUtf8).map((f) => `${f.sha256} ${f.size} ${f.path}\n`).join('')}`;
}

export function manifestOf(files: readonly BundleFile[]): BundleManifest {
  const sorted = [...files].sort(byUtf8);
  return { digest: createHash('sha256').update(manifestText(sorted), 'utf8').digest('hex'), files: sorted };
}

export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    hash.update(bytes);
  }
  return { sha256: hash.digest('hex'), size };
}

/** The manifest of `files` (relative paths, '/'-separated) under `root`. */
export async function computeBundleManifest(root: string, files: readonly string[]): Promise<BundleManifest> {
  const entries: BundleFile[] = [];
  for (const path of files) entries.push({ path, ...(await hashFile(join(root, ...path.split('/')))) });
  return manifestOf(entries);
}
