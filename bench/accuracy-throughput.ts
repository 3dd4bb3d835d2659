// MMLU throughput of the harness on the committed tiny LM (2 layers, hidden 32, built-in dataset,
// 46 questions): questions per second, and where the time goes: the harness's own share (building the
// prompt text and tokenizing it with @huggingface/tokenizers) versus onnxruntime forward passes. The
// tiny model makes the harness share as large as it will ever be; with a real LLM the model dominates.
// Also the LLM latency figures (TTFT, TPOT) of the same model, for orientation.
import { fileURLToPath } from 'node:url';
import { runAccuracy } from '../src/harness/accuracy/run-accuracy.js';
import { accuracySpecSchema, summarizeAccuracy } from '../src/harness/accuracy/accuracy-format.js';
import { builtinMmluDataset } from '../src/harness/accuracy/mmlu-dataset.js';
import { CausalLm } from '../src/harness/accuracy/causal-lm.js';
import { loadTokenizer } from '../src/harness/accuracy/tokenizer.js';
import { llmLatencyInputSchema, runLlmLatency, summarizeLlmLatency } from '../src/harness/accuracy/llm-latency.js';
import { machineLine, median, printTable } from './bench-utils.js';

const BUNDLE = fileURLToPath(new URL('../test/fixtures/llm/tiny-lm/', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const backend = { executionProvider: 'cpu' };
const dataset = builtinMmluDataset();

console.log(machineLine());
const rows: (string | number)[][] = [['shots', 'questions', 'questions/s (median)', 'prompt + tokenize', 'model (onnxruntime)', 'other']];
for (const shots of [0, 5]) {
  const spec = accuracySpecSchema.parse({ mmlu: { shots } });
  const rates: number[] = [];
  const promptShares: number[] = [];
  const modelShares: number[] = [];
  let questions = 0;
  // One unmeasured round loads code paths and warms the allocator.
  for (let round = -1; round < ROUNDS; round++) {
    const raw = await runAccuracy({ spec, seed: 1, dynamicDims: {}, modelPath: `${BUNDLE}model.onnx`, bundleDir: BUNDLE, dataset, backend });
    if (round < 0) continue;
    const summary = summarizeAccuracy(raw, spec);
    questions = summary.mmlu!.questionCount;
    rates.push(questions / (raw.timing.totalNs / 1e9));
    promptShares.push(raw.timing.promptNs / raw.timing.totalNs);
    modelShares.push(raw.timing.modelNs / raw.timing.totalNs);
  }
  const p = median(promptShares);
  const m = median(modelShares);
  rows.push([shots, questions, median(rates).toFixed(1), `${(p * 100).toFixed(1)}%`, `${(m * 100).toFixed(1)}%`, `${((1 - p - m) * 100).toFixed(1)}%`]);
}
console.log(`MMLU on tiny-lm (${ROUNDS} rounds, CPU EP; shares are of the evaluation's wall time, load included):`);
printTable(rows);

const lm = await CausalLm.load(`${BUNDLE}model.onnx`, BUNDLE, backend);
const tokenizer = await loadTokenizer(BUNDLE);
const latencyRows: (string | number)[][] = [['preset', 'TTFT p50 (ms)', 'TPOT p50 (ms)', 'output tokens/s']];
for (const preset of ['short', 'medium'] as const) {
  const spec = llmLatencyInputSchema.parse({ preset, runs: 10 });
  const summary = summarizeLlmLatency(await runLlmLatency(lm, tokenizer, spec), spec);
  latencyRows.push([`${preset} (${spec.promptTokens}/${spec.outputTokens})`, (summary.ttft.p50Ns / 1e6).toFixed(3), ((summary.tpot?.p50Ns ?? 0) / 1e6).toFixed(3), summary.outputTokensPerSecond.toFixed(0)]);
}
await lm.close();
console.log('\nLLM latency on tiny-lm (10 runs each, KV cache, greedy):');
printTable(latencyRows);
