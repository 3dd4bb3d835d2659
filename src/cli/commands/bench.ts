// `npubench bench model.onnx`: the same harness the agents run, on this machine, without a server.
// Prints the summary, writes the full report JSON, and with --compare shows the change per metric.
import { readFile, writeFile } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import { z } from 'zod';
import { type AccuracyInputs, type BenchmarkProgress, BUILTIN_DATASET_REF, createPowerMeter, createRunnerBackend, detectPowerMeter, formatMlperfSummary, LABELLED_INPUTS_FILE, labelledInputsFileIn, loadMmluDatasetFromDir, type OnnxRuntimeBackendConfig, parseLabelledInputs, parseTextPagesDataset, parseVadFrames, parseTextLines, powerMeterConfigSchema, type PowerOptions, profileOperators, resolveSuiteSpec, runBenchmark } from '../../harness/index.js';
import { runnerCommandLine } from '../runner-command-line.js';
import { formatReportSummary } from '../report-summary-table.js';
import { compareSummaries, formatComparison, workloadMismatch } from '../report-comparison.js';
import { BENCH_REPORT_FORMAT, describeModelFile, fileSha256, type BenchReport } from '../bench-report.js';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_EXTRACT_LIMITS, extractArchive, sniffArchiveKind } from '../../lib/bundles/archive-extract.js';
import { BUNDLE_REQUIRED_FILES, bundleScratchDir, openModelBundle } from '../../lib/bundles/model-bundle.js';

export interface BenchOptions {
  mmlu?: string | boolean;
  shots?: string;
  labels?: string;
  textPages?: string;
  textLines?: string;
  vadFrames?: string;
  reference?: string;
  gate?: string;
  llm?: string;
  power?: string;
  scenario?: string;
  preset?: string;
  runner?: string;
  mlperfSummary?: string;
  suite?: string;
  ep: string;
  epOptions?: string;
  threads?: string;
  profile?: boolean;
  out?: string;
  compare?: string;
  /** --compare even when the base ran another scenario (prints a warning instead of refusing). */
  force?: boolean;
  json?: boolean;
}

const jsonObject = (flag: string, text: string | undefined): Record<string, unknown> => {
  if (text === undefined) return {};
  try {
    return z.record(z.string(), z.unknown()).parse(JSON.parse(text));
  } catch {
    throw new Error(`${flag} must be a JSON object`);
  }
};

/** --power: "auto" detects a meter on this machine; otherwise a meter config as JSON. */
function openPowerMeter(option: string | undefined): PowerOptions | { notMeasured: string } | undefined {
  if (option === undefined) return undefined;
  const config = option === 'auto' ? detectPowerMeter() : powerMeterConfigSchema.parse(jsonObject('--power', option));
  if (!config) return { notMeasured: 'not measured: no power meter found on this machine (RAPL, INA3221, hwmon, battery)' };
  try {
    const meter = createPowerMeter(config);
    return { meter, idleMs: 1_000, rangingRun: meter.describe().class === 'lab' };
  } catch (err) {
    return { notMeasured: `not measured: ${(err as Error).message}` };
  }
}

function progressReporter(enabled: boolean) {
  if (!enabled) return { update: (_: BenchmarkProgress) => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: '  {phase} {bar} {percentage}% | {queries} queries', hideCursor: true, stream: process.stderr }, Presets.shades_classic);
  bar.start(100, 0, { phase: 'load   ', queries: 0 });
  return {
    update: (p: BenchmarkProgress) => bar.update(Math.round(p.fraction * 100), { phase: p.phase.padEnd(7), queries: p.queries }),
    stop: () => bar.stop(),
  };
}

interface LocalModel {
  modelPath: string;
  bundleDir?: string;
  /** sha256 of what was named: the .onnx, the bundle archive, or a bundle folder's model file. */
  digest: string;
}

/** A model on disk: an .onnx file, a bundle archive (unpacked with the API's checks), or a bundle folder. */
async function openLocalModel(path: string, cleanups: (() => Promise<void>)[]): Promise<LocalModel> {
  if ((await stat(path)).isDirectory()) {
    const names = await readdir(path);
    const missing = [...BUNDLE_REQUIRED_FILES, 'model.onnx'].filter((name) => !names.includes(name));
    if (missing.length > 0) throw new Error(`${path} is not an LLM bundle folder: it lacks ${missing.join(', ')}`);
    return { modelPath: join(path, 'model.onnx'), bundleDir: path, digest: await fileSha256(join(path, 'model.onnx')) };
  }
  if ((await sniffArchiveKind(path)) === null) return { modelPath: path, digest: await fileSha256(path) };
  const scratch = await bundleScratchDir('npubench-bench');
  cleanups.push(scratch.dispose);
  const bundle = await openModelBundle(path, scratch.dir, DEFAULT_EXTRACT_LIMITS);
  return { modelPath: bundle.modelPath, bundleDir: bundle.root, digest: await fileSha256(path) };
}

/** Fills suite.accuracy / suite.llm from the accuracy flags and opens the files they name. */
async function localAccuracy(suite: Record<string, unknown>, model: LocalModel, opts: BenchOptions, ortConfig: OnnxRuntimeBackendConfig, cleanups: (() => Promise<void>)[]): Promise<AccuracyInputs | undefined> {
  const accuracy = (suite.accuracy ?? {}) as Record<string, unknown>;
  const inputs: AccuracyInputs = { backend: ortConfig, bundleDir: model.bundleDir };
  if (opts.mmlu !== undefined) {
    const mmlu = (accuracy.mmlu ?? {}) as Record<string, unknown>;
    if (typeof opts.mmlu === 'string') {
      const scratch = await bundleScratchDir('npubench-dataset');
      cleanups.push(scratch.dispose);
      const { files } = await extractArchive(opts.mmlu, scratch.dir, DEFAULT_EXTRACT_LIMITS);
      mmlu.dataset = `sha256:${await fileSha256(opts.mmlu)}`;
      inputs.dataset = await loadMmluDatasetFromDir(mmlu.dataset as string, scratch.dir, files);
    } else {
      mmlu.dataset = BUILTIN_DATASET_REF;
    }
    if (opts.shots !== undefined) mmlu.shots = Number(opts.shots);
    accuracy.mmlu = mmlu;
  } else if (accuracy.mmlu !== undefined) {
    const ref = (accuracy.mmlu as { dataset?: string }).dataset;
    if (ref !== undefined && ref !== BUILTIN_DATASET_REF) throw new Error('a local run reads an uploaded dataset from a file: pass --mmlu <dataset.zip|tar>');
  }
  if (opts.labels !== undefined) {
    let text: string;
    if ((await sniffArchiveKind(opts.labels)) === null) {
      text = await readFile(opts.labels, 'utf8');
    } else {
      const scratch = await bundleScratchDir('npubench-labels');
      cleanups.push(scratch.dispose);
      const { files } = await extractArchive(opts.labels, scratch.dir, DEFAULT_EXTRACT_LIMITS);
      const file = labelledInputsFileIn(files);
      if (!file) throw new Error(`${opts.labels} holds no ${LABELLED_INPUTS_FILE}`);
      text = await readFile(join(scratch.dir, file), 'utf8');
    }
    const ref = `sha256:${await fileSha256(opts.labels)}`;
    accuracy.classification = { dataset: ref };
    inputs.labelledInputs = { ref, set: parseLabelledInputs(text) };
  }
  // Single-file datasets, named by the sha256 of the file as an uploaded one would be.
  const datasetFile = async <T>(file: string, parse: (text: string) => T) => ({ ref: `sha256:${await fileSha256(file)}`, set: parse(await readFile(file, 'utf8')) });
  if (opts.textPages !== undefined) {
    inputs.textPages = await datasetFile(opts.textPages, parseTextPagesDataset);
    accuracy.textDetection = { dataset: inputs.textPages.ref };
  }
  if (opts.textLines !== undefined) {
    inputs.textLines = await datasetFile(opts.textLines, parseTextLines);
    accuracy.textRecognition = { dataset: inputs.textLines.ref };
  }
  if (opts.vadFrames !== undefined) {
    inputs.vadFrames = await datasetFile(opts.vadFrames, parseVadFrames);
    accuracy.voiceActivity = { dataset: inputs.vadFrames.ref };
  }
  if (opts.reference !== undefined) {
    const reference = await openLocalModel(opts.reference, cleanups);
    accuracy.reference = { modelDigest: reference.digest };
    inputs.reference = { modelPath: reference.modelPath, bundleDir: reference.bundleDir, digest: reference.digest };
  }
  if (opts.gate !== undefined) accuracy.gate = { minRelativeScore: Number(opts.gate) };
  if (opts.llm !== undefined) suite.llm = { ...((suite.llm ?? {}) as Record<string, unknown>), preset: opts.llm };
  if (Object.keys(accuracy).length > 0) suite.accuracy = accuracy;
  return suite.accuracy !== undefined || suite.llm !== undefined ? inputs : undefined;
}

export async function benchCommand(modelArg: string, opts: BenchOptions): Promise<number> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    return await bench(modelArg, opts, cleanups);
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

async function bench(modelArg: string, opts: BenchOptions, cleanups: (() => Promise<void>)[]): Promise<number> {
  const suite = jsonObject('--suite', opts.suite);
  if (opts.preset) suite.preset = opts.preset;
  if (opts.scenario) suite.scenario = opts.scenario;
  const local = await openLocalModel(modelArg, cleanups);
  const modelPath = local.modelPath;
  const ortConfig: OnnxRuntimeBackendConfig = {
    executionProvider: opts.ep,
    ...(opts.epOptions !== undefined && { epOptions: jsonObject('--ep-options', opts.epOptions) }),
    ...(opts.threads !== undefined && { intraOpNumThreads: Number(opts.threads) }),
  };
  const accuracy = await localAccuracy(suite, local, opts, ortConfig, cleanups);
  const spec = resolveSuiteSpec(suite);
  // Read and checked before the run: a comparison that means nothing should not cost a benchmark first.
  const base = opts.compare ? ((JSON.parse(await readFile(opts.compare, 'utf8')) as { summary?: unknown }).summary ?? {}) : undefined;
  const mismatch = base === undefined ? null : workloadMismatch(base, { spec });
  if (mismatch && !opts.force) throw new Error(`--compare ${opts.compare}: ${mismatch}. Compare runs of one scenario, or pass --force to compare anyway.`);
  if (opts.profile && opts.runner) throw new Error('--profile needs onnxruntime; it cannot profile a runner process');
  const power = openPowerMeter(opts.power);
  const progress = progressReporter(!opts.json && process.stderr.isTTY);
  let result;
  try {
    result = await runBenchmark({
      modelPath,
      spec,
      backend: opts.runner ? createRunnerBackend(runnerCommandLine(opts.runner)) : ortConfig,
      onProgress: progress.update,
      ...(power && { power }),
      ...(accuracy && { accuracy }),
    });
  } finally {
    progress.stop();
    if (power && 'meter' in power) await power.meter.close();
  }

  // Before profiling, which loads a second session: this is the measured run's peak.
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const profile = opts.profile ? await profileOperators(modelPath, ortConfig, spec) : undefined;
  const model = await describeModelFile(local.bundleDir !== undefined && (await stat(modelArg)).isDirectory() ? modelPath : modelArg);
  const report: BenchReport = {
    format: BENCH_REPORT_FORMAT,
    createdAt: new Date().toISOString(),
    model,
    resourceUsage: { peakRssBytes, modelSizeBytes: model.sizeBytes, method: 'getrusage ru_maxrss of the npubench process' },
    summary: result.summary,
    environment: result.environment,
    rawSamples: result.rawSamples,
    ...(profile && { profile }),
  };
  if (opts.out) await writeFile(opts.out, JSON.stringify(report, null, 2) + '\n');
  if (opts.mlperfSummary) await writeFile(opts.mlperfSummary, formatMlperfSummary(report.summary, report.environment));
  if (mismatch) console.error(`warning: --compare ${opts.compare}: ${mismatch}; the changes are not like for like (--force).`);

  if (opts.json) {
    const comparison = base && { comparison: compareSummaries(base, report.summary), ...(mismatch && { comparisonWarning: mismatch }) };
    console.log(JSON.stringify({ summary: report.summary, environment: report.environment, ...(profile && { profile }), ...comparison }));
    return 0;
  }
  console.log(`\n${modelArg}\n${formatReportSummary({ summary: report.summary, environment: report.environment, device: { slug: 'local' } }, opts.out ?? '(not written; use --out)')}`);
  if (profile) {
    console.log(`\nTop operators (${profile.iterations} profiled iterations, ${profile.providers.map((p) => `${p.provider} ${p.nodes} nodes`).join(', ')}):`);
    for (const op of profile.byOpType.slice(0, 10)) {
      console.log(`  ${op.opType.padEnd(24)} ${(op.meanUsPerIteration / 1000).toFixed(3).padStart(9)} ms/iter  ${(op.share * 100).toFixed(1).padStart(5)}%  (${op.nodes} nodes)`);
    }
  }
  if (base) console.log(`\nCompared with ${opts.compare}:\n${formatComparison(compareSummaries(base, report.summary))}`);
  return 0;
}
