// A report rendered in the shape of LoadGen's mlperf_log_summary.txt (loadgen/results.cc LogSummary and
// test_settings_internal.cc), so people and scripts used to MLPerf submissions can read our numbers.
// Figures are taken from the summary as stored (pooled over repeats); nothing is recomputed here.
import type { EnvironmentInfo } from '../environment.js';
import type { LatencySummaryReport } from '../report-format.js';
import { minPassingQueries } from '../stats/early-stopping.js';

export interface MlperfSummaryOptions {
  /** LoadGen's "SUT name"; defaults to runtime, execution provider and CPU from the environment. */
  sutName?: string;
}

const LOADGEN_SCENARIO_NAMES = {
  'single-stream': 'SingleStream',
  'multi-stream': 'MultiStream',
  server: 'Server',
  offline: 'Offline',
} as const;

const RULE = '================================================';
const yesNo = (value: boolean) => (value ? 'Yes' : 'NO');
/** LoadGen's DoubleToString: fixed, two decimals by default. */
const fixed = (value: number, digits = 2) => value.toFixed(digits);
/** A double written to a C++ stream with default settings (%g): six significant digits, no trailing
 *  zeros, and scientific notation (1e+06) when the exponent is below -4 or at least 6. */
function streamed(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  const [mantissa = '', exponentText = ''] = value.toExponential(5).split('e');
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 6) return String(Number(value.toPrecision(6)));
  return `${String(Number(mantissa))}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function earlyStoppingLines(summary: LatencySummaryReport): string[] {
  const percentile = fixed(summary.targetPercentile, 0);
  if (summary.scenario === 'server') {
    if (summary.earlyStoppingSatisfied) return [' * Run successful.'];
    return [
      ' * Run unsuccessful.',
      ` * Processed ${summary.queryCount} queries.`,
      ` * Would need to run at least ${(summary.earlyStoppingMinQueries ?? 0) - summary.queryCount} more queries,`,
      ' with the run being successful if every additional',
      ' query were under latency.',
    ];
  }
  if (summary.earlyStoppingLatencyNs === null) {
    return [` * Only processed ${summary.queryCount} queries.`, ` * Need to process at least ${summary.earlyStoppingMinQueries} queries for early stopping.`];
  }
  return [
    ` * Processed at least ${summary.earlyStoppingMinQueries} queries (${summary.queryCount}).`,
    ` * Would discard ${summary.earlyStoppingDiscardedQueries} highest latency queries.`,
    ` * Early stopping ${percentile}th percentile estimate: ${summary.earlyStoppingLatencyNs}`,
    ...(summary.scenario === 'single-stream' ? singleStreamP99Lines(summary) : []),
  ];
}

/** SingleStream adds LoadGen's p99 estimate, from which a MultiStream result can be inferred. */
function singleStreamP99Lines(summary: LatencySummaryReport): string[] {
  // Reports from before the estimate was recorded.
  if (summary.earlyStoppingP99LatencyNs === undefined) return [];
  if (summary.earlyStoppingP99LatencyNs !== null) return [` * Early stopping 99th percentile estimate: ${summary.earlyStoppingP99LatencyNs}`];
  return [
    ' * Not enough queries processed for 99th percentile',
    ' early stopping estimate (would need to process at',
    ` least ${minPassingQueries(1, 0.99) + 1} total queries).`,
  ];
}

function recommendations(summary: LatencySummaryReport): string[] {
  if (summary.result === 'VALID') return [];
  const lines = ['Recommendations:'];
  if (summary.server !== null && !summary.server.latencyBoundSatisfied) lines.push(' * Reduce target QPS to improve latency.');
  if (summary.server !== null && !summary.server.qpsSatisfied) lines.push(' * Queries completed well below the scheduled rate: reduce target QPS.');
  if (!summary.minDurationSatisfied) lines.push(' * Raise maxDurationMs (or lower minDurationMs) so the run can reach its minimum duration.');
  if (!summary.minQueriesSatisfied) lines.push(' * The test exited early, before enough queries were issued.');
  if (!summary.earlyStoppingSatisfied) lines.push(' * Run more queries for the early-stopping estimate (see below).');
  return lines;
}

function latencyLines(summary: LatencySummaryReport): string[] {
  const { latency } = summary;
  const percentiles: [string, number][] = [
    ['50.00', latency.p50Ns],
    ['90.00', latency.p90Ns],
    ['95.00', latency.p95Ns],
    ['97.00', latency.p97Ns],
    ['99.00', latency.p99Ns],
    ['99.90', latency.p999Ns],
  ];
  return [
    `Min latency (ns)                : ${latency.minNs}`,
    `Max latency (ns)                : ${latency.maxNs}`,
    `Mean latency (ns)               : ${latency.meanNs}`,
    ...percentiles.map(([label, value]) => `${label} percentile latency (ns)   : ${value}`),
  ];
}

function testParameters(summary: LatencySummaryReport): string[] {
  const { spec, sampleSet } = summary;
  const inFlight = spec.scenario === 'server' || spec.scenario === 'offline' ? spec.maxOutstandingQueries : 1;
  return [
    `samples_per_query : ${spec.scenario === 'offline' ? spec.offlineSampleCount : spec.samplesPerQuery}`,
    // A searched Server run ran at the rate its search found, not the spec's targetQps.
    `target_qps : ${summary.serverSearch?.finalQps ?? spec.targetQps}`,
    `target_latency (ns): ${spec.scenario === 'server' ? spec.targetLatencyMs * 1e6 : 0}`,
    `max_async_queries : ${inFlight}`,
    `min_duration (ms): ${spec.minDurationMs}`,
    `max_duration (ms): ${spec.maxDurationMs}`,
    `min_query_count : ${spec.scenario === 'offline' ? 1 : spec.minQueryCount}`,
    'max_query_count : 0',
    // Reports since the performance sample set record its three seeds; older ones ran one sample, drawn
    // from spec.seed, which also (salted) seeded the Server schedule.
    `qsl_rng_seed : ${sampleSet?.qslSeed ?? spec.seed}`,
    `sample_index_rng_seed : ${sampleSet?.sampleIndexSeed ?? 0}`,
    `schedule_rng_seed : ${sampleSet?.scheduleSeed ?? spec.seed}`,
    'accuracy_log_rng_seed : 0',
    'accuracy_log_probability : 0',
    'accuracy_log_sampling_target : 0',
    'print_timestamps : 0',
    'performance_issue_unique : 0',
    'performance_issue_same : 0',
    'performance_issue_same_index : 0',
    `performance_sample_count : ${sampleSet?.performanceSampleCount ?? 1}`,
  ];
}

export function formatMlperfSummary(summary: LatencySummaryReport, environment: EnvironmentInfo, options: MlperfSummaryOptions = {}): string {
  const { runtime } = environment;
  const sutName = options.sutName ?? `${runtime.name} ${runtime.version} (${runtime.executionProvider}) on ${environment.cpu.model}`;
  const percentile = fixed(summary.targetPercentile, 0);
  const metric: string[] = [];
  const additional: string[] = [];
  switch (summary.scenario) {
    case 'single-stream':
      metric.push(`${percentile}th percentile latency (ns) : ${summary.targetLatencyNs}`);
      // Reports from before qpsWithOverhead was recorded have no figure LoadGen's formula gives.
      if (summary.qpsWithOverhead !== undefined) additional.push(`QPS w/ loadgen overhead         : ${summary.qpsWithOverhead === null ? 'nan' : fixed(summary.qpsWithOverhead)}`);
      additional.push(`QPS w/o loadgen overhead        : ${fixed(summary.qpsWithoutOverhead)}`, '');
      break;
    case 'multi-stream':
      metric.push(`${percentile}th percentile latency (ns) : ${summary.targetLatencyNs}`);
      additional.push('Per-query latency:  ');
      break;
    case 'server':
      metric.push(`Scheduled samples per second : ${fixed(summary.server?.scheduledQps ?? 0)}`);
      additional.push(`Completed samples per second    : ${fixed(summary.server?.completedQps ?? 0)}`, '');
      break;
    case 'offline':
      metric.push(`Samples per second: ${streamed(summary.qps)}`);
      break;
  }

  const lines = [
    RULE,
    'MLPerf Results Summary',
    RULE,
    `SUT name : ${sutName}`,
    `Scenario : ${LOADGEN_SCENARIO_NAMES[summary.scenario]}`,
    'Mode     : PerformanceOnly',
    ...metric,
    `Result is : ${summary.result}`,
    ...(summary.server === null ? [] : [`  Performance constraints satisfied : ${yesNo(summary.server.latencyBoundSatisfied && summary.server.qpsSatisfied)}`]),
    `  Min duration satisfied : ${yesNo(summary.minDurationSatisfied)}`,
    `  Min queries satisfied : ${yesNo(summary.minQueriesSatisfied)}`,
    `  Early stopping satisfied: ${yesNo(summary.earlyStoppingSatisfied)}`,
    ...recommendations(summary),
    ...(summary.scenario === 'offline' ? [] : ['Early Stopping Result:', ...earlyStoppingLines(summary)]),
    '',
    RULE,
    'Additional Stats',
    RULE,
    ...additional,
    ...latencyLines(summary),
    '',
    RULE,
    'Test Parameters Used',
    RULE,
    ...testParameters(summary),
    '',
    'No warnings encountered during test.',
    '',
    'No errors encountered during test.',
  ];
  return `${lines.join('\n')}\n`;
}
