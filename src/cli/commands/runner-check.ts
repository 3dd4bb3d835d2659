// `npubench runner-check --runner CMD model.onnx`: the conformance kit a vendor runs before submitting a
// runner to a lab. One short benchmark through the runner with every compliance check the agents apply
// (runBenchmark and src/harness/compliance, nothing re-implemented here), the same samples through
// onnxruntime in-process beside it for the protocol's cost, and a CONFORMANT / NOT CONFORMANT verdict.
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import {
  complianceSummarySchema,
  createRunnerBackend,
  deviceInfoSchema,
  percentileOfSorted,
  resolveSuiteSpec,
  runBenchmark,
  SUITE_PRESETS,
  type BenchmarkResult,
  type SuitePreset,
} from '../../harness/index.js';
import { HarnessError } from '../../lib/errors.js';
import { runnerCommandLine } from '../runner-command-line.js';

export const RUNNER_CHECK_FORMAT = 'npubench.runner-check@1';
/** Short enough for seconds to a minute; the caching check's 32 pairs and the accuracy pass come on top. */
export const RUNNER_CHECK_DEFAULT_PRESET: SuitePreset = 'smoke';

/** Reasons of a NOT CONFORMANT verdict that are not compliance reasons (those are COMPLIANCE_REASONS' codes). */
export const RUNNER_CHECK_REASONS = {
  'runner-check.outputs_not_verified': 'The runner chose protocol v1: nothing checks what its timed queries returned. Conformance needs v2.',
  'runner-check.check_not_run': 'A compliance check that every v2 run carries did not run.',
} as const;

const nsSchema = z.number().min(0);
const checkSchema = complianceSummarySchema.shape.checks.element;

/** What `runner-check --json` prints; the text form shows the same fields. */
export const runnerCheckReportSchema = z.strictObject({
  format: z.literal(RUNNER_CHECK_FORMAT),
  model: z.string(),
  /** The ONNX model onnxruntime ran in-process: the accuracy pass's reference and the overhead's baseline. */
  reference: z.string().nullable(),
  /** What the runner said in hello; null when it failed before answering. */
  runner: z.strictObject({ name: z.string(), version: z.string() }).nullable(),
  device: deviceInfoSchema.nullable(),
  protocolVersion: z.int().min(1).nullable(),
  capabilities: z
    .strictObject({
      /** v1 runners: 1 (one request at a time). */
      maxInFlight: z.int().min(1),
      deterministicOutputs: z.boolean(),
      deviceTiming: z.enum(['device', 'runner', 'none']),
    })
    .nullable(),
  /** The runner broke the protocol (crashed, hung, answered garbage): the host's runner.* code. */
  protocolFailure: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
  checks: z.array(checkSchema),
  run: z
    .strictObject({
      preset: z.string(),
      queries: z.int().min(0),
      /** The benchmark's own verdict (latency rules and compliance checks), as a report would carry it. */
      result: z.enum(['VALID', 'INVALID']),
      p50Ns: nsSchema,
      p90Ns: nsSchema,
      complianceCostPct: z.number().min(0).nullable(),
    })
    .nullable(),
  /** Protocol overhead per query, medians over the measured queries. */
  overhead: z
    .strictObject({
      runnerP50Ns: nsSchema,
      /** The same samples, same sample order, through onnxruntime in this process; null with `notMeasured`. */
      inProcessP50Ns: nsSchema.nullable(),
      /** runnerP50Ns - inProcessP50Ns: the protocol's cost plus any difference between the device and the CPU. */
      overheadNs: z.number().nullable(),
      /** Median host latency minus the runner's own device time per query: the time its clock does not cover. */
      uncoveredP50Ns: nsSchema.nullable(),
      notMeasured: z.string().nullable(),
    })
    .nullable(),
  verdict: z.enum(['CONFORMANT', 'NOT CONFORMANT']),
  /** Why not conformant: compliance reason codes, runner.* protocol failure codes, runner-check.* codes. */
  reasons: z.array(z.string()),
});
export type RunnerCheckReport = z.output<typeof runnerCheckReportSchema>;

export interface RunnerCheckOptions {
  runner?: string;
  /** The ONNX model to compare outputs with and time in-process; default: the model, when it is .onnx. */
  reference?: string;
  loadOptions?: string;
  preset?: string;
  json?: boolean;
}

/** A usage error: exit 2, before anything is started. */
export class RunnerCheckUsageError extends Error {
  override readonly name = 'RunnerCheckUsageError';
}

interface CheckInputs {
  runner: { command: string; args: string[] };
  reference: string | undefined;
  loadOptions: Record<string, unknown>;
  preset: SuitePreset;
}

async function mustBeFile(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) throw new RunnerCheckUsageError(`${what} ${path} is not a file`);
}

/** Every option checked before the runner starts. */
async function checkInputs(modelPath: string, opts: RunnerCheckOptions): Promise<CheckInputs> {
  if (opts.runner === undefined || opts.runner.trim() === '') throw new RunnerCheckUsageError('--runner <command> is required, e.g. --runner "python3 runner.py"');
  await mustBeFile(modelPath, 'the model');
  const reference = opts.reference ?? (modelPath.endsWith('.onnx') ? modelPath : undefined);
  if (reference !== undefined) await mustBeFile(reference, '--reference');
  let loadOptions: Record<string, unknown> = {};
  if (opts.loadOptions !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(opts.loadOptions);
    } catch {
      json = undefined;
    }
    const parsed = z.record(z.string(), z.unknown()).safeParse(json);
    if (!parsed.success) throw new RunnerCheckUsageError('--load-options must be a JSON object');
    loadOptions = parsed.data;
  }
  const preset = opts.preset ?? RUNNER_CHECK_DEFAULT_PRESET;
  if (!(preset in SUITE_PRESETS) || preset === 'submission') throw new RunnerCheckUsageError(`--preset must be one of smoke, quick, standard (got ${preset})`);
  return { runner: runnerCommandLine(opts.runner), reference, loadOptions, preset: preset as SuitePreset };
}

const median = (values: readonly number[]) => percentileOfSorted(Float64Array.from(values).sort(), 0.5);

/** Median host time per query that the runner's own device times do not cover (serial scenarios). */
function uncoveredP50(result: BenchmarkResult): number | null {
  const timing = result.rawSamples.compliance?.timing;
  if (!timing) return null;
  return median(timing.hostNs.map((host, i) => Math.max(0, host - (timing.deviceNs[i] ?? 0))));
}

/** Conformance: protocol v2, its three output checks run and passed, and no check failed. */
function conformanceReasons(protocolVersion: number, checks: RunnerCheckReport['checks'], invalidReasons: readonly string[]): string[] {
  if (protocolVersion < 2) return ['runner-check.outputs_not_verified', ...invalidReasons];
  const mustRun = checks.filter((check) => check.check !== 'timing' && check.outcome === 'not-run');
  return [...invalidReasons, ...(mustRun.length > 0 ? ['runner-check.check_not_run'] : [])];
}

/** Runs the runner through the protocol and the compliance checks; the report says whether it conforms. */
export async function runnerCheck(modelPath: string, opts: RunnerCheckOptions): Promise<RunnerCheckReport> {
  const inputs = await checkInputs(modelPath, opts);
  const spec = resolveSuiteSpec({ preset: inputs.preset });
  const backend = createRunnerBackend({ ...inputs.runner, loadOptions: inputs.loadOptions });
  let capabilities: RunnerCheckReport['capabilities'] = null;
  const base = { format: RUNNER_CHECK_FORMAT, model: modelPath, reference: inputs.reference ?? null } as const;
  let result: BenchmarkResult;
  try {
    result = await runBenchmark({
      modelPath,
      spec,
      backend,
      ...(inputs.reference !== undefined && { compliance: { referenceModelPath: inputs.reference } }),
      // Right after load, hello's answer is known and the runner is still open.
      onProgress: (progress) => {
        if (progress.phase !== 'load' || progress.fraction !== 1) return;
        const library = backend.sampleLibrary();
        const { deviceTiming } = backend.describe().sessionOptions as { deviceTiming: 'device' | 'runner' | 'none' };
        capabilities = { maxInFlight: library?.maxInFlight ?? 1, deterministicOutputs: library?.deterministicOutputs ?? true, deviceTiming };
      },
    });
  } catch (err) {
    // A runner that breaks the protocol does not conform; anything else (a bad model, a bug) is an error.
    if (!(err instanceof HarnessError) || !err.code.startsWith('runner.')) throw err;
    const hello = capabilities === null ? null : backend.describe();
    return runnerCheckReportSchema.parse({
      ...base,
      runner: hello && { name: hello.runtime, version: hello.runtimeVersion },
      device: hello?.device ?? null,
      protocolVersion: hello === null ? null : backend.protocolVersion,
      capabilities,
      protocolFailure: { code: err.code, message: err.message },
      checks: [],
      run: null,
      overhead: null,
      verdict: 'NOT CONFORMANT',
      reasons: [err.code],
    });
  }
  const { summary } = result;
  const compliance = summary.compliance;
  if (compliance === undefined) throw new Error('a run through a runner carries compliance checks');
  const runnerP50Ns = summary.latency.p50Ns;
  let inProcessP50Ns: number | null = null;
  let notMeasured: string | null = 'no ONNX model to run in-process (pass --reference model.onnx)';
  if (inputs.reference !== undefined) {
    // The same spec and seeds give the same performance samples in the same order.
    const threads = inputs.loadOptions.intraOpNumThreads;
    const inProcess = await runBenchmark({
      modelPath: inputs.reference,
      spec,
      backend: { executionProvider: 'cpu', ...(typeof threads === 'number' && { intraOpNumThreads: threads }) },
    });
    inProcessP50Ns = inProcess.summary.latency.p50Ns;
    notMeasured = null;
  }
  const reasons = conformanceReasons(compliance.protocolVersion, compliance.checks, compliance.invalidReasons);
  return runnerCheckReportSchema.parse({
    ...base,
    runner: { name: summary.backend.runtime, version: summary.backend.runtimeVersion },
    device: summary.backend.device ?? null,
    protocolVersion: compliance.protocolVersion,
    capabilities,
    protocolFailure: null,
    checks: compliance.checks,
    run: {
      preset: inputs.preset,
      queries: summary.queryCount,
      result: summary.result,
      p50Ns: runnerP50Ns,
      p90Ns: summary.latency.p90Ns,
      complianceCostPct: compliance.costPct,
    },
    overhead: {
      runnerP50Ns,
      inProcessP50Ns,
      overheadNs: inProcessP50Ns === null ? null : runnerP50Ns - inProcessP50Ns,
      uncoveredP50Ns: uncoveredP50(result),
      notMeasured,
    },
    verdict: reasons.length === 0 ? 'CONFORMANT' : 'NOT CONFORMANT',
    reasons,
  });
}

const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;

export function formatRunnerCheck(report: RunnerCheckReport): string {
  const lines = [`runner-check of ${report.model}`];
  if (report.runner) lines.push(`  runner        ${report.runner.name} ${report.runner.version}, protocol v${report.protocolVersion ?? '?'}`);
  if (report.device) lines.push(`  device        ${report.device.name} (${report.device.vendor}), as the runner claims`);
  if (report.capabilities) {
    const { maxInFlight, deterministicOutputs, deviceTiming } = report.capabilities;
    lines.push(`  capabilities  maxInFlight ${maxInFlight}, deterministicOutputs ${deterministicOutputs}, deviceTiming ${deviceTiming}`);
  }
  if (report.protocolFailure) lines.push(`  protocol      FAILED ${report.protocolFailure.code}: ${report.protocolFailure.message}`);
  if (report.run) {
    const cost = report.run.complianceCostPct === null ? '' : `, checks cost ${report.run.complianceCostPct.toFixed(1)}% of the run`;
    lines.push(`  run           ${report.run.queries} queries (${report.run.preset} preset), p50 ${us(report.run.p50Ns)}, p90 ${us(report.run.p90Ns)}, result ${report.run.result}${cost}`);
  }
  if (report.checks.length > 0) {
    lines.push('  checks');
    for (const check of report.checks) {
      const reasons = check.reasons.length > 0 ? ` ${check.reasons.join(', ')}:` : '';
      lines.push(`    ${check.outcome.padEnd(8)} ${check.check.padEnd(14)}${reasons} ${check.detail}`);
    }
  }
  if (report.overhead) {
    const o = report.overhead;
    const inProcess = o.inProcessP50Ns === null || o.overheadNs === null ? `in-process not measured: ${o.notMeasured}` : `in-process onnxruntime ${us(o.inProcessP50Ns)}, overhead ${o.overheadNs >= 0 ? '+' : ''}${us(o.overheadNs)}`;
    const uncovered = o.uncoveredP50Ns === null ? '' : `; host time not covered by the runner's device time ${us(o.uncoveredP50Ns)}`;
    lines.push(`  overhead      per query, medians: runner ${us(o.runnerP50Ns)}, ${inProcess}${uncovered}`);
  }
  lines.push(`  verdict       ${report.verdict}${report.reasons.length > 0 ? `: ${report.reasons.join(', ')}` : ''}`);
  return lines.join('\n');
}

/** Exit 0 when the runner conforms, 1 when it does not; usage errors throw RunnerCheckUsageError (exit 2). */
export async function runnerCheckCommand(modelPath: string, opts: RunnerCheckOptions): Promise<number> {
  const report = await runnerCheck(modelPath, opts);
  console.log(opts.json ? JSON.stringify(report) : formatRunnerCheck(report));
  return report.verdict === 'CONFORMANT' ? 0 : 1;
}
