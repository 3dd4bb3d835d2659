// Runner protocol overhead: the host-timed p50 of a query through the runner backend (reference runner,
// onnxruntime CPU in a child process) versus the onnxruntime backend in-process, same model, inputs and
// thread count. The difference is what the protocol costs per query: JSON lines, base64, two pipe hops
// and a process switch. The runner's own session.run times show how much of the runner-side latency is
// inference. Blocks alternate (ABBA) so drift hits both sides. Prints figures; asserts nothing.
import { fileURLToPath } from 'node:url';
import { createOnnxRuntimeBackend, createRunnerBackend, createSyntheticInputs, referenceRunnerCommand, type InferenceBackend, type PreparedFeeds } from '../src/harness/index.js';
import { machineLine, median, printTable } from './bench-utils.js';

const MLP = fileURLToPath(new URL('../test/fixtures/models/mlp-classifier.onnx', import.meta.url));
const BATCHES = [1, 320];
const QUERIES_PER_BLOCK = Number(process.env.QUERIES ?? 2_000);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const WARMUP = 200;

async function timeQueries(backend: InferenceBackend, feeds: PreparedFeeds, queries: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < queries; i++) {
    const start = process.hrtime.bigint();
    await backend.run(feeds);
    latencies.push(Number(process.hrtime.bigint() - start));
  }
  return latencies;
}

const us = (ns: number) => (ns / 1e3).toFixed(1);

console.log(`runner protocol overhead per query, mlp-classifier, 1 intra-op thread each; ${machineLine()}`);
const rows: (string | number)[][] = [['batch', 'in-process p50 µs', 'runner p50 µs', 'overhead µs', 'runner-measured run p50 µs']];
for (const batch of BATCHES) {
  const inProcess = createOnnxRuntimeBackend({ executionProvider: 'cpu', intraOpNumThreads: 1 });
  const runner = createRunnerBackend({ ...referenceRunnerCommand(), loadOptions: { intraOpNumThreads: 1 } });
  try {
    const { inputs } = await inProcess.load(MLP);
    await runner.load(MLP);
    const tensors = createSyntheticInputs(inputs, { seed: 1, dynamicDims: { batch } });
    const sides = [
      { backend: inProcess as InferenceBackend, feeds: inProcess.prepareFeeds(tensors), latencies: [] as number[] },
      { backend: runner as InferenceBackend, feeds: runner.prepareFeeds(tensors), latencies: [] as number[] },
    ];
    for (const side of sides) await timeQueries(side.backend, side.feeds, WARMUP);
    runner.takeDeviceTimings();
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) side.latencies.push(...(await timeQueries(side.backend, side.feeds, QUERIES_PER_BLOCK)));
    }
    const [inProcessP50, runnerP50] = sides.map((side) => median(side.latencies)) as [number, number];
    rows.push([batch, us(inProcessP50), us(runnerP50), us(runnerP50 - inProcessP50), us(median(runner.takeDeviceTimings()?.ns ?? []))]);
  } finally {
    await Promise.all([inProcess.close(), runner.close()]);
  }
}
printTable(rows);
