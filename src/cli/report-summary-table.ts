// Human-readable summary of a report for terminals.
import { formatNsAsMs } from '../contracts/durations.js';
import type { AccuracySummary, EnvironmentInfo, LlmLatencySummary, PowerSummary, ServerSearchSummary } from '../harness/index.js';
const ms = (ns: unknown) => (typeof ns === 'number' ? formatNsAsMs(ns) : 'n/a');

interface SummaryLike {
  scenario?: string;
  queryCount?: number;
  durationNs?: number;
  qps?: number;
  latency?: Record<string, number>;
  power?: PowerSummary;
  targetPercentile?: number;
  accuracy?: AccuracySummary;
  llm?: LlmLatencySummary;
  serverSearch?: ServerSearchSummary;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Rows for the accuracy and LLM-latency sections, when the report has them. */
function accuracyRows(s: SummaryLike): [string, string][] {
  const rows: [string, string][] = [];
  const a = s.accuracy;
  if (a?.mmlu) {
    const m = a.mmlu;
    rows.push(['MMLU accuracy', `${pct(m.accuracy)} (${m.correct}/${m.questionCount}, 95% CI ${pct(m.accuracyCi95[0])}–${pct(m.accuracyCi95[1])}); macro ${pct(m.macroAccuracy)}; ${m.shots}-shot, ${m.dataset}`]);
    if (m.reference) rows.push(['MMLU reference', `${pct(m.reference.accuracy)}; same answer on ${pct(m.reference.predictionAgreement)} of questions`]);
  }
  if (a?.classification) {
    const c = a.classification;
    rows.push(['top-1 / top-5', `${pct(c.top1Accuracy)} / ${pct(c.top5Accuracy)} of ${c.rows} labelled rows${c.reference ? `; reference ${pct(c.reference.top1Accuracy)} / ${pct(c.reference.top5Accuracy)}` : ''}`]);
  }
  if (a?.textRecognition) {
    const r = a.textRecognition;
    rows.push(['character accuracy', `${r.characterAccuracy.toFixed(4)} (${r.edits} edits over ${r.referenceCharacters} characters, ${r.exactLines}/${r.lines} lines exact)${r.reference ? `; reference ${r.reference.characterAccuracy.toFixed(4)}, logits cosine ${r.reference.logitsCosine.toFixed(6)} (min ${r.reference.minLogitsCosine.toFixed(6)})` : ''}`]);
  }
  if (a?.textDetection) {
    const d = a.textDetection;
    rows.push(['detection hmean', `${d.hmean.toFixed(4)} (precision ${pct(d.precision)}, recall ${pct(d.recall)}: ${d.matched} of ${d.truthBoxes} boxes at IoU ≥ 0.5, ${d.pages} pages)${d.reference ? `; reference ${d.reference.hmean.toFixed(4)}` : ''}${d.mapCosine === null ? '' : `, map cosine ${d.mapCosine.toFixed(6)}`}`]);
  }
  for (const o of a?.fidelity?.outputs ?? []) {
    const topk = o.top1Agreement === null ? '' : `, top-1 agreement ${pct(o.top1Agreement)}, top-5 ${pct(o.top5Agreement ?? 0)}`;
    rows.push([`fidelity ${o.name}`, `cosine ${o.cosineSimilarity.toFixed(6)} (min ${o.minCosineSimilarity.toFixed(6)}), max |err| ${o.maxAbsError.toPrecision(4)}, mean |err| ${o.meanAbsError.toPrecision(4)}${topk}`]);
  }
  if (a?.gate) rows.push(['accuracy gate', `${a.gate.result}: ${a.gate.metric} ${a.gate.candidate.toFixed(4)} vs reference ${a.gate.reference.toFixed(4)} = ${pct(a.gate.relativeScore)} (needs ≥ ${pct(a.gate.minRelativeScore)})`]);
  if (s.llm) {
    const l = s.llm;
    rows.push(['LLM TTFT p50 / p90', `${ms(l.ttft.p50Ns)} / ${ms(l.ttft.p90Ns)} (${l.promptTokens}-token prompt)`]);
    rows.push(['LLM TPOT p50 / p90', l.tpot ? `${ms(l.tpot.p50Ns)} / ${ms(l.tpot.p90Ns)}` : 'n/a (one output token)']);
    rows.push(['LLM tokens/s', `${l.outputTokensPerSecond.toFixed(1)} output (${l.outputTokens} per run, ${l.runs} runs), prefill ${l.prefillTokensPerSecond.toFixed(0)}`]);
  }
  return rows;
}

export function formatReportSummary(report: { summary: unknown; environment: unknown; device?: { slug: string } }, url: string): string {
  const s = report.summary as SummaryLike;
  const l = s.latency ?? {};
  const rows: [string, string][] = [
    ['scenario', s.scenario ?? 'n/a'],
    ['device', report.device?.slug ?? 'n/a'],
    ['queries', String(s.queryCount ?? 'n/a')],
    ['duration', typeof s.durationNs === 'number' ? `${(s.durationNs / 1e9).toFixed(2)} s` : 'n/a'],
    ['throughput', typeof s.qps === 'number' ? `${s.qps.toFixed(1)} queries/s` : 'n/a'],
    ['latency p50', ms(l.p50Ns)],
    ['latency p90', ms(l.p90Ns)],
    ['latency p99', ms(l.p99Ns)],
    ['latency min / mean / max', `${ms(l.minNs)} / ${ms(l.meanNs)} / ${ms(l.maxNs)}`],
    ['power', describePower(s.power)],
    ...searchRows(s.serverSearch),
    ...accuracyRows(s),
    ['environment', describeEnvironment(report.environment as Partial<EnvironmentInfo>)],
    ['report', url],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

/** The Server QPS search, one row per step, so the search behind the reported rate is on screen. */
function searchRows(search: ServerSearchSummary | undefined): [string, string][] {
  if (!search) return [];
  return [
    ['QPS search', `${search.foundQps === null ? 'no passing rate' : `found ${search.foundQps} QPS`} (${search.stopReason}, ${search.steps.length}/${search.maxSteps} steps, start ${search.startQps} from the ${search.startSource}); reported runs at ${search.finalQps} QPS${search.foundQps !== null && search.reportMarginPct ? ` (${search.reportMarginPct}% below)` : ''}`],
    ...search.steps.map((step, i): [string, string] => [`  step ${i + 1}`, `${step.targetQps} QPS: ${step.result}, achieved ${step.achievedQps.toFixed(1)}, p-latency ${ms(step.percentileLatencyNs)}${step.latencyBoundSatisfied ? '' : ' over the bound'}${step.earlyStoppingSatisfied ? '' : ', early stopping not met'}${step.qpsSatisfied ? '' : ', rate not sustained'}`]),
  ];
}

function describeEnvironment(env: Partial<EnvironmentInfo>): string {
  return [
    env.cpu ? `${env.cpu.model} (${env.cpu.logicalCores} cores)` : undefined,
    env.os ? `${env.os.type} ${env.os.release} ${env.arch ?? ''}`.trim() : undefined,
    env.totalMemoryBytes ? `${(env.totalMemoryBytes / 1024 ** 3).toFixed(1)} GiB` : undefined,
    env.nodeVersion ? `node ${env.nodeVersion}` : undefined,
    env.runtime ? `${env.runtime.name} ${env.runtime.version}, EP ${env.runtime.executionProvider}` : undefined,
  ]
    .filter(Boolean)
    .join('; ');
}

function describePower(power: PowerSummary | undefined): string {
  if (!power) return 'n/a';
  if (!power.measured) return power.reason;
  const perQuery = `${power.energyPerQueryMj.toFixed(3)} mJ/query`;
  const idle = power.idleSubtractedEnergyPerQueryMj === null ? '' : ` (${power.idleSubtractedEnergyPerQueryMj.toFixed(3)} above idle)`;
  const verdict = power.result === 'VALID' ? '' : `, INVALID: ${power.invalidReasons.join('; ')}`;
  return `${power.avgW.toFixed(2)} W avg, ${power.peakW.toFixed(2)} W peak, ${perQuery}${idle}; ${power.meter.kind} ${power.meter.name}${verdict}`;
}
