// A causal LM served by a runner (protocol v2 lm_forward / lm_release): the same CausalLanguageModel the
// MMLU evaluation and the LLM latency run use in-process, so their figures come from the same code. The
// runner holds the KV caches; the host holds handles. A truncation is a handle plus how many positions to
// keep, applied by the runner on the next forward. Releases wait for the next request, so a decode loop
// pays no extra round trip per token.
import { HarnessError } from '../../lib/errors.js';
import { contextLengthOf, readBundleConfig, type CausalLanguageModel, type ForwardResult, type LmCache } from '../accuracy/causal-lm.js';
import { causalLmLayout } from '../accuracy/causal-lm-signature.js';
import { MAX_LM_CACHES } from '../runner/protocol.js';
import type { RunnerLmChannel, RunnerProcessBackend } from './runner-process.js';

export const RUNNER_WITHOUT_LM_OPS = "The runner's hello declares no causal LM ops (ops: lm_forward, lm_release, protocol v2), so MMLU and LLM latency cannot run through it.";

/** A runner's cache: its handle (null: the empty sequence), the positions kept of it, and the runner's
 *  own count of them (its reported cacheLength, which the token-count check compares). */
class RunnerKvCache implements LmCache {
  constructor(
    readonly owner: RunnerCausalLm,
    readonly handle: number | null,
    readonly length: number,
    readonly keep: number | undefined,
  ) {}
}

export class RunnerCausalLm implements CausalLanguageModel {
  private readonly pendingReleases = new Set<number>();
  private readonly live = new Set<number>();

  private constructor(
    private readonly channel: RunnerLmChannel,
    readonly contextLength: number | null,
  ) {}

  /** Over the model `backend` has loaded; `bundleDir` holds config.json (read here, on the host). */
  static async open(backend: RunnerProcessBackend, bundleDir: string): Promise<RunnerCausalLm> {
    const channel = backend.causalLmChannel();
    if (channel === undefined) {
      throw new HarnessError('harness.accuracy_unsupported', RUNNER_WITHOUT_LM_OPS);
    }
    // The same check the API makes on upload, against what the runner says it loaded.
    causalLmLayout(backend.loadedModel());
    return new RunnerCausalLm(channel, contextLengthOf(await readBundleConfig(bundleDir)));
  }

  private own(cache: LmCache): RunnerKvCache {
    if (!(cache instanceof RunnerKvCache) || cache.owner !== this) throw new Error('the cache was not made by this runner LM');
    return cache;
  }

  async forward(tokens: readonly number[], given?: LmCache, logits: 'last' | 'all' = 'last'): Promise<ForwardResult> {
    if (tokens.length === 0) throw new Error('forward needs at least one token');
    const cache = given === undefined ? null : this.own(given);
    if (cache && cache.handle !== null && (!this.live.has(cache.handle) || this.pendingReleases.has(cache.handle))) throw new Error(`KV cache ${cache.handle} was released`);
    let release = [...this.pendingReleases];
    this.pendingReleases.clear();
    // More than one request carries go ahead on their own.
    while (release.length > MAX_LM_CACHES) {
      const batch = release.slice(0, MAX_LM_CACHES);
      release = release.slice(MAX_LM_CACHES);
      await this.channel.release(batch);
      for (const handle of batch) this.live.delete(handle);
    }
    const { result, logits: values, dims } = await this.channel.forward({
      tokens: [...tokens],
      cache: cache?.handle ?? null,
      ...(cache?.keep !== undefined && { keep: cache.keep }),
      logits,
      ...(release.length > 0 && { release }),
    });
    for (const handle of release) this.live.delete(handle);
    const rows = logits === 'all' ? tokens.length : 1;
    const [gotRows, vocabSize] = dims;
    if (dims.length !== 2 || gotRows !== rows || vocabSize === undefined || vocabSize < 1) {
      throw await this.channel.fail(`The runner answered lm_forward of ${tokens.length} token(s) for '${logits}' logits with shape [${dims.join(', ')}]; expected [${rows}, vocab].`);
    }
    if (this.live.has(result.cacheHandle)) throw await this.channel.fail(`The runner answered lm_forward with cache handle ${result.cacheHandle}, which is still live.`);
    this.live.add(result.cacheHandle);
    return {
      lastLogits: values.subarray((rows - 1) * vocabSize, rows * vocabSize),
      ...(logits === 'all' && { allLogits: values }),
      vocabSize,
      cache: new RunnerKvCache(this, result.cacheHandle, result.cacheLength, undefined),
    };
  }

  truncateCache(given: LmCache, length: number): LmCache {
    const cache = this.own(given);
    if (length > cache.length) throw new Error(`cannot keep ${length} of ${cache.length} cached positions`);
    if (length === 0) return new RunnerKvCache(this, null, 0, undefined);
    return new RunnerKvCache(this, cache.handle, length, length);
  }

  releaseCache(given: LmCache): void {
    const cache = this.own(given);
    if (cache.handle !== null && this.live.has(cache.handle)) this.pendingReleases.add(cache.handle);
  }

  /** Frees every cache still held; the runner itself stays up (the backend owns it). */
  async close(): Promise<void> {
    const held = [...this.live];
    this.live.clear();
    this.pendingReleases.clear();
    for (let i = 0; i < held.length; i += MAX_LM_CACHES) await this.channel.release(held.slice(i, i + MAX_LM_CACHES));
  }
}
