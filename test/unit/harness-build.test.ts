// The harness build identity: a digest over the harness's files (recomputed here by an independent
// Python script from the definition in docs/certification.md) that changes with any edit, the package
// version, and the git commit of the checkout. Computed over temp copies, so edits touch nothing real.
import { execFileSync } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeHarnessBuild, harnessBuild, harnessVersionLabel } from '../../src/harness/index.js';
import { AGENT_VERSION } from '../../src/workers/agent/agent.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { pythonHarnessDigest } from '../helpers/independent-digests.js';

const HARNESS_SRC = fileURLToPath(new URL('../../src/harness/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

describe('harness build identity', () => {
  it('digests the harness folder as an independent computation does, and changes with one edited byte or one added file', async () => {
    const copy = join(await createTempDir('npubench-harness-copy'), 'harness');
    await cp(HARNESS_SRC, copy, { recursive: true });
    const before = describeHarnessBuild(copy);
    expect(before.sourceDigest).toBe(pythonHarnessDigest(copy));
    expect(before.sourceDigest).toBe(pythonHarnessDigest(HARNESS_SRC));
    // Outside a git checkout there is no commit to name.
    expect(before.gitCommit).toBeNull();
    expect(before.gitDirty).toBeNull();

    const file = join(copy, 'stats', 'latency-percentiles.ts');
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1] === 0x0a ? 0x20 : 0x0a;
    await writeFile(file, bytes);
    const edited = describeHarnessBuild(copy);
    expect(edited.sourceDigest).toBe(pythonHarnessDigest(copy));
    expect(edited.sourceDigest).not.toBe(before.sourceDigest);

    await writeFile(join(copy, 'extra.ts'), 'export {};\n');
    expect(describeHarnessBuild(copy).sourceDigest).not.toBe(edited.sourceDigest);
  });

  it('names the package version and the checkout commit, and the agent registers with them instead of a constant', async () => {
    const build = harnessBuild();
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(build.version).toBe(pkg.version);
    expect(build.sourceDigest).toBe(pythonHarnessDigest(HARNESS_SRC));
    expect(build.sourceKind).toBe('source');
    expect(build.gitCommit).toBe(execFileSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim());
    expect(build.gitDirty).toBe(execFileSync('git', ['-C', REPO, 'status', '--porcelain', '--', 'src/harness'], { encoding: 'utf8' }).trim() !== '');
    expect(AGENT_VERSION).toBe(`${pkg.version}+${build.sourceDigest.slice(0, 12)}`);
    expect(harnessVersionLabel()).toBe(AGENT_VERSION);
  });
});
