// Runner protocol overhead: the host-timed p50 of a query through the runner backend (reference runner,
// onnxruntime CPU in a child process) versus the onnxruntime backend in-process, same model, inputs and
// thread count. The difference is what the protocol costs per query: v1 sends the inputs (base64) in
// every run; v2 names a sample loaded once by load_samples and answers a sha256 digest per output. Both
// pay JSON lines, two pipe hops and a process switch. Three inputs: mlp-classifier at batch 1 (256 B)
// and 320 (80 KB), and image-pool-224 ([1, 3, 224, 224] float32, 588 KB, a 4 KB output).
// Blocks alternate (ABBA) so drift hits every side alike. Beside latency it prints the CPU time per
// query of this process (the load generator, host side) and of the runner process, and the load average.
// BEFORE_TREE=/path/to/other/checkout adds a "v2 before" side: that checkout's host backend and reference
// runner, in the same run, interleaved, to measure a change. Prints figures; asserts nothing.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as harness from '../src/harness/index.js';
import { machineLine, median, printTable } from './bench-utils.js';

const fixture = (name: string) => fileURLToPath(new URL(`../test/fixtures/models/${name}`, import.meta.url));
const CASES: { label: string; model: string; dynamicDims: Record<string, number> }[] = [
  { label: 'mlp batch 1 (256 B)', model: fixture('mlp-classifier.onnx'), dynamicDims: { batch: 1 } },
  { label: 'mlp batch 320 (80 KB)', model: fixture('mlp-classifier.onnx'), dynamicDims: { batch: 320 } },
  { label: '[1,3,224,224] f32 (588 KB)', model: fixture('image-pool-224.onnx'), dynamicDims: {} },
];
const QUERIES_PER_BLOCK = Number(process.env.QUERIES ?? 2_000);
// Odd, so the median over rounds is a sample, not an average of two (bench-utils).
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WARMUP = 200;
const BEFORE_TREE = process.env.BEFORE_TREE;
/** Sides to run, by name (default all): e.g. SIDES=in-process,v2 for a quick look. */
const SIDES = process.env.SIDES?.split(',');

type Harness = typeof harness;
const before: Harness | null = BEFORE_TREE ? ((await import(`${BEFORE_TREE}/src/harness/index.ts`)) as Harness) : null;

/** utime + stime of a process in clock ticks (Linux), or null where /proc is not there. */
function processTicks(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}
const TICK_NS = 1e9 / 100; // USER_HZ is 100 on every Linux npubench runs on

interface Side {
  name: string;
  query: () => Promise<void>;
  pid: () => number | undefined;
  latencies: number[];
  hostCpuNs: number;
  runnerTicks: number;
  queries: number;
}

async function timeBlock(side: Side, queries: number, record: boolean): Promise<void> {
  const cpuBefore = process.cpuUsage();
  const ticksBefore = processTicks(side.pid());
  for (let i = 0; i < queries; i++) {
    const start = process.hrtime.bigint();
    await side.query();
    if (record) side.latencies.push(Number(process.hrtime.bigint() - start));
  }
  if (!record) return;
  const cpu = process.cpuUsage(cpuBefore);
  side.hostCpuNs += (cpu.user + cpu.system) * 1e3;
  const ticksAfter = processTicks(side.pid());
  if (ticksBefore !== null && ticksAfter !== null) side.runnerTicks += ticksAfter - ticksBefore;
  side.queries += queries;
}

const us = (ns: number) => (ns / 1e3).toFixed(1);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

console.log(`runner protocol overhead per query, 1 intra-op thread each; ${machineLine()}; QUERIES=${QUERIES_PER_BLOCK} ROUNDS=${ROUNDS}${BEFORE_TREE ? `; before = ${BEFORE_TREE}` : ''}`);
console.log(`load average at start: ${load()}`);
const rows: (string | number)[][] = [['input', 'side', 'p50 µs', 'overhead µs', 'host CPU µs/q', 'runner CPU µs/q']];
for (const testCase of CASES) {
  const inProcess = harness.createOnnxRuntimeBackend({ executionProvider: 'cpu', intraOpNumThreads: 1 });
  const reference = harness.referenceRunnerCommand();
  const v1 = harness.createRunnerBackend({ command: reference.command, args: [...reference.args, '--protocol', '1'], loadOptions: { intraOpNumThreads: 1 } });
  const v2 = harness.createRunnerBackend({ ...reference, loadOptions: { intraOpNumThreads: 1 } });
  const v2Before = before && before.createRunnerBackend({ ...before.referenceRunnerCommand(), loadOptions: { intraOpNumThreads: 1 } });
  try {
    const { inputs } = await inProcess.load(testCase.model);
    const tensors = harness.createSyntheticInputs(inputs, { seed: 1, dynamicDims: testCase.dynamicDims });
    const inProcessFeeds = inProcess.prepareFeeds(tensors);
    const side = (name: string, query: () => Promise<void>, pid: () => number | undefined = () => undefined): Side => ({ name, query, pid, latencies: [], hostCpuNs: 0, runnerTicks: 0, queries: 0 });
    const sides: Side[] = [side('in-process', () => inProcess.run(inProcessFeeds))];
    const libraryOf = async (backend: harness.RunnerProcessBackend) => {
      await backend.load(testCase.model);
      const library = backend.sampleLibrary();
      if (library === undefined) throw new Error('the reference runner did not choose protocol v2');
      await library.loadSamples([tensors]);
      return library;
    };
    if (!SIDES || SIDES.includes('v1')) {
      await v1.load(testCase.model);
      const v1Feeds = v1.prepareFeeds(tensors);
      sides.push(side('v1', () => v1.run(v1Feeds), () => v1.pid));
    }
    if (!SIDES || SIDES.includes('v2')) {
      const library = await libraryOf(v2);
      sides.push(side('v2', async () => void (await library.runSamples([0]), library.takeAnswers()), () => v2.pid));
    }
    if (v2Before && (!SIDES || SIDES.includes('v2-before'))) {
      const library = await libraryOf(v2Before as harness.RunnerProcessBackend);
      sides.push(side('v2 before', async () => void (await library.runSamples([0]), library.takeAnswers()), () => v2Before.pid));
    }
    for (const s of sides) await timeBlock(s, WARMUP, false);
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of round % 2 === 0 ? sides : [...sides].reverse()) await timeBlock(s, QUERIES_PER_BLOCK, true);
    }
    const inProcessP50 = median(sides[0]!.latencies);
    for (const s of sides) {
      const p50 = median(s.latencies);
      const runnerCpu = s.pid() === undefined ? '' : us((s.runnerTicks * TICK_NS) / s.queries);
      rows.push([testCase.label, s.name, us(p50), s === sides[0] ? '' : us(p50 - inProcessP50), us(s.hostCpuNs / s.queries), runnerCpu]);
    }
  } finally {
    await Promise.all([inProcess.close(), v1.close(), v2.close(), v2Before?.close()]);
  }
}
printTable(rows);
console.log(`load average at end: ${load()}`);
