// Models too large to commit, written by their seeded scripts on first use and checked by sha256, so
// every test reads the same bytes. Debian's python3-onnx and numpy write them (.ci/run installs both).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './processes.js';

/** SqueezeNet 1.1, the standard topology with seeded weights (scripts/models/make_squeezenet.py): 4.95 MB, input data [1,3,224,224]. */
export const SQUEEZENET_SHA256 = '02a27d6b1d4b25f03f8de5151066fbcb2faea120664f82049163663eca7faa9b';

export function squeezenetPath(): string {
  const dir = join(tmpdir(), 'npubench-generated-models');
  const path = join(dir, `squeezenet1.1-seeded-${SQUEEZENET_SHA256.slice(0, 12)}.onnx`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    // Written beside and renamed into place: parallel test files never read a half-written model.
    const partial = `${path}.${process.pid}.partial`;
    execFileSync('/usr/bin/python3', [join(REPO_ROOT, 'scripts/models/make_squeezenet.py'), partial], { stdio: 'pipe' });
    renameSync(partial, path);
  }
  const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
  if (digest !== SQUEEZENET_SHA256) throw new Error(`${path} has sha256 ${digest}, not the ${SQUEEZENET_SHA256} its seeded script writes (another numpy or onnx version?)`);
  return path;
}
