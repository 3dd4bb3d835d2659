// MMLU throughput of the harness on the committed tiny LM (2 layers, hidden 32, built-in dataset,
// 46 questions): questions per second, and where the time goes: the harness's own share (building the
// prompt text and tokenizing it with @huggingface/tokenizers) versus onnxruntime forward passes, with
// and without reuse of the shared few-shot prefix's KV cache (rounds interleaved, so load drift hits
// every variant alike). The tiny model makes the harness share as large as it will ever be; with a real
// LLM the model dominates. Also the LLM latency figures (TTFT, TPOT) of the same model, for orientation.
import { fileURLToPath } from 'node:url';
import { accuracySpecSchema } from '../src/harness/accuracy/accuracy-format.js';
import { builtinMmluDataset } from '../src/harness/accuracy/mmlu-dataset.js';
import { CausalLm } from '../src/harness/accuracy/causal-lm.js';
import { loadTokenizer } from '../src/harness/accuracy/tokenizer.js';
import { evaluateMmlu } from '../src/harness/accuracy/mmlu-eval.js';
import { llmLatencyInputSchema, runLlmLatency, summarizeLlmLatency } from '../src/harness/accuracy/llm-latency.js';
import { machineLine, median, printTable } from './bench-utils.js';

const BUNDLE = fileURLToPath(new URL('../test/fixtures/llm/tiny-lm/', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const dataset = builtinMmluDataset();
const lm = await CausalLm.load(`${BUNDLE}model.onnx`, BUNDLE, { executionProvider: 'cpu' });
const tokenizer = await loadTokenizer(BUNDLE);

const variants = [
  { name: '0-shot', shots: 0, reusePrefix: true },
  { name: '5-shot, prefix KV reuse', shots: 5, reusePrefix: true },
  { name: '5-shot, full prompt each', shots: 5, reusePrefix: false },
];
const samples = variants.map(() => ({ rates: [] as number[], prompt: [] as number[], model: [] as number[], tokens: 0 }));
// Round -1 is unmeasured: it loads code paths and warms the allocator.
for (let round = -1; round < ROUNDS; round++) {
  for (const [i, v] of variants.entries()) {
    const spec = accuracySpecSchema.parse({ mmlu: { shots: v.shots } }).mmlu!;
    const start = process.hrtime.bigint();
    const { raw, timing } = await evaluateMmlu(lm, tokenizer, dataset, spec, null, { reusePrefix: v.reusePrefix });
    const totalNs = Number(process.hrtime.bigint() - start);
    if (round < 0) continue;
    const s = samples[i]!;
    s.rates.push(raw.questions.length / (totalNs / 1e9));
    s.prompt.push(timing.promptNs / totalNs);
    s.model.push(timing.modelNs / totalNs);
    s.tokens = raw.questions.reduce((sum, q) => sum + q.promptTokens, 0) / raw.questions.length;
  }
}
console.log(machineLine());
console.log(`MMLU on tiny-lm, ${dataset.subjects.reduce((n, s) => n + s.test.length, 0)} questions, CPU EP, median of ${ROUNDS} interleaved rounds (model and tokenizer loaded once):`);
const rows: (string | number)[][] = [['variant', 'prompt tokens (mean)', 'questions/s', 'prompt + tokenize', 'model (onnxruntime)', 'other (scoring, bookkeeping)']];
for (const [i, v] of variants.entries()) {
  const s = samples[i]!;
  const p = median(s.prompt);
  const m = median(s.model);
  rows.push([v.name, s.tokens.toFixed(0), median(s.rates).toFixed(1), `${(p * 100).toFixed(1)}%`, `${(m * 100).toFixed(1)}%`, `${((1 - p - m) * 100).toFixed(1)}%`]);
}
printTable(rows);

const latencyRows: (string | number)[][] = [['preset', 'TTFT p50 (ms)', 'TPOT p50 (ms)', 'output tokens/s']];
for (const preset of ['short', 'medium'] as const) {
  const spec = llmLatencyInputSchema.parse({ preset, runs: 10 });
  const summary = summarizeLlmLatency(await runLlmLatency(lm, tokenizer, spec), spec);
  latencyRows.push([`${preset} (${spec.promptTokens}/${spec.outputTokens})`, (summary.ttft.p50Ns / 1e6).toFixed(3), ((summary.tpot?.p50Ns ?? 0) / 1e6).toFixed(3), summary.outputTokensPerSecond.toFixed(0)]);
}
await lm.close();
console.log('\nLLM latency on tiny-lm (10 runs each, KV cache, greedy):');
printTable(latencyRows);
