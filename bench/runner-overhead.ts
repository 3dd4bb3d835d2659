// Runner protocol overhead: the host-timed p50 of a query through the runner backend (reference runner,
// onnxruntime CPU in a child process) versus the onnxruntime backend in-process, same model, inputs and
// thread count. The difference is what the protocol costs per query: v1 sends the inputs (base64) in
// every run; v2 names a sample loaded once by load_samples and answers a sha256 digest per output. Both
// pay JSON lines, two pipe hops and a process switch. The runner's own session.run times show how much of the runner-side latency is
// inference. Blocks alternate (ABBA) so drift hits both sides. Prints figures; asserts nothing.
import { fileURLToPath } from 'node:url';
import { createOnnxRuntimeBackend, createRunnerBackend, createSyntheticInputs, referenceRunnerCommand, type PreparedFeeds } from '../src/harness/index.js';
import { machineLine, median, printTable } from './bench-utils.js';

const MLP = fileURLToPath(new URL('../test/fixtures/models/mlp-classifier.onnx', import.meta.url));
const BATCHES = [1, 320];
const QUERIES_PER_BLOCK = Number(process.env.QUERIES ?? 2_000);
// Odd, so the median over rounds is a sample, not an average of two (bench-utils).
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARMUP = 200;

async function timeQueries(query: () => Promise<void>, queries: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < queries; i++) {
    const start = process.hrtime.bigint();
    await query();
    latencies.push(Number(process.hrtime.bigint() - start));
  }
  return latencies;
}

const us = (ns: number) => (ns / 1e3).toFixed(1);

console.log(`runner protocol overhead per query, mlp-classifier, 1 intra-op thread each; ${machineLine()}`);
const rows: (string | number)[][] = [['batch', 'in-process p50 µs', 'v1 runner p50 µs', 'v1 overhead µs', 'v2 runner p50 µs', 'v2 overhead µs']];
const reference = referenceRunnerCommand();
for (const batch of BATCHES) {
  const inProcess = createOnnxRuntimeBackend({ executionProvider: 'cpu', intraOpNumThreads: 1 });
  const v1 = createRunnerBackend({ command: reference.command, args: [...reference.args, '--protocol', '1'], loadOptions: { intraOpNumThreads: 1 } });
  const v2 = createRunnerBackend({ ...reference, loadOptions: { intraOpNumThreads: 1 } });
  try {
    const { inputs } = await inProcess.load(MLP);
    await v1.load(MLP);
    await v2.load(MLP);
    const tensors = createSyntheticInputs(inputs, { seed: 1, dynamicDims: { batch } });
    const library = v2.sampleLibrary();
    if (library === undefined) throw new Error('the reference runner did not choose protocol v2');
    await library.loadSamples([tensors]);
    const inProcessFeeds: PreparedFeeds = inProcess.prepareFeeds(tensors);
    const v1Feeds: PreparedFeeds = v1.prepareFeeds(tensors);
    const sides = [
      { query: () => inProcess.run(inProcessFeeds), latencies: [] as number[] },
      { query: () => v1.run(v1Feeds), latencies: [] as number[] },
      { query: async () => void (await library.runSamples([0]), library.takeAnswers()), latencies: [] as number[] },
    ];
    for (const side of sides) await timeQueries(side.query, WARMUP);
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) side.latencies.push(...(await timeQueries(side.query, QUERIES_PER_BLOCK)));
    }
    const [inProcessP50, v1P50, v2P50] = sides.map((side) => median(side.latencies)) as [number, number, number];
    rows.push([batch, us(inProcessP50), us(v1P50), us(v1P50 - inProcessP50), us(v2P50), us(v2P50 - inProcessP50)]);
  } finally {
    await Promise.all([inProcess.close(), v1.close(), v2.close()]);
  }
}
printTable(rows);
