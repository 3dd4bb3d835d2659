// Causal-LM ops through a runner: the host-timed p50 of a prefill (128 tokens, fresh sequence) and of a
// decode step (one token after the cache, the previous cache released with it) through the reference
// runner's lm_forward, beside the same calls on onnxruntime in-process (CausalLm), same model
// (test/fixtures/llm/tiny-lm) and thread count. The difference is what lm_forward costs per call: JSON
// lines, the logits row in base64 and its digest, two pipe hops. Blocks alternate (ABBA). Prints figures;
// asserts nothing. TPOT through a runner pays the decode-step overhead once per token.
import { fileURLToPath } from 'node:url';
import { CausalLm, type CausalLanguageModel, type LmCache } from '../src/harness/accuracy/causal-lm.js';
import { RunnerCausalLm } from '../src/harness/backends/runner-causal-lm.js';
import { RunnerProcessBackend } from '../src/harness/backends/runner-process.js';
import { referenceRunnerCommand } from '../src/harness/index.js';
import { machineLine, median, printTable } from './bench-utils.js';

const BUNDLE = fileURLToPath(new URL('../test/fixtures/llm/tiny-lm/', import.meta.url));
const STEPS_PER_BLOCK = Number(process.env.STEPS ?? 300);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PROMPT = Array.from({ length: 128 }, (_, i) => (i * 37 + 5) % 650);

async function block(lm: CausalLanguageModel): Promise<{ prefillNs: number[]; stepNs: number[] }> {
  const prefillNs: number[] = [];
  const stepNs: number[] = [];
  for (let p = 0; p < 8; p++) {
    const start = process.hrtime.bigint();
    const prefill = await lm.forward(PROMPT);
    prefillNs.push(Number(process.hrtime.bigint() - start));
    lm.releaseCache(prefill.cache);
  }
  let cache: LmCache = (await lm.forward(PROMPT)).cache;
  for (let i = 0; i < STEPS_PER_BLOCK; i++) {
    // Back to a 128-token cache now and then, so both sides decode over the same lengths.
    if (cache.length >= 128 + 64) {
      lm.releaseCache(cache);
      cache = (await lm.forward(PROMPT)).cache;
    }
    const start = process.hrtime.bigint();
    const step = await lm.forward([5], cache);
    stepNs.push(Number(process.hrtime.bigint() - start));
    lm.releaseCache(cache);
    cache = step.cache;
  }
  lm.releaseCache(cache);
  return { prefillNs, stepNs };
}

const backend = new RunnerProcessBackend({ ...referenceRunnerCommand(), loadOptions: { intraOpNumThreads: 1 } });
await backend.load(`${BUNDLE}model.onnx`);
const runner = await RunnerCausalLm.open(backend, BUNDLE);
const local = await CausalLm.load(`${BUNDLE}model.onnx`, BUNDLE, { executionProvider: 'cpu', intraOpNumThreads: 1 });
const all = { runner: { prefillNs: [] as number[], stepNs: [] as number[] }, local: { prefillNs: [] as number[], stepNs: [] as number[] } };
try {
  await block(runner);
  await block(local);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['runner', 'local'] as const) : (['local', 'runner'] as const);
    for (const side of order) {
      const { prefillNs, stepNs } = await block(side === 'runner' ? runner : local);
      all[side].prefillNs.push(...prefillNs);
      all[side].stepNs.push(...stepNs);
    }
  }
} finally {
  await runner.close();
  await backend.close();
  await local.close();
}
const us = (ns: number) => (ns / 1e3).toFixed(1);
const p50 = median;
console.log(`lm_forward overhead per call, tiny-lm, 1 intra-op thread each; ${machineLine()}`);
printTable([
  ['call', 'in-process p50 µs', 'runner p50 µs', 'overhead µs'],
  ['prefill 128 tokens', us(p50(all.local.prefillNs)), us(p50(all.runner.prefillNs)), us(p50(all.runner.prefillNs) - p50(all.local.prefillNs))],
  ['decode step', us(p50(all.local.stepNs)), us(p50(all.runner.stepNs)), us(p50(all.runner.stepNs) - p50(all.local.stepNs))],
]);
