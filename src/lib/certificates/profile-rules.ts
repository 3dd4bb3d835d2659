// The certification rule engine: a pure function of a profile's rules and a report's facts
// (rule-facts.ts), one line per rule. The service evaluates with it before it issues; `npubench verify
// --explain` and the in-browser verifier re-evaluate the rules and facts a certificate carries with it,
// so no verifier trusts the signed verdict alone. Zod and plain code only, no Node imports.
//
// Decisions:
// - Minimum queries and duration hold per run, like the harness's own minimums: repeats pool their
//   latencies, but a certificate's "≥ 60 s" means one sustained run, which is what heats a device.
// - `latency.percentile: 'target'` reads the early-stopping estimate when the summary has one
//   (SingleStream/MultiStream): it bounds the target percentile with 99% confidence, the figure LoadGen
//   reports for those scenarios. Otherwise it reads the target-percentile latency.
// - A rule whose figure the report did not measure fails "not measured": a certificate never claims
//   what was not measured.
import { canonicalize } from '../crypto/canonical-json.js';
import { formatNsAsMs as ms } from '../../contracts/durations.js';
import type { ProfileRules, RuleOutcome } from '../../contracts/profiles.js';
import type { RuleFacts } from './rule-facts.js';

/** The drift a profile tolerates at most, whatever threshold the vendor's spec chose (the suite default). */
export const MAX_THERMAL_SLOWDOWN_PCT = 10;

const LATENCY_FIELDS = { 50: 'p50Ns', 90: 'p90Ns', 95: 'p95Ns', 97: 'p97Ns', 99: 'p99Ns', 99.9: 'p999Ns' } as const;
const MIB = 1024 * 1024;

type RuleName = keyof ProfileRules;

export interface RulesEvaluation {
  verdict: 'PASS' | 'FAIL';
  rules: RuleOutcome[];
}

type Check = Pick<RuleOutcome, 'passed' | 'actual' | 'reason'>;

interface RuleDefinition<K extends RuleName> {
  expected(rule: NonNullable<ProfileRules[K]>): string;
  check(rule: NonNullable<ProfileRules[K]>, facts: RuleFacts): Check;
}

/** Trims trailing zeros so rule values read as written ("15", "0.5"). */
const plain = (value: number, decimals: number) => String(Number(value.toFixed(decimals)));
const pct = (share: number) => `${plain(share * 100, 2)} %`;
const percentileLabel = (percentile: number) => `p${plain(percentile, 3)}`;
const passOrFail = (passed: boolean, actual: string, failReason: string): Check => ({ passed, actual, reason: passed ? 'met' : failReason });
const notMeasured = (what: string, why?: string): Check => ({ passed: false, actual: 'not measured', reason: why ? `${what} not measured: ${why}` : `${what} not measured` });

/** The worst per-run figure (smallest or largest), saying so when there were several runs. */
function worstRun(facts: RuleFacts, pick: (run: RuleFacts['latency']['runs'][number]) => number, take: 'min' | 'max', noun: string) {
  const values = facts.latency.runs.map(pick);
  const value = take === 'min' ? Math.min(...values) : Math.max(...values);
  return { value, note: facts.latency.runs.length > 1 ? ` (${noun} of ${facts.latency.runs.length} runs)` : '' };
}

function latencyOf(rule: NonNullable<ProfileRules['latency']>, latency: RuleFacts['latency']): { label: string; ns: number } {
  if (rule.percentile !== 'target') return { label: percentileLabel(rule.percentile), ns: latency.percentiles[LATENCY_FIELDS[rule.percentile]] };
  const label = percentileLabel(latency.targetPercentile);
  return latency.earlyStopping.estimateNs === null ? { label, ns: latency.targetLatencyNs } : { label: `${label} early-stopping estimate`, ns: latency.earlyStopping.estimateNs };
}

/** Several bounds in one rule: every one must hold; the line lists them all and names the first missed. */
function allOf(parts: readonly { passed: boolean; actual: string; reason: string }[]): Check {
  const failed = parts.find((p) => !p.passed);
  return { passed: failed === undefined, actual: parts.map((p) => p.actual).join('; '), reason: failed?.reason ?? 'met' };
}

function fidelityCheck(rule: NonNullable<ProfileRules['fidelity']>, facts: RuleFacts): Check {
  const fidelity = facts.fidelity;
  if (!fidelity) return notMeasured('fidelity', 'the report compared no outputs with a reference model');
  const parts: { passed: boolean; actual: string; reason: string }[] = [];
  const outputs = fidelity.outputs;
  const minOf = (values: number[]) => (values.length === 0 ? null : Math.min(...values));
  const bound = (label: string, min: number | undefined, value: number | null, missing: string) => {
    if (min === undefined) return;
    if (value === null) parts.push({ passed: false, actual: `${label} not measured`, reason: missing });
    else parts.push({ passed: value >= min, actual: `${label} = ${plain(value, 6)}`, reason: `${label} below ${plain(min, 6)}` });
  };
  bound('min cosine', rule.minCosine, minOf(outputs.map((o) => o.minCosine)), 'no output was compared');
  bound('top-1 agreement', rule.minTop1Agreement, minOf(outputs.flatMap((o) => (o.top1Agreement === null ? [] : [o.top1Agreement]))), 'no classifier-like output to compare');
  bound('top-5 agreement', rule.minTop5Agreement, minOf(outputs.flatMap((o) => (o.top5Agreement === null ? [] : [o.top5Agreement]))), 'no classifier-like output to compare');
  bound('answer agreement', rule.minAnswerAgreement, fidelity.answerAgreement?.share ?? null, 'no MMLU answers of the reference');
  if (rule.minTokenAgreement !== undefined) {
    const tokens = fidelity.tokenAgreement ?? null;
    parts.push(
      tokens === null
        ? { passed: false, actual: 'token agreement not measured', reason: 'no greedy tokens of the reference LM compared' }
        : { passed: tokens.share >= rule.minTokenAgreement, actual: `token agreement = ${plain(tokens.share, 6)} (${tokens.tokens} tokens, ${tokens.prompts} prompts)`, reason: `token agreement below ${plain(rule.minTokenAgreement, 6)}` },
    );
  }
  if (rule.minSamples !== undefined) {
    const samples = minOf([...outputs.map((o) => o.samples), ...(fidelity.answerAgreement ? [fidelity.answerAgreement.questions] : [])]) ?? 0;
    parts.push({ passed: samples >= rule.minSamples, actual: `samples = ${samples}`, reason: 'too few compared samples' });
  }
  return allOf(parts);
}

function powerCheck(rule: NonNullable<ProfileRules['power']>, facts: RuleFacts): Check {
  const power = facts.power;
  if (!power.measured) return notMeasured('power', power.reason.replace(/^not measured: /, ''));
  const parts = [{ passed: power.result === 'VALID', actual: `power ${power.result}`, reason: `power result INVALID (${power.invalidReasons.join('; ')})` }];
  if (rule.meterClass !== undefined) parts.push({ passed: power.meterClass === rule.meterClass, actual: `meter ${power.meterKind} (${power.meterClass})`, reason: `not a ${rule.meterClass} meter` });
  if (rule.maxUncertaintyPct !== undefined) {
    parts.push(
      power.uncertaintyPct === null
        ? { passed: false, actual: 'uncertainty not stated', reason: 'the meter states no uncertainty' }
        : { passed: power.uncertaintyPct <= rule.maxUncertaintyPct, actual: `uncertainty = ${plain(power.uncertaintyPct, 3)} %`, reason: 'meter uncertainty above the bound' },
    );
  }
  if (rule.maxEnergyPerQueryMj !== undefined) {
    parts.push({ passed: power.energyPerQueryMj <= rule.maxEnergyPerQueryMj, actual: `energy = ${plain(power.energyPerQueryMj, 3)} mJ/query`, reason: 'energy per query above the bound' });
  }
  if (rule.maxEnergyPerTokenMj !== undefined) parts.push(energyPerTokenCheck(rule, rule.maxEnergyPerTokenMj, facts));
  return allOf(parts);
}

/** Energy per token over the LLM window: measured, VALID, from the rule's meter class, within the bound. */
function energyPerTokenCheck(rule: NonNullable<ProfileRules['power']>, max: number, facts: RuleFacts): Check {
  const energy = facts.llm?.energy;
  if (!facts.llm) return { passed: false, actual: 'energy per token not measured', reason: 'the report has no LLM run' };
  if (!energy) return { passed: false, actual: 'energy per token not measured', reason: 'no power window covers the LLM run' };
  if (!energy.measured) return { passed: false, actual: 'energy per token not measured', reason: `energy per token not measured: ${energy.reason.replace(/^not measured: /, '')}` };
  const actual = `energy = ${plain(energy.energyPerTokenMj, 3)} mJ/token (LLM window ${energy.result})`;
  if (energy.result !== 'VALID') return { passed: false, actual, reason: `LLM window power INVALID (${energy.invalidReasons.join('; ')})` };
  if (rule.meterClass !== undefined && energy.meterClass !== rule.meterClass) return { passed: false, actual, reason: `the LLM window was not measured by a ${rule.meterClass} meter` };
  return passOrFail(energy.energyPerTokenMj <= max, actual, 'energy per token above the bound');
}

function accelerationCheck(rule: NonNullable<ProfileRules['acceleratorShare']>, facts: RuleFacts): Check {
  const operators = facts.operators;
  if (!operators) return notMeasured('accelerator share', 'the report has no operator profile');
  const row = operators.providers.find((p) => p.provider === rule.provider);
  const nodeShare = row?.nodeShare ?? 0;
  const timeShare = row?.timeShare ?? 0;
  const parts = [];
  if (rule.minNodeShare !== undefined) {
    parts.push({ passed: nodeShare >= rule.minNodeShare, actual: `nodes on ${rule.provider} = ${row?.nodes ?? 0}/${operators.nodes} (${pct(nodeShare)})`, reason: `too few nodes on ${rule.provider}` });
  }
  if (rule.minTimeShare !== undefined) {
    const bound = row && !row.timeShareComplete ? ' (≥, listed nodes only)' : '';
    parts.push({ passed: timeShare >= rule.minTimeShare, actual: `kernel time on ${rule.provider} = ${pct(timeShare)}${bound}`, reason: `too little kernel time on ${rule.provider}` });
  }
  return allOf(parts);
}

function llmCheck(rule: NonNullable<ProfileRules['llm']>, facts: RuleFacts): Check {
  const llm = facts.llm;
  if (!llm) return notMeasured('LLM latency');
  const field = ({ 50: 'p50Ns', 90: 'p90Ns', 99: 'p99Ns' } as const)[rule.percentile];
  const label = percentileLabel(rule.percentile);
  const parts = [];
  if (rule.maxTtftMs !== undefined) parts.push({ passed: llm.ttft[field] <= rule.maxTtftMs * 1e6, actual: `TTFT ${label} = ${ms(llm.ttft[field])}`, reason: 'time to first token above the bound' });
  if (rule.maxTpotMs !== undefined) {
    parts.push(
      llm.tpot === null
        ? { passed: false, actual: 'TPOT not measured (one output token)', reason: 'time per output token not measured' }
        : { passed: llm.tpot[field] <= rule.maxTpotMs * 1e6, actual: `TPOT ${label} = ${ms(llm.tpot[field])}`, reason: 'time per output token above the bound' },
    );
  }
  if (rule.minOutputTokensPerSecond !== undefined) {
    parts.push({ passed: llm.outputTokensPerSecond >= rule.minOutputTokensPerSecond, actual: `${plain(llm.outputTokensPerSecond, 2)} tokens/s`, reason: 'output tokens per second below the minimum' });
  }
  return allOf(parts);
}

function llmExpected(rule: NonNullable<ProfileRules['llm']>): string {
  const label = percentileLabel(rule.percentile);
  return [
    rule.maxTtftMs !== undefined && `TTFT ${label} ≤ ${plain(rule.maxTtftMs, 6)} ms`,
    rule.maxTpotMs !== undefined && `TPOT ${label} ≤ ${plain(rule.maxTpotMs, 6)} ms`,
    rule.minOutputTokensPerSecond !== undefined && `≥ ${plain(rule.minOutputTokensPerSecond, 6)} tokens/s`,
  ]
    .filter((part) => part !== false)
    .join('; ');
}

// Declared in the order evaluation lines appear.
const RULES: { [K in RuleName]: RuleDefinition<K> } = {
  scenario: {
    expected: (scenario) => `scenario = ${scenario}`,
    check: (scenario, { latency }) => passOrFail(latency.scenario === scenario, `scenario = ${latency.scenario}`, 'measured in another scenario'),
  },
  minQueryCount: {
    expected: (min) => `queries ≥ ${min}`,
    check: (min, facts) => {
      const { value, note } = worstRun(facts, (run) => run.queryCount, 'min', 'fewest');
      return passOrFail(value >= min, `queries = ${value}${note}`, 'too few queries');
    },
  },
  minDurationMs: {
    expected: (min) => `duration ≥ ${plain(min / 1000, 3)} s`,
    check: (min, facts) => {
      const { value, note } = worstRun(facts, (run) => run.durationNs, 'min', 'shortest');
      return passOrFail(value >= min * 1e6, `duration = ${(value / 1e9).toFixed(3)} s${note}`, 'run too short');
    },
  },
  requireValidResult: {
    expected: () => 'result = VALID',
    check: (_, { latency }) =>
      passOrFail(latency.result === 'VALID', `result = ${latency.result}`, `the run is INVALID${latency.invalidCauses.length > 0 ? ` (${latency.invalidCauses.join(', ')})` : ''}`),
  },
  requireEarlyStopping: {
    expected: () => 'early stopping satisfied',
    check: (_, { latency: { earlyStopping } }) =>
      passOrFail(
        earlyStopping.satisfied,
        earlyStopping.satisfied ? 'early stopping satisfied' : 'early stopping not satisfied',
        earlyStopping.minQueries === null ? 'early stopping not satisfied' : `early stopping needs ≥ ${earlyStopping.minQueries} queries`,
      ),
  },
  latency: {
    expected: (rule) => `${rule.percentile === 'target' ? 'target-percentile latency' : percentileLabel(rule.percentile)} ≤ ${plain(rule.maxMs, 6)} ms`,
    check: (rule, { latency }) => {
      const { label, ns } = latencyOf(rule, latency);
      return passOrFail(ns <= rule.maxMs * 1e6, `${label} = ${ms(ns)}`, 'latency above the bound');
    },
  },
  minThroughputQps: {
    expected: (min) => `throughput ≥ ${plain(min, 6)} QPS`,
    check: (min, { latency }) => passOrFail(latency.qps >= min, `throughput = ${latency.qps.toFixed(2)} QPS`, 'throughput below the minimum'),
  },
  maxPeakRssMb: {
    expected: (max) => `peak RSS ≤ ${plain(max, 3)} MiB`,
    check: (max, { peakRssBytes }) =>
      peakRssBytes === null ? notMeasured('peak RSS') : passOrFail(peakRssBytes <= max * MIB, `peak RSS = ${(peakRssBytes / MIB).toFixed(1)} MiB`, 'peak RSS above the bound'),
  },
  noThermalDrift: {
    expected: () => `no thermal drift (slowdown ≤ ${MAX_THERMAL_SLOWDOWN_PCT} %)`,
    check: (_, facts) => {
      const { value: slowdown, note } = worstRun(facts, (run) => run.slowdownPct, 'max', 'worst');
      const actual = `slowdown = ${slowdown.toFixed(1)} %${note}`;
      // The vendor's spec may set a stricter threshold (then the summary flags drift), never a looser one.
      if (facts.latency.thermalDriftDetected) return { passed: false, actual, reason: `the run flagged thermal drift at its ${plain(facts.latency.driftThresholdPct, 3)} % threshold` };
      return passOrFail(slowdown <= MAX_THERMAL_SLOWDOWN_PCT, actual, 'the run slowed down as it went');
    },
  },
  sustained: {
    expected: (rule) => `every run ≥ ${plain(rule.minDurationMs / 1000, 3)} s with its last tenth's p50 ≤ ${plain(rule.maxSlowdownPct, 3)} % above its first tenth's`,
    check: (rule, facts) => {
      const { value: shortest } = worstRun(facts, (run) => run.durationNs, 'min', 'shortest');
      const worst = facts.latency.runs.reduce((a, b) => (b.slowdownPct > a.slowdownPct ? b : a));
      const note = facts.latency.runs.length > 1 ? ` (worst of ${facts.latency.runs.length} runs)` : '';
      return allOf([
        { passed: shortest >= rule.minDurationMs * 1e6, actual: `shortest run = ${(shortest / 1e9).toFixed(3)} s`, reason: 'a run was too short to show sustained performance' },
        {
          passed: worst.slowdownPct <= rule.maxSlowdownPct,
          actual: `p50 first/last tenth = ${ms(worst.firstTenthP50Ns)} / ${ms(worst.lastTenthP50Ns)}, slowdown = ${worst.slowdownPct.toFixed(1)} %${note}`,
          reason: 'the last window is slower than the bound allows',
        },
      ]);
    },
  },
  llm: { expected: llmExpected, check: llmCheck },
  power: {
    expected: (rule) =>
      [
        rule.meterClass === undefined ? 'power measured (VALID)' : `power measured (VALID) with a ${rule.meterClass} meter`,
        rule.maxUncertaintyPct !== undefined && `stated uncertainty ≤ ${plain(rule.maxUncertaintyPct, 3)} %`,
        rule.maxEnergyPerQueryMj !== undefined && `energy ≤ ${plain(rule.maxEnergyPerQueryMj, 6)} mJ/query`,
        rule.maxEnergyPerTokenMj !== undefined && `energy ≤ ${plain(rule.maxEnergyPerTokenMj, 6)} mJ/token`,
      ]
        .filter((part) => part !== false)
        .join('; '),
    check: powerCheck,
  },
  accuracy: {
    expected: (rule) => `accuracy ≥ ${plain(rule.minRelativeToReference * 100, 4)} % of reference${rule.minSamples === undefined ? '' : ` on ≥ ${rule.minSamples} samples`}`,
    check: (rule, { accuracy }) => {
      if (!accuracy) return notMeasured('accuracy', 'the report has no accuracy pass against a reference model');
      const actual = `${accuracy.metric} = ${plain(accuracy.candidate, 6)} vs reference ${plain(accuracy.reference, 6)} on ${accuracy.samples} samples`;
      if (accuracy.reference === 0) return { passed: false, actual, reason: 'the reference scores 0: no relative score' };
      const relative = accuracy.candidate / accuracy.reference;
      const parts = [{ passed: relative >= rule.minRelativeToReference, actual: `${actual} (${pct(relative)})`, reason: 'accuracy below the share of the reference' }];
      if (rule.minSamples !== undefined) parts.push({ passed: accuracy.samples >= rule.minSamples, actual: '', reason: 'too few samples' });
      const check = allOf(parts);
      return { ...check, actual: parts[0]!.actual };
    },
  },
  fidelity: {
    expected: (rule) =>
      [
        rule.minCosine !== undefined && `min cosine ≥ ${plain(rule.minCosine, 6)}`,
        rule.minTop1Agreement !== undefined && `top-1 agreement ≥ ${plain(rule.minTop1Agreement, 6)}`,
        rule.minTop5Agreement !== undefined && `top-5 agreement ≥ ${plain(rule.minTop5Agreement, 6)}`,
        rule.minAnswerAgreement !== undefined && `answer agreement ≥ ${plain(rule.minAnswerAgreement, 6)}`,
        rule.minTokenAgreement !== undefined && `token agreement ≥ ${plain(rule.minTokenAgreement, 6)}`,
        rule.minSamples !== undefined && `≥ ${rule.minSamples} samples`,
      ]
        .filter((part) => part !== false)
        .join('; '),
    check: fidelityCheck,
  },
  acceleratorShare: {
    expected: (rule) =>
      [
        rule.minNodeShare !== undefined && `nodes on ${rule.provider} ≥ ${pct(rule.minNodeShare)}`,
        rule.minTimeShare !== undefined && `kernel time on ${rule.provider} ≥ ${pct(rule.minTimeShare)}`,
      ]
        .filter((part) => part !== false)
        .join('; '),
    check: accelerationCheck,
  },
};

const RULE_NAMES = Object.keys(RULES) as RuleName[];

/** Ties a rule's value to its definition; the loop below cannot express that correlation itself. */
function ruleOf<K extends RuleName>(name: K, rules: ProfileRules): { definition: RuleDefinition<K>; value: NonNullable<ProfileRules[K]> } | null {
  const value = rules[name];
  return value === undefined ? null : { definition: RULES[name], value };
}

/** One line per rule present; `facts` null when the report could not be read (every rule fails).
 *  Never throws. An empty rule set passes nothing: a certificate must rest on at least one check. */
export function evaluateRules(rules: ProfileRules, facts: RuleFacts | null, unreadable = 'report format not recognised'): RulesEvaluation {
  const lines = RULE_NAMES.flatMap((name): RuleOutcome[] => {
    const present = ruleOf(name, rules);
    if (!present) return [];
    const expected = present.definition.expected(present.value);
    if (!facts) return [{ rule: name, passed: false, expected, actual: 'unknown', reason: unreadable }];
    return [{ rule: name, expected, ...present.definition.check(present.value, facts) }];
  });
  const verdict = lines.length > 0 && lines.every((line) => line.passed) ? 'PASS' : 'FAIL';
  return { verdict, rules: lines };
}

/** The bytes a profile's rules digest is taken over (RFC 8785): the same rules give the same digest,
 *  however they were stored. Each verifier hashes them with its own sha256 (node:crypto, WebCrypto). */
export function canonicalRules(rules: ProfileRules): string {
  return canonicalize(rules);
}
