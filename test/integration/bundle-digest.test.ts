// The canonical bundle digest: the same files give the same digest however they were packed (tar or
// zip, `tar -C dir .` with its './' entries, a wrapping folder, any entry order), and one changed byte
// in any file changes it. The expected digest is recomputed here by an independent Python script over
// the source folder (test/helpers/independent-digests.ts), from the definition in docs/certification.md.
import { execFileSync } from 'node:child_process';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { bytesForm, fixtureModel } from '../helpers/fixtures.js';
import { fixtureLlm, tarOf } from '../helpers/archives.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { pythonBundleManifest, type IndependentManifest } from '../helpers/independent-digests.js';

type Manifest = IndependentManifest;
const pythonManifest = pythonBundleManifest;

let t: TestApi;
let vendor: { key: string };
let work: string;
let lmDir: string;

beforeAll(async () => {
  t = await startTestApi();
  vendor = await t.createOrgWithKey('VENDOR');
  work = await createTempDir('npubench-bundle-digest');
  lmDir = join(work, 'tiny-lm');
  await cp(fixtureLlm('tiny-lm'), lmDir, { recursive: true });
});

interface ModelView {
  artifactDigest: string;
  contentDigest: string;
  contents: Manifest['files'];
}

let uploads = 0;
async function upload(bytes: Uint8Array, filename: string): Promise<ModelView> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(bytes, filename, { name: `m${++uploads}` }) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as ModelView;
}

/** The folder's files as a tar made in memory, in the given order. */
async function tarInOrder(dir: string, names: string[], prefix = ''): Promise<Buffer> {
  const files: Record<string, Buffer> = {};
  for (const name of names) files[`${prefix}${name}`] = await readFile(join(dir, name));
  return tarOf(files);
}

describe('canonical bundle digest', () => {
  it('is the same for tar, tar -C dir ., zip, a wrapping folder and any entry order, and matches an independent computation', async () => {
    const expected = pythonManifest(lmDir);
    const names = (await readdir(lmDir)).sort();
    const tarCDot = join(work, 'dot.tar.gz');
    execFileSync('tar', ['-C', lmDir, '-czf', tarCDot, '.']);
    expect(execFileSync('tar', ['-tzf', tarCDot], { encoding: 'utf8' })).toMatch(/^\.\/$/m); // what users' tar really writes
    const zipped = join(work, 'lm.zip');
    execFileSync('zip', ['-q', '-X', zipped, ...[...names].reverse()], { cwd: lmDir });
    const wrappedZip = join(work, 'wrapped.zip');
    execFileSync('zip', ['-q', '-r', '-X', wrappedZip, 'tiny-lm'], { cwd: work });

    const views = [
      await upload(await tarInOrder(lmDir, names), 'a.tar'),
      await upload(await tarInOrder(lmDir, [...names].reverse()), 'b.tar'),
      await upload(await tarInOrder(lmDir, names, './'), 'c.tar'),
      await upload(await readFile(tarCDot), 'dot.tar.gz'),
      await upload(await readFile(zipped), 'lm.zip'),
      await upload(await readFile(wrappedZip), 'wrapped.zip'),
    ];
    // Six different archives, six different upload digests…
    expect(new Set(views.map((v) => v.artifactDigest)).size).toBe(views.length);
    // …one bundle.
    for (const view of views) {
      expect(view.contentDigest).toBe(expected.digest);
      expect(view.contents).toEqual(expected.files);
    }
  });

  it.each(['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json'])('changes when one byte of %s changes', async (file) => {
    const dir = join(work, `changed-${file}`);
    await cp(lmDir, dir, { recursive: true });
    const bytes = await readFile(join(dir, file));
    // One byte the upload checks do not mind: a JSON file's last newline becomes a space; the model's
    // last byte (its opset version, 17) becomes 16. Signatures are read, never executed, at upload.
    const at = file.endsWith('.json') ? bytes.lastIndexOf(0x0a) : bytes.length - 1;
    expect(bytes[at]).toBe(file.endsWith('.json') ? 0x0a : 0x11);
    bytes[at] = file.endsWith('.json') ? 0x20 : 0x10;
    await writeFile(join(dir, file), bytes);
    const names = (await readdir(dir)).sort();
    const view = await upload(await tarInOrder(dir, names), `${file}.tar`);
    const expected = pythonManifest(dir);
    expect(view.contentDigest).toBe(expected.digest);
    expect(view.contentDigest).not.toBe(pythonManifest(lmDir).digest);
  });

  it('covers a single-file .onnx upload as a bundle of one file named model.onnx', async () => {
    const dir = join(work, 'single');
    await cp(fixtureModel('mlp-classifier.onnx'), join(dir, 'mlp-classifier.onnx'), { recursive: true });
    const view = await upload(await readFile(join(dir, 'mlp-classifier.onnx')), 'mlp-classifier.onnx');
    const expected = pythonManifest(dir, 'mlp-classifier.onnx=model.onnx');
    expect(view.contentDigest).toBe(expected.digest);
    expect(view.contents).toEqual(expected.files);
    expect(view.contents[0]!.sha256).toBe(view.artifactDigest);
  });

  it.each([
    ['./../escape', /climbs out/],
    ['./a/../../escape', /climbs out/],
    ['/etc/escape', /absolute path/],
    ['line\nbreak', /control character/],
  ])('still refuses the entry %j', async (name, detail) => {
    const names = (await readdir(lmDir)).sort();
    const files: Record<string, Buffer | string> = {};
    for (const n of names) files[`./${n}`] = await readFile(join(lmDir, n));
    files[name] = 'x';
    const body = expectProblem(await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: bytesForm(await tarOf(files), 'evil.tar', { name: 'evil' }) }), 422, 'bundle.unsafe_entry');
    expect(body.detail).toMatch(detail);
  });
});
