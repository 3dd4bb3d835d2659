// Harness overhead: for the same model and inputs in one process, the p50 of the harness's
// SingleStream run versus the p50 of a bare `session.run` loop. Targets (issue #3): ratio <= 1.01 for
// a ~1 ms model, <= 1.02 for a ~0.1 ms model. Both sides get the same conditions: a fresh session with
// the same options, the same inputs and the same warm-up each block; blocks alternate (ABBA) so drift
// hits both sides alike.
import { InferenceSession } from 'onnxruntime-node';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runBenchmark, resolveSuiteSpec, createSyntheticInputs } from '../src/harness/index.js';
import { toOnnxRuntimeFeeds, onnxRuntimeSessionOptions, toSignature } from '../src/harness/backends/onnxruntime.js';
import { ocrSampleModels } from '../src/lib/sample-models.js';
import { machineLine, median, percentile, printTable } from './bench-utils.js';

interface Case {
  name: string;
  model: string;
  dynamicDims: Record<string, number>;
  queriesPerBlock: number;
  target: number;
}

const CASES: Case[] = [
  {
    name: 'PP-OCRv4 det 1x3x64x96 (~1 ms)',
    model: ocrSampleModels().detection,
    dynamicDims: { 'p2o.DynamicDimension.0': 1, 'p2o.DynamicDimension.1': 64, 'p2o.DynamicDimension.2': 96 },
    queriesPerBlock: 1_000,
    target: 1.01,
  },
  {
    name: 'mlp-classifier batch 320 (~0.1 ms)',
    model: fileURLToPath(new URL('../test/fixtures/models/mlp-classifier.onnx', import.meta.url)),
    dynamicDims: { batch: 320 },
    queriesPerBlock: 5_000,
    target: 1.02,
  },
];
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const WARMUP = 100;
const backendConfig = { executionProvider: 'cpu' };

async function bareLoopP50(c: Case): Promise<number> {
  const session = await InferenceSession.create(c.model, onnxRuntimeSessionOptions(backendConfig));
  const feeds = toOnnxRuntimeFeeds(createSyntheticInputs(session.inputMetadata.map(toSignature), resolveSuiteSpec({ dynamicDims: c.dynamicDims })));
  const queries = c.queriesPerBlock;
  for (let i = 0; i < WARMUP; i++) await session.run(feeds);
  const latencies = new Float64Array(queries);
  for (let i = 0; i < queries; i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    latencies[i] = Number(process.hrtime.bigint() - start);
  }
  await session.release();
  return percentile(Array.from(latencies), 0.5);
}

async function harnessP50(c: Case): Promise<number> {
  const spec = resolveSuiteSpec({ warmupQueries: WARMUP, minQueryCount: c.queriesPerBlock, minDurationMs: 0, dynamicDims: c.dynamicDims });
  const { summary } = await runBenchmark({ modelPath: c.model, spec, backend: backendConfig });
  return summary.latency.p50Ns;
}

console.log(`harness overhead: harness SingleStream p50 / bare session.run p50 (${machineLine()}, ${cpus()[0]?.model ?? ''})`);
const rows: (string | number)[][] = [['case', 'bare p50 µs', 'harness p50 µs', 'ratio', 'target', 'met']];
for (const c of CASES) {
  const bare: number[] = [];
  const harness: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // ABBA ordering: bare first on even rounds, harness first on odd rounds.
    if (round % 2 === 0) {
      bare.push(await bareLoopP50(c));
      harness.push(await harnessP50(c));
    } else {
      harness.push(await harnessP50(c));
      bare.push(await bareLoopP50(c));
    }
  }
  const ratio = median(harness) / median(bare);
  rows.push([c.name, (median(bare) / 1e3).toFixed(2), (median(harness) / 1e3).toFixed(2), ratio.toFixed(4), `<= ${c.target}`, ratio <= c.target ? 'yes' : 'NO']);
  console.log(`  ${c.name}: per-round bare p50 µs [${bare.map((v) => (v / 1e3).toFixed(1)).join(', ')}], harness [${harness.map((v) => (v / 1e3).toFixed(1)).join(', ')}]`);
}
printTable(rows);
