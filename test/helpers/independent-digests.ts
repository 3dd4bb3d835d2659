// Digests of the certification formats (docs/certification.md), computed by Python's hashlib from the
// documented definitions: independent of src/, so a test compares the code against the spec.
import { execFileSync } from 'node:child_process';

const PYTHON_MANIFEST = `
import hashlib, json, os, sys
header, root = sys.argv[1], sys.argv[2]
rename = dict(a.split('=', 1) for a in sys.argv[3:])
files = []
for dirpath, _, names in os.walk(root):
    for n in names:
        full = os.path.join(dirpath, n)
        rel = os.path.relpath(full, root).replace(os.sep, '/')
        data = open(full, 'rb').read()
        files.append({'path': rename.get(rel, rel), 'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()})
files.sort(key=lambda f: f['path'].encode('utf-8'))
text = header + '\\n' + ''.join('%s %d %s\\n' % (f['sha256'], f['size'], f['path']) for f in files)
print(json.dumps({'digest': hashlib.sha256(text.encode('utf-8')).hexdigest(), 'files': files}))
`;

export interface IndependentManifest {
  digest: string;
  files: { path: string; size: number; sha256: string }[];
}

const manifest = (header: string, dir: string, renames: string[]): IndependentManifest =>
  JSON.parse(execFileSync('python3', ['-c', PYTHON_MANIFEST, header, dir, ...renames], { encoding: 'utf8' })) as IndependentManifest;

/** The canonical bundle manifest of a folder; `renames` as 'file=name-in-bundle'. */
export const pythonBundleManifest = (dir: string, ...renames: string[]) => manifest('npubench-bundle-manifest/v1', dir, renames);
/** The harness build digest of a harness folder. */
export const pythonHarnessDigest = (dir: string) => manifest('npubench-harness-manifest/v1', dir, []).digest;
/** SHA-256 of a file, hex. */
export const pythonSha256 = (path: string) => execFileSync('python3', ['-c', 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())', path], { encoding: 'utf8' }).trim();
