// `npubench bench model.onnx`: the same harness the agents run, on this machine, without a server.
// Prints the summary, writes the full report JSON, and with --compare shows the change per metric.
import { readFile, writeFile } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import { z } from 'zod';
import { createRunnerBackend, formatMlperfSummary, resolveSuiteSpec, runBenchmark, type BenchmarkProgress } from '../../harness/index.js';
import { runnerCommandLine } from '../runner-command-line.js';
import type { PowerOptions } from '../../harness/run-benchmark.js';
import { createPowerMeter, detectPowerMeter } from '../../harness/power/create-power-meter.js';
import { powerMeterConfigSchema } from '../../harness/power/power-meter-config.js';
import { profileOperators } from '../../harness/profile/operator-profile.js';
import type { OnnxRuntimeBackendConfig } from '../../harness/backends/onnxruntime.js';
import { formatReportSummary } from '../report-summary-table.js';
import { compareSummaries, formatComparison } from '../report-comparison.js';
import { BENCH_REPORT_FORMAT, describeModelFile, type BenchReport } from '../bench-report.js';

export interface BenchOptions {
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

export async function benchCommand(modelPath: string, opts: BenchOptions): Promise<number> {
  const suite = jsonObject('--suite', opts.suite);
  if (opts.preset) suite.preset = opts.preset;
  if (opts.scenario) suite.scenario = opts.scenario;
  const spec = resolveSuiteSpec(suite);
  const ortConfig: OnnxRuntimeBackendConfig = {
    executionProvider: opts.ep,
    ...(opts.epOptions !== undefined && { epOptions: jsonObject('--ep-options', opts.epOptions) }),
    ...(opts.threads !== undefined && { intraOpNumThreads: Number(opts.threads) }),
  };
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
    });
  } finally {
    progress.stop();
    if (power && 'meter' in power) await power.meter.close();
  }

  // Before profiling, which loads a second session: this is the measured run's peak.
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const profile = opts.profile ? await profileOperators(modelPath, ortConfig, spec) : undefined;
  const model = await describeModelFile(modelPath);
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
  const base = opts.compare ? ((JSON.parse(await readFile(opts.compare, 'utf8')) as { summary?: unknown }).summary ?? {}) : undefined;

  if (opts.json) {
    console.log(JSON.stringify({ summary: report.summary, environment: report.environment, ...(profile && { profile }), ...(base && { comparison: compareSummaries(base, report.summary) }) }));
    return 0;
  }
  console.log(`\n${modelPath}\n${formatReportSummary({ summary: report.summary, environment: report.environment, device: { slug: 'local' } }, opts.out ?? '(not written; use --out)')}`);
  if (profile) {
    console.log(`\nTop operators (${profile.iterations} profiled iterations, ${profile.providers.map((p) => `${p.provider} ${p.nodes} nodes`).join(', ')}):`);
    for (const op of profile.byOpType.slice(0, 10)) {
      console.log(`  ${op.opType.padEnd(24)} ${(op.meanUsPerIteration / 1000).toFixed(3).padStart(9)} ms/iter  ${(op.share * 100).toFixed(1).padStart(5)}%  (${op.nodes} nodes)`);
    }
  }
  if (base) console.log(`\nCompared with ${opts.compare}:\n${formatComparison(compareSummaries(base, report.summary))}`);
  return 0;
}
