// Models are cached by digest: a device farm runs the same model many times, and the digest makes a
// cached file trustworthy (it was verified when it was downloaded). Concurrent requests for the same
// digest share one download. LLM bundles, reference models and datasets are cached the same way (as
// the archive, under the same naming) and unpacked into each run's own folder.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiHttpClient } from '../../lib/http-client.js';

export class ModelCache {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly dir: string,
    private readonly api: ApiHttpClient,
  ) {}

  /** The cached file's path, or null when the model must be downloaded first. */
  async cached(digest: string): Promise<string | null> {
    const path = this.pathFor(digest);
    return (await stat(path).then(() => true, () => false)) ? path : null;
  }

  async ensure(digest: string): Promise<string> {
    const path = this.pathFor(digest);
    if (await stat(path).then(() => true, () => false)) return path;
    let pending = this.inflight.get(digest);
    if (!pending) {
      pending = (async () => {
        await mkdir(this.dir, { recursive: true });
        await this.api.download(`/v1/agent/artifacts/${digest}`, path, digest);
        return path;
      })().finally(() => this.inflight.delete(digest));
      this.inflight.set(digest, pending);
    }
    return pending;
  }

  private pathFor(digest: string): string {
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.dir, `${digest}.onnx`);
  }
}
