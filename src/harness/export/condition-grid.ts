// A condition grid (#17 item 7): one CSV row per workload × precision × scenario (and, for LMs, prompt
// and output length), the table field reports and compression vendors tabulate beside the MLPerf
// summary. Figures are taken from the stored summary as they are; nothing is recomputed here. Values a
// run did not measure say so ('not measured') rather than leaving a blank that reads as zero.
// RFC 4180: CRLF line ends, a header row, fields with a comma, quote, CR or LF in double quotes with
// quotes doubled.
import type { LatencySummaryReport } from '../report-format.js';

export interface ConditionGridEntry {
  reportId: string;
  /** The suite workload ('npubench-edge@1/ocr-recognition'), or what the report ranks as when it has none. */
  workload: string;
  device: string;
  model: {
    name: string;
    version: string;
    /** sha256 of the model file (the artifact digest). */
    digest: string;
    /** The element type of the model's first input, as the leaderboard files it (float32, float16, int8, …). */
    precision: string;
    /** Declared compression technique of a variant (quantization, pruning, …); null for a reference or an unrelated model. */
    technique: string | null;
    division: string | null;
  };
  summary: LatencySummaryReport;
}

export const NOT_MEASURED = 'not measured';

const HEADLINE: Record<LatencySummaryReport['scenario'], { metric: string; unit: string; value: (s: LatencySummaryReport) => number | null }> = {
  'single-stream': { metric: 'p90 latency', unit: 'ms', value: (s) => s.targetLatencyNs / 1e6 },
  'multi-stream': { metric: 'p99 latency', unit: 'ms', value: (s) => s.targetLatencyNs / 1e6 },
  server: { metric: 'completed QPS at the latency bound', unit: 'queries/s', value: (s) => s.server?.completedQps ?? null },
  offline: { metric: 'samples per second', unit: 'samples/s', value: (s) => s.qps },
};

/** Up to 6 decimals, no exponent for the magnitudes a benchmark gives, no trailing zeros. */
const num = (value: number | null | undefined): string => (value === null || value === undefined || !Number.isFinite(value) ? '' : String(Number(value.toFixed(6))));
const ms = (ns: number | null | undefined) => (ns === null || ns === undefined ? '' : num(ns / 1e6));

/** The quality figure: the gate's metric (against the reference) when the run had one, else the first
 *  score the accuracy pass measured on its own. */
function qualityOf(summary: LatencySummaryReport): { metric: string; value: string; reference: string; relative: string } {
  const accuracy = summary.accuracy;
  if (accuracy?.gate) return { metric: accuracy.gate.metric, value: num(accuracy.gate.candidate), reference: num(accuracy.gate.reference), relative: num(accuracy.gate.relativeScore) };
  const alone: [string, number | undefined][] = [
    ['mmlu.accuracy', accuracy?.mmlu?.accuracy],
    ['classification.top1Accuracy', accuracy?.classification?.top1Accuracy],
    ['textRecognition.characterAccuracy', accuracy?.textRecognition?.characterAccuracy],
  ];
  const found = alone.find(([, value]) => value !== undefined);
  if (found) return { metric: found[0], value: num(found[1]), reference: '', relative: '' };
  return { metric: NOT_MEASURED, value: NOT_MEASURED, reference: '', relative: '' };
}

export const CONDITION_GRID_COLUMNS = [
  'workload', 'model', 'model_digest', 'precision', 'technique', 'division', 'scenario', 'prompt_tokens', 'output_tokens',
  'headline_metric', 'headline_value', 'headline_unit', 'p50_ms', 'p90_ms', 'p99_ms', 'qps', 'result',
  'ttft_p50_ms', 'tpot_p50_ms', 'output_tokens_per_s',
  'energy_per_inference_mj', 'avg_power_w', 'power_meter', 'power_uncertainty_pct',
  'quality_metric', 'quality', 'quality_reference', 'quality_relative', 'fidelity_min_cosine',
  'device', 'report_id',
] as const;

export type ConditionGridRow = Record<(typeof CONDITION_GRID_COLUMNS)[number], string>;

export function conditionGridRow(entry: ConditionGridEntry): ConditionGridRow {
  const { summary, model } = entry;
  const headline = HEADLINE[summary.scenario];
  const power = summary.power;
  const quality = qualityOf(summary);
  const cosines = summary.accuracy?.fidelity?.outputs.map((o) => o.minCosineSimilarity) ?? [];
  const llm = summary.llm;
  return {
    workload: entry.workload,
    model: `${model.name}@${model.version}`,
    model_digest: `sha256:${model.digest}`,
    precision: model.precision,
    technique: model.technique ?? 'none',
    division: model.division ?? '',
    scenario: summary.scenario,
    prompt_tokens: llm ? String(llm.promptTokens) : '',
    output_tokens: llm ? String(llm.outputTokens) : '',
    headline_metric: headline.metric,
    headline_value: num(headline.value(summary)),
    headline_unit: headline.unit,
    p50_ms: ms(summary.latency.p50Ns),
    p90_ms: ms(summary.latency.p90Ns),
    p99_ms: ms(summary.latency.p99Ns),
    qps: num(summary.qps),
    result: summary.result,
    ttft_p50_ms: llm ? ms(llm.ttft.p50Ns) : '',
    tpot_p50_ms: llm?.tpot ? ms(llm.tpot.p50Ns) : '',
    output_tokens_per_s: llm ? num(llm.outputTokensPerSecond) : '',
    // Per sample (one inference; a MultiStream query is several): 1000 / samples per joule.
    energy_per_inference_mj: power.measured ? (power.samplesPerJoule > 0 ? num(1000 / power.samplesPerJoule) : '') : NOT_MEASURED,
    avg_power_w: power.measured ? num(power.avgW) : NOT_MEASURED,
    power_meter: power.measured ? power.meter.kind : NOT_MEASURED,
    power_uncertainty_pct: power.measured ? (power.uncertaintyPct === null ? 'not stated' : num(power.uncertaintyPct)) : NOT_MEASURED,
    quality_metric: quality.metric,
    quality: quality.value,
    quality_reference: quality.reference,
    quality_relative: quality.relative,
    fidelity_min_cosine: cosines.length > 0 ? num(Math.min(...cosines)) : '',
    device: entry.device,
    report_id: entry.reportId,
  };
}

/** RFC 4180 field quoting. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The grid as CSV text, rows ordered by workload, precision, scenario and LM lengths. */
export function conditionGridCsv(entries: readonly ConditionGridEntry[]): string {
  const rows = entries.map(conditionGridRow).sort((a, b) =>
    [a.workload.localeCompare(b.workload), a.precision.localeCompare(b.precision), a.technique.localeCompare(b.technique), a.scenario.localeCompare(b.scenario), Number(a.prompt_tokens) - Number(b.prompt_tokens), Number(a.output_tokens) - Number(b.output_tokens)].find((c) => c !== 0) ?? 0,
  );
  const lines = [CONDITION_GRID_COLUMNS.join(','), ...rows.map((row) => CONDITION_GRID_COLUMNS.map((column) => csvField(row[column])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
