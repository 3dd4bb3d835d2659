// The condition grid's cells for conditions the CPU host cannot produce: a meter that delivered no sample in
// the window (0 J integrated: empty cells, never 0), a partial accelerator offload (shares from the
// operator profile's facts), nothing measured at all (a failed job keeps its row, every figure empty).
// Facts are written out by hand and parsed with the facts schema; expected cells are the literals below.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ruleFactsSchema, RULE_FACTS_FORMAT, type RuleFacts } from '../../src/lib/certificates/rule-facts.js';
import { conditionGridCsv, conditionGridRow, type ConditionGridEntry } from '../../src/lib/reports/condition-grid.js';

const latency = {
  scenario: 'offline',
  result: 'VALID',
  invalidCauses: [],
  queryCount: 1,
  durationNs: 2e9,
  qps: 0.5,
  percentiles: { p50Ns: 1e6, p90Ns: 2e6, p95Ns: 2.5e6, p97Ns: 2.7e6, p99Ns: 3e6, p999Ns: 4e6 },
  targetPercentile: 90,
  targetLatencyNs: 2e6,
  earlyStopping: { satisfied: true, minQueries: null, estimateNs: null },
  driftThresholdPct: 10,
  thermalDriftDetected: false,
  runs: [{ queryCount: 1, durationNs: 2e9, firstTenthP50Ns: 1e6, lastTenthP50Ns: 1e6, slowdownPct: 0 }],
};
const meter = { measured: true, invalidReasons: [], meterKind: 'ptdaemon', meterClass: 'lab', uncertaintyPct: 0.5 };

const facts = (over: Partial<Record<keyof RuleFacts, unknown>>): RuleFacts =>
  ruleFactsSchema.parse({ format: RULE_FACTS_FORMAT, latency, peakRssBytes: null, accuracy: null, fidelity: null, power: { measured: false, reason: 'no meter' }, llm: null, operators: null, ...over });

const entry = (f: RuleFacts | null, job: ConditionGridEntry['job'] = { status: 'SUCCEEDED', errorCode: null }): ConditionGridEntry => ({
  suite: { id: 'npubench-edge@1', digest: 'sha256:abc' },
  workload: 'npubench-edge@1/image-classification',
  device: { slug: 'npu-1', executionProvider: 'qnn' },
  model: { name: 'tiny-cnn', version: '1', digest: 'd'.repeat(64), precision: 'float32', technique: null, division: 'closed' },
  scenario: 'offline',
  job,
  reportId: f ? 'r1' : null,
  facts: f,
  quality: null,
  fidelity: null,
});

const pythonCsv = (text: string): Record<string, string>[] =>
  JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import csv, io, json, sys; print(json.dumps(list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))))'], { input: text, encoding: 'utf8' })) as Record<string, string>[];

describe('condition grid cells', () => {
  it('gives energy from a meter that measured, and empty cells for 0 J integrated from no sample', () => {
    const measured = conditionGridRow(entry(facts({ power: { ...meter, result: 'VALID', avgW: 4, energyJ: 8, energyPerQueryMj: 8000, samplesPerJoule: 125 } })));
    // 125 samples per joule: 8 mJ per inference; 8 J over one query: 8000 mJ per query.
    expect([measured.energy_per_inference_mj, measured.energy_per_query_mj, measured.avg_power_w, measured.power_result, measured.power_meter_class, measured.power_uncertainty_pct]).toEqual(['8', '8000', '4', 'VALID', 'lab', '0.5']);
    const empty = conditionGridRow(entry(facts({ power: { ...meter, result: 'INVALID', invalidReasons: ['run 1: 0 samples inside the 2.0 ms window'], avgW: 0, energyJ: 0, energyPerQueryMj: 0, samplesPerJoule: 0 } })));
    expect([empty.energy_per_inference_mj, empty.energy_per_query_mj, empty.avg_power_w, empty.power_result, empty.power_meter]).toEqual(['', '', '', 'INVALID', 'ptdaemon']);
  });

  it('gives an LM\'s token agreement and the energy per token of its LLM window', () => {
    const llm = {
      promptTokens: 128,
      outputTokens: 32,
      runs: 5,
      ttft: { p50Ns: 3e5, p90Ns: 4e5, p99Ns: 5e5 },
      tpot: { p50Ns: 1e5, p90Ns: 2e5, p99Ns: 3e5 },
      outputTokensPerSecond: 7000,
      energy: { ...meter, result: 'VALID', avgW: 3, energyPerTokenMj: 2.5, energyPerPromptTokenMj: null },
    };
    const fidelity: ConditionGridEntry['fidelity'] = { referenceModelDigest: 'e'.repeat(64), outputs: [], answerAgreement: { share: 0.75, questions: 46 }, tokenAgreement: { share: 0.34375, tokens: 256, prompts: 8 } };
    const row = conditionGridRow({ ...entry(facts({ llm })), fidelity });
    // Prefill energy per prompt token was not measured (null): an empty cell.
    expect([row.token_agreement, row.answer_agreement, row.llm_power_result, row.energy_per_token_mj, row.energy_per_prompt_token_mj]).toEqual(['0.34375', '0.75', 'VALID', '2.5', '']);
    const unmetered = conditionGridRow(entry(facts({ llm: { ...llm, energy: { measured: false, reason: 'no meter' } } })));
    expect([unmetered.token_agreement, unmetered.llm_power_result, unmetered.energy_per_token_mj]).toEqual(['', '', '']);
  });

  it('sums the share of nodes and kernel time on providers other than the CPU', () => {
    const row = conditionGridRow(
      entry(
        facts({
          operators: {
            nodes: 4,
            totalKernelUs: 100,
            providers: [
              { provider: 'QNNExecutionProvider', nodes: 3, nodeShare: 0.75, timeShare: 0.9, timeShareComplete: true },
              { provider: 'CPUExecutionProvider', nodes: 1, nodeShare: 0.25, timeShare: 0.1, timeShareComplete: true },
            ],
          },
        }),
      ),
    );
    expect([row.accelerator_node_share, row.accelerator_time_share, row.operator_providers]).toEqual(['0.75', '0.9', 'QNNExecutionProvider:3;CPUExecutionProvider:1']);
  });

  it('keeps a failed job\'s row with its error and every figure empty, never 0', () => {
    const csv = conditionGridCsv([entry(null, { status: 'FAILED', errorCode: 'harness.crashed' })]);
    const [row] = pythonCsv(csv);
    expect([row!.job_status, row!.job_error, row!.suite_id, row!.scenario]).toEqual(['FAILED', 'harness.crashed', 'npubench-edge@1', 'offline']);
    const figures = Object.entries(row!).filter(([column]) => !['suite_id', 'suite_digest', 'workload', 'division', 'model', 'model_digest', 'precision', 'technique', 'device', 'execution_provider', 'scenario', 'job_status', 'job_error'].includes(column));
    expect(figures.length).toBeGreaterThan(30);
    expect(figures.filter(([, value]) => value !== '')).toEqual([]);
  });
});
