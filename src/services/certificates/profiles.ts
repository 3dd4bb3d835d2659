// Certification profiles: named, versioned rule sets a report must pass to be certified. A profile is
// immutable once created (certificates point at it), so a changed rule set is a new version.
//
// Evaluation is a pure function of the rules and the stored report, one line per rule, so the same
// lines serve the vendor's dry run, the certificate and anyone re-checking a certificate later.
// Decisions:
// - Minimum queries and duration hold per run, like the harness's own minimums: repeats pool their
//   latencies, but a certificate's "≥ 60 s" means one sustained run, which is what heats a device.
// - `latency.percentile: 'target'` reads the early-stopping estimate when the summary has one
//   (SingleStream/MultiStream): it bounds the target percentile with 99% confidence, the figure LoadGen
//   reports for those scenarios, and never lower than the sample percentile. Otherwise it reads
//   targetLatencyNs. Numbered percentiles read the sample percentile latency.pXXNs as measured.
// - Power and accuracy have no data source yet; their rules fail as "not measured", because a
//   certificate must never claim what was not measured.
import { z } from 'zod';
import type { CertificationProfile } from '@prisma/client';
import type { Db } from '../../lib/database.js';
import { conflict, notFound, unprocessable } from '../../lib/errors.js';
import { isUniqueViolation } from '../prisma-errors.js';
import type { UserPrincipal } from '../auth/principal.js';
import { getReport } from '../reports/reports.js';
import { latencySummaryReportSchema, SUITE_DEFAULTS, type LatencySummaryReport } from '../../harness/schemas.js';
import { profileRulesSchema, type Profile, type ProfileInput, type ProfileRules, type RuleOutcome } from '../../contracts/profiles.js';
import { formatNsAsMs as ms } from '../../contracts/durations.js';

const LATENCY_FIELDS = { 50: 'p50Ns', 90: 'p90Ns', 95: 'p95Ns', 97: 'p97Ns', 99: 'p99Ns', 99.9: 'p999Ns' } as const;

/** The drift a profile tolerates at most, whatever threshold the vendor's spec chose. */
const MAX_THERMAL_SLOWDOWN_PCT = SUITE_DEFAULTS.driftThresholdPct;

const MIB = 1024 * 1024;

// The rule and input schemas are the API's (src/contracts/profiles.ts); evaluation lives here.
type RuleName = keyof ProfileRules;

export interface ProfileEvaluation {
  verdict: 'PASS' | 'FAIL';
  rules: RuleOutcome[];
}

export interface ReportFacts {
  summary: unknown;
  resourceUsage: unknown;
}

interface Facts {
  summary: LatencySummaryReport;
  peakRssBytes: number | null;
}

type Check = Pick<RuleOutcome, 'passed' | 'actual' | 'reason'>;

interface RuleDefinition<K extends RuleName> {
  expected(rule: NonNullable<ProfileRules[K]>): string;
  check(rule: NonNullable<ProfileRules[K]>, facts: Facts): Check;
}

const resourceUsageSchema = z.object({ peakRssBytes: z.number().int().min(0) });

/** Trims trailing zeros so rule values read as written ("15", "0.5"). */
const plain = (value: number, decimals: number) => String(Number(value.toFixed(decimals)));
const percentileLabel = (percentile: number) => `p${plain(percentile, 3)}`;
const passOrFail = (passed: boolean, actual: string, failReason: string): Check => ({ passed, actual, reason: passed ? 'met' : failReason });

/** The worst per-run figure (smallest or largest), saying so when there were several runs. */
function worstRun(summary: LatencySummaryReport, pick: (run: LatencySummaryReport['runs'][number]) => number, take: 'min' | 'max', noun: string) {
  const values = summary.runs.map(pick);
  const value = take === 'min' ? Math.min(...values) : Math.max(...values);
  return { value, note: summary.runs.length > 1 ? ` (${noun} of ${summary.runs.length} runs)` : '' };
}

function latencyRule(rule: NonNullable<ProfileRules['latency']>, summary: LatencySummaryReport): { label: string; ns: number } {
  if (rule.percentile !== 'target') return { label: percentileLabel(rule.percentile), ns: summary.latency[LATENCY_FIELDS[rule.percentile]] };
  const label = percentileLabel(summary.targetPercentile);
  return summary.earlyStoppingLatencyNs === null
    ? { label, ns: summary.targetLatencyNs }
    : { label: `${label} early-stopping estimate`, ns: summary.earlyStoppingLatencyNs };
}

/** What made a result INVALID, in the summary's own terms. */
function invalidBecause(summary: LatencySummaryReport): string {
  const causes = [
    !summary.minQueriesSatisfied && 'min queries not met',
    !summary.minDurationSatisfied && 'min duration not met',
    !summary.earlyStoppingSatisfied && 'early stopping not met',
    summary.server?.latencyBoundSatisfied === false && 'server latency bound not met',
    summary.server?.qpsSatisfied === false && 'server QPS not sustained',
  ].filter((cause) => cause !== false);
  return `the run is INVALID${causes.length > 0 ? ` (${causes.join(', ')})` : ''}`;
}

// Declared in the order evaluation lines appear.
const RULES: { [K in RuleName]: RuleDefinition<K> } = {
  scenario: {
    expected: (scenario) => `scenario = ${scenario}`,
    check: (scenario, { summary }) => passOrFail(summary.scenario === scenario, `scenario = ${summary.scenario}`, 'measured in another scenario'),
  },
  minQueryCount: {
    expected: (min) => `queries ≥ ${min}`,
    check: (min, { summary }) => {
      const { value, note } = worstRun(summary, (run) => run.queryCount, 'min', 'fewest');
      return passOrFail(value >= min, `queries = ${value}${note}`, 'too few queries');
    },
  },
  minDurationMs: {
    expected: (min) => `duration ≥ ${plain(min / 1000, 3)} s`,
    check: (min, { summary }) => {
      const { value, note } = worstRun(summary, (run) => run.durationNs, 'min', 'shortest');
      return passOrFail(value >= min * 1e6, `duration = ${(value / 1e9).toFixed(3)} s${note}`, 'run too short');
    },
  },
  requireValidResult: {
    expected: () => 'result = VALID',
    check: (_, { summary }) => passOrFail(summary.result === 'VALID', `result = ${summary.result}`, invalidBecause(summary)),
  },
  requireEarlyStopping: {
    expected: () => 'early stopping satisfied',
    check: (_, { summary }) =>
      passOrFail(
        summary.earlyStoppingSatisfied,
        summary.earlyStoppingSatisfied ? 'early stopping satisfied' : 'early stopping not satisfied',
        summary.earlyStoppingMinQueries === null ? 'early stopping not satisfied' : `early stopping needs ≥ ${summary.earlyStoppingMinQueries} queries`,
      ),
  },
  latency: {
    expected: (rule) => `${rule.percentile === 'target' ? 'target-percentile latency' : percentileLabel(rule.percentile)} ≤ ${plain(rule.maxMs, 6)} ms`,
    check: (rule, { summary }) => {
      const { label, ns } = latencyRule(rule, summary);
      return passOrFail(ns <= rule.maxMs * 1e6, `${label} = ${ms(ns)}`, 'latency above the bound');
    },
  },
  minThroughputQps: {
    expected: (min) => `throughput ≥ ${plain(min, 6)} QPS`,
    check: (min, { summary }) => passOrFail(summary.qps >= min, `throughput = ${summary.qps.toFixed(2)} QPS`, 'throughput below the minimum'),
  },
  maxPeakRssMb: {
    expected: (max) => `peak RSS ≤ ${plain(max, 3)} MiB`,
    check: (max, { peakRssBytes }) =>
      peakRssBytes === null
        ? { passed: false, actual: 'not measured', reason: 'peak RSS not measured' }
        : passOrFail(peakRssBytes <= max * MIB, `peak RSS = ${(peakRssBytes / MIB).toFixed(1)} MiB`, 'peak RSS above the bound'),
  },
  noThermalDrift: {
    expected: () => `no thermal drift (slowdown ≤ ${MAX_THERMAL_SLOWDOWN_PCT} %)`,
    check: (_, { summary }) => {
      const { value: slowdown, note } = worstRun(summary, (run) => run.slowdownPct, 'max', 'worst');
      const actual = `slowdown = ${slowdown.toFixed(1)} %${note}`;
      // The vendor's spec may set a stricter threshold (then the summary flags drift), never a looser one.
      if (summary.thermalDriftDetected) return { passed: false, actual, reason: `the run flagged thermal drift at its ${plain(summary.spec.driftThresholdPct, 3)} % threshold` };
      return passOrFail(slowdown <= MAX_THERMAL_SLOWDOWN_PCT, actual, 'the run slowed down as it went');
    },
  },
  power: {
    expected: (rule) => (rule.meterClass === undefined ? 'power measured' : `power measured with a ${rule.meterClass} meter`),
    check: () => ({ passed: false, actual: 'not measured', reason: 'power not measured' }),
  },
  accuracy: {
    expected: (rule) => `accuracy ≥ ${plain(rule.minRelativeToReference * 100, 4)} % of reference`,
    check: () => ({ passed: false, actual: 'not measured', reason: 'accuracy not measured' }),
  },
};

const RULE_NAMES = Object.keys(RULES) as RuleName[];

/** Ties a rule's value to its definition; the loop below cannot express that correlation itself. */
function ruleOf<K extends RuleName>(name: K, rules: ProfileRules): { definition: RuleDefinition<K>; value: NonNullable<ProfileRules[K]> } | null {
  const value = rules[name];
  return value === undefined ? null : { definition: RULES[name], value };
}

/** One line per rule present; never throws, whatever the stored report holds. */
export function evaluateProfile(rules: ProfileRules, facts: ReportFacts): ProfileEvaluation {
  const summary = latencySummaryReportSchema.safeParse(facts.summary);
  const resourceUsage = resourceUsageSchema.safeParse(facts.resourceUsage);
  const lines = RULE_NAMES.flatMap((name): RuleOutcome[] => {
    const present = ruleOf(name, rules);
    if (!present) return [];
    const expected = present.definition.expected(present.value);
    if (!summary.success) return [{ rule: name, passed: false, expected, actual: 'unknown', reason: 'report format not recognised' }];
    const check = present.definition.check(present.value, { summary: summary.data, peakRssBytes: resourceUsage.success ? resourceUsage.data.peakRssBytes : null });
    return [{ rule: name, expected, ...check }];
  });
  // An empty rule set passes nothing: a certificate must rest on at least one check.
  const verdict = lines.length > 0 && lines.every((line) => line.passed) ? 'PASS' : 'FAIL';
  return { verdict, rules: lines };
}

/** A profile as the API answers it: rules parsed at read, dates as ISO strings. */
export function profileView(profile: CertificationProfile): Profile {
  return { ...profile, rules: rulesOf(profile), createdAt: profile.createdAt.toISOString() };
}

/** The stored rules, parsed; a profile stored under an older rule schema cannot be evaluated silently. */
export function rulesOf(profile: Pick<CertificationProfile, 'id' | 'rules'>): ProfileRules {
  const rules = profileRulesSchema.safeParse(profile.rules);
  if (!rules.success) throw unprocessable('profile.rules_unreadable', `Profile ${profile.id} has rules this version of the service cannot read.`);
  return rules.data;
}

export async function createProfile(db: Db, input: ProfileInput): Promise<CertificationProfile> {
  const id = `${input.name}@${input.version}`;
  try {
    return await db.certificationProfile.create({ data: { ...input, id, rules: input.rules } });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('profile.exists', `Profile ${id} already exists; profiles never change, publish a new version instead.`);
    throw err;
  }
}

export async function getProfile(db: Db, id: string): Promise<CertificationProfile> {
  const profile = await db.certificationProfile.findUnique({ where: { id } });
  if (!profile) throw notFound('profile.not_found', `No profile ${id}.`);
  return profile;
}

export async function listProfiles(db: Db): Promise<CertificationProfile[]> {
  return db.certificationProfile.findMany({ orderBy: [{ name: 'asc' }, { version: 'desc' }] });
}

/** A dry run: how a report the caller can see fares against a profile. Issues nothing. */
export async function evaluateReport(db: Db, principal: UserPrincipal, id: string, reportId: string) {
  const profile = await getProfile(db, id);
  const rules = rulesOf(profile);
  const report = await getReport(db, principal, reportId);
  return { profileId: profile.id, reportId: report.id, ...evaluateProfile(rules, { summary: report.summary, resourceUsage: report.resourceUsage }) };
}

export const BUILT_IN_PROFILES: readonly ProfileInput[] = [
  {
    name: 'vision-latency',
    version: 1,
    title: 'Vision latency (single-stream, MLPerf Mobile normal mode)',
    description: 'SingleStream run of at least 1024 queries and 60 s, VALID with early stopping satisfied, 90th percentile latency at most 100 ms.',
    rules: {
      scenario: 'single-stream',
      minQueryCount: 1024,
      minDurationMs: 60_000,
      requireValidResult: true,
      requireEarlyStopping: true,
      latency: { percentile: 90, maxMs: 100 },
    },
    validityDays: 365,
  },
  {
    name: 'quick-latency',
    version: 1,
    title: 'Quick latency (single-stream, the quick preset)',
    description: 'SingleStream run of at least 128 queries and 10 s (the quick preset, MLPerf Mobile quick mode), VALID, 90th percentile latency at most 100 ms.',
    rules: { scenario: 'single-stream', minQueryCount: 128, minDurationMs: 10_000, requireValidResult: true, latency: { percentile: 90, maxMs: 100 } },
    validityDays: 90,
  },
  {
    name: 'smoke-latency',
    version: 1,
    title: 'Smoke test: for integration tests and demos only',
    description: 'Any scenario with at least 32 queries (the smoke preset). Proves the pipeline works; says nothing about the device.',
    rules: { minQueryCount: 32 },
    validityDays: 7,
  },
];

/** Creates the built-in profiles that are missing; existing ones are left as they are (immutable). */
export async function ensureBuiltInProfiles(db: Db): Promise<void> {
  await db.certificationProfile.createMany({
    data: BUILT_IN_PROFILES.map((input) => ({ ...input, id: `${input.name}@${input.version}`, rules: input.rules })),
    skipDuplicates: true,
  });
}
