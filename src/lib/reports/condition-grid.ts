// A condition grid (#17 item 7): one CSV row per workload × precision × scenario (and, for LMs, prompt
// and output length), the table field reports and compression vendors tabulate beside the MLPerf
// summary. The same writer serves one report (GET /v1/reports/{id}/condition-grid.csv) and a whole suite
// run (GET /v1/suite-runs/{id}/condition-grid.csv).
//
// Every figure comes from the report's rule facts (src/lib/certificates/rule-facts.ts), the one reading of
// a report that certificates and suite reports also use, so the grid, a certificate and the signed suite
// report cannot disagree; nothing is recomputed here. A figure the run did not measure is an empty cell,
// never 0 (and an empty cell is also one that does not apply, e.g. TTFT for a vision model).
// RFC 4180: CRLF line ends, a header row, fields with a comma, quote, CR or LF in double quotes with
// quotes doubled.
import { SCENARIOS, type Scenario } from '../../contracts/job-vocabulary.js';
import type { RuleFacts } from '../certificates/rule-facts.js';

/** The execution provider onnxruntime names for its CPU kernels: whatever else ran a node is an accelerator. */
export const CPU_PROVIDER = 'CPUExecutionProvider';

/** Quality against the reference, as the row's source states it: the suite report's verdict for a suite
 *  run, the report's own accuracy facts for a single report. */
export interface ConditionGridQuality {
  metric: string;
  candidate: number | null;
  reference: number | null;
  /** candidate / reference. */
  relative: number | null;
  samples: number | null;
  /** Whether the suite's quality target was met; null outside a suite or when not measured. */
  meetsTarget: boolean | null;
}

export interface ConditionGridEntry {
  /** The suite run's suite; null for a report outside one. */
  suite: { id: string; digest: string } | null;
  /** The suite workload ('npubench-edge@1/ocr-recognition'), or what the report ranks as when it has none. */
  workload: string;
  device: { slug: string; executionProvider: string };
  model: {
    name: string;
    version: string;
    /** sha256 of the model file (the artifact digest). */
    digest: string;
    /** The element type of most of the model's weights, as the leaderboard files it (modelPrecision: float32, float16, int8, …). */
    precision: string;
    /** Declared compression technique of a variant (quantization, pruning, …); null for a reference or an unrelated model. */
    technique: string | null;
    division: string | null;
  };
  scenario: Scenario;
  /** The job that ran this condition: its status, and its error code when it produced no report. */
  job: { status: string; errorCode: string | null };
  reportId: string | null;
  /** This condition's facts; null when its job produced no (readable) report. */
  facts: RuleFacts | null;
  quality: ConditionGridQuality | null;
  /** Output comparisons with the reference (from the accuracy pass, which in a suite run is the workload's first scenario). */
  fidelity: RuleFacts['fidelity'];
}

/** A report's own quality facts, for a grid of reports outside a suite run. */
export function qualityOfFacts(facts: RuleFacts | null): ConditionGridQuality | null {
  const accuracy = facts?.accuracy;
  if (!accuracy) return null;
  return { metric: accuracy.metric, candidate: accuracy.candidate, reference: accuracy.reference, relative: accuracy.reference === 0 ? null : accuracy.candidate / accuracy.reference, samples: accuracy.samples, meetsTarget: null };
}

export const CONDITION_GRID_COLUMNS = [
  'suite_id', 'suite_digest', 'workload', 'division',
  'model', 'model_digest', 'precision', 'technique',
  'device', 'execution_provider',
  'scenario', 'prompt_tokens', 'output_tokens',
  'job_status', 'job_error', 'result', 'invalid_causes',
  'query_count', 'target_percentile', 'latency_at_percentile_ms', 'p50_ms', 'p90_ms', 'p99_ms', 'qps',
  'ttft_p50_ms', 'ttft_p90_ms', 'tpot_p50_ms', 'tpot_p90_ms', 'output_tokens_per_s',
  'quality_metric', 'quality', 'quality_reference', 'quality_relative', 'quality_samples', 'quality_target_met',
  'fidelity_min_cosine', 'fidelity_top1_agreement', 'answer_agreement', 'token_agreement',
  'energy_per_inference_mj', 'energy_per_query_mj', 'avg_power_w', 'power_result', 'power_meter', 'power_meter_class', 'power_uncertainty_pct',
  'llm_power_result', 'energy_per_token_mj', 'energy_per_prompt_token_mj',
  'accelerator_node_share', 'accelerator_time_share', 'operator_providers',
  'report_id',
] as const;

export type ConditionGridRow = Record<(typeof CONDITION_GRID_COLUMNS)[number], string>;

/** Up to 6 decimals, no exponent for the magnitudes a benchmark gives, no trailing zeros; '' when absent. */
const num = (value: number | null | undefined): string => (value === null || value === undefined || !Number.isFinite(value) ? '' : String(Number(value.toFixed(6))));
const ms = (ns: number | null | undefined) => (ns === null || ns === undefined ? '' : num(ns / 1e6));
const yesNo = (value: boolean | null | undefined) => (value === null || value === undefined ? '' : value ? 'yes' : 'no');

/** Share of nodes and of kernel time on providers other than the CPU's (the profile's time share is a lower
 *  bound when it lists only its top nodes; the node share is exact). */
function acceleratorShare(operators: RuleFacts['operators']): { nodes: string; time: string; providers: string } {
  if (!operators) return { nodes: '', time: '', providers: '' };
  const accelerated = operators.providers.filter((p) => p.provider !== CPU_PROVIDER);
  return {
    nodes: num(accelerated.reduce((sum, p) => sum + p.nodeShare, 0)),
    time: num(accelerated.reduce((sum, p) => sum + p.timeShare, 0)),
    providers: operators.providers.map((p) => `${p.provider}:${p.nodes}`).join(';'),
  };
}

export function conditionGridRow(entry: ConditionGridEntry): ConditionGridRow {
  const { facts, model, quality, fidelity } = entry;
  const latency = facts?.latency;
  const power = facts?.power.measured ? facts.power : null;
  // A meter that delivered no sample in the run's window integrates to 0 J: that is no measurement (the
  // power result says INVALID and why), so its energy and power cells stay empty rather than read 0.
  const energy = power && power.energyJ > 0 ? power : null;
  const llm = facts?.llm ?? null;
  const llmEnergy = llm?.energy?.measured ? llm.energy : null;
  const outputs = fidelity?.outputs ?? [];
  const share = acceleratorShare(facts?.operators ?? null);
  return {
    suite_id: entry.suite?.id ?? '',
    suite_digest: entry.suite?.digest ?? '',
    workload: entry.workload,
    division: model.division ?? '',
    model: `${model.name}@${model.version}`,
    model_digest: `sha256:${model.digest}`,
    precision: model.precision,
    technique: model.technique ?? 'none',
    device: entry.device.slug,
    execution_provider: entry.device.executionProvider,
    scenario: entry.scenario,
    prompt_tokens: llm ? String(llm.promptTokens) : '',
    output_tokens: llm ? String(llm.outputTokens) : '',
    job_status: entry.job.status,
    job_error: entry.job.errorCode ?? '',
    result: latency?.result ?? '',
    invalid_causes: latency?.invalidCauses.join('; ') ?? '',
    query_count: latency ? String(latency.queryCount) : '',
    target_percentile: num(latency?.targetPercentile),
    latency_at_percentile_ms: ms(latency?.targetLatencyNs),
    p50_ms: ms(latency?.percentiles.p50Ns),
    p90_ms: ms(latency?.percentiles.p90Ns),
    p99_ms: ms(latency?.percentiles.p99Ns),
    qps: num(latency?.qps),
    ttft_p50_ms: ms(llm?.ttft.p50Ns),
    ttft_p90_ms: ms(llm?.ttft.p90Ns),
    tpot_p50_ms: ms(llm?.tpot?.p50Ns),
    tpot_p90_ms: ms(llm?.tpot?.p90Ns),
    output_tokens_per_s: num(llm?.outputTokensPerSecond),
    quality_metric: quality?.metric ?? '',
    quality: num(quality?.candidate),
    quality_reference: num(quality?.reference),
    quality_relative: num(quality?.relative),
    quality_samples: num(quality?.samples),
    quality_target_met: yesNo(quality?.meetsTarget),
    fidelity_min_cosine: outputs.length > 0 ? num(Math.min(...outputs.map((o) => o.minCosine))) : '',
    fidelity_top1_agreement: num(outputs.find((o) => o.top1Agreement !== null)?.top1Agreement),
    answer_agreement: num(fidelity?.answerAgreement?.share),
    // Greedy tokens of the FP32 reference that the candidate predicts teacher-forced (LM accuracy pass).
    token_agreement: num(fidelity?.tokenAgreement?.share),
    // Per sample (one inference; a MultiStream query is several): 1000 / samples per joule.
    energy_per_inference_mj: energy && energy.samplesPerJoule > 0 ? num(1000 / energy.samplesPerJoule) : '',
    energy_per_query_mj: num(energy?.energyPerQueryMj),
    avg_power_w: num(energy?.avgW),
    power_result: power?.result ?? '',
    power_meter: power?.meterKind ?? '',
    power_meter_class: power?.meterClass ?? '',
    // Empty too when the meter measured but states no uncertainty: nothing was stated to report.
    power_uncertainty_pct: num(power?.uncertaintyPct),
    // The LLM run's own meter window (energy per generated token, prefill included), not the latency run's.
    llm_power_result: llmEnergy?.result ?? '',
    energy_per_token_mj: num(llmEnergy?.energyPerTokenMj),
    energy_per_prompt_token_mj: num(llmEnergy?.energyPerPromptTokenMj),
    accelerator_node_share: share.nodes,
    accelerator_time_share: share.time,
    operator_providers: share.providers,
    report_id: entry.reportId ?? '',
  };
}

/** RFC 4180 field quoting. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const scenarioOrder = (s: string) => SCENARIOS.indexOf(s as Scenario);
const lengthOrder = (a: string, b: string) => (a === '' ? -1 : Number(a)) - (b === '' ? -1 : Number(b));

/** The grid as CSV text, rows ordered by workload, precision, technique, scenario (MLPerf's order) and LM lengths. */
export function conditionGridCsv(entries: readonly ConditionGridEntry[]): string {
  const rows = entries.map(conditionGridRow).sort(
    (a, b) =>
      [
        a.workload.localeCompare(b.workload),
        a.precision.localeCompare(b.precision),
        a.technique.localeCompare(b.technique),
        scenarioOrder(a.scenario) - scenarioOrder(b.scenario),
        lengthOrder(a.prompt_tokens, b.prompt_tokens),
        lengthOrder(a.output_tokens, b.output_tokens),
      ].find((c) => c !== 0) ?? 0,
  );
  const lines = [CONDITION_GRID_COLUMNS.join(','), ...rows.map((row) => CONDITION_GRID_COLUMNS.map((column) => csvField(row[column])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
