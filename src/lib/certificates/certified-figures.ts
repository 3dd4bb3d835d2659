// What a certificate says was certified beyond speed (#17 item 5), in words, from the report's rule
// facts: quality against the reference, fidelity, energy per inference with the meter's class and
// stated uncertainty, and where the operators ran. Each figure says "not measured" when the report did
// not measure it, so a certificate never reads as if it had. No Node imports.
import type { RuleFacts } from './rule-facts.js';

const plain = (value: number, decimals: number) => String(Number(value.toFixed(decimals)));
const pct = (share: number) => `${plain(share * 100, 2)} %`;

const METRIC_LABEL = { 'mmlu.accuracy': 'MMLU accuracy', 'classification.top1Accuracy': 'top-1 accuracy', 'textRecognition.characterAccuracy': 'character accuracy', 'textDetection.hmean': 'detection hmean', 'voiceActivity.f1': 'frame F1', top1Agreement: 'top-1 agreement' } as const satisfies Record<NonNullable<RuleFacts['accuracy']>['metric'], string>;

export function certifiedFiguresOf(facts: RuleFacts): { label: string; value: string }[] {
  const figures: { label: string; value: string }[] = [];
  const { accuracy, fidelity, power, operators, llm } = facts;
  figures.push({
    label: 'Quality vs reference',
    value: accuracy
      ? `${METRIC_LABEL[accuracy.metric]} ${plain(accuracy.candidate, 4)} vs ${plain(accuracy.reference, 4)}${accuracy.reference > 0 ? ` (${pct(accuracy.candidate / accuracy.reference)})` : ''}, ${accuracy.samples} samples`
      : 'not measured (no accuracy pass against a reference model)',
  });
  if (fidelity && fidelity.outputs.length > 0) {
    const minCosine = Math.min(...fidelity.outputs.map((o) => o.minCosine));
    const top1 = fidelity.outputs.flatMap((o) => (o.top1Agreement === null ? [] : [o.top1Agreement]));
    const tokens = fidelity.tokenAgreement;
    figures.push({
      label: 'Fidelity to reference',
      value: `min cosine ${plain(minCosine, 6)}${top1.length > 0 ? `, top-1 agreement ${pct(Math.min(...top1))}` : ''}${tokens ? `, token agreement ${pct(tokens.share)} (${tokens.tokens} tokens)` : ''}`,
    });
  }
  const perUnit = facts.latency.scenario === 'offline' || facts.latency.scenario === 'server' ? 'sample' : 'inference';
  figures.push({
    label: `Energy per ${perUnit}`,
    value: power.measured
      ? `${plain(power.energyPerQueryMj, 3)} mJ, ${plain(power.avgW, 3)} W avg (${power.meterKind} meter, ${power.meterClass} class, ${power.uncertaintyPct === null ? 'uncertainty not stated' : `±${plain(power.uncertaintyPct, 3)} % stated`}; ${power.result})`
      : `not measured (${power.reason.replace(/^not measured: /, '')})`,
  });
  if (llm) {
    const energy = llm.energy;
    figures.push({
      label: 'Energy per token',
      value: !energy
        ? 'not measured (no power window covers the token runs)'
        : energy.measured
          ? `${plain(energy.energyPerTokenMj, 3)} mJ/token, ${plain(energy.avgW, 3)} W (${energy.meterClass} meter, ${energy.uncertaintyPct === null ? 'no stated uncertainty' : `±${plain(energy.uncertaintyPct, 3)} %`}; ${energy.result})`
          : `not measured (${energy.reason.replace(/^not measured: /, '')})`,
    });
  }
  if (operators) {
    const top = [...operators.providers].sort((a, b) => b.nodes - a.nodes)[0];
    figures.push({
      label: 'Accelerator share',
      value: top
        ? `${top.provider}: ${top.nodes}/${operators.nodes} nodes (${pct(top.nodeShare)}), ${top.timeShareComplete ? '' : '≥ '}${pct(top.timeShare)} of kernel time`
        : 'no kernels profiled',
    });
  } else {
    figures.push({ label: 'Accelerator share', value: 'not measured (no operator profile)' });
  }
  return figures;
}
