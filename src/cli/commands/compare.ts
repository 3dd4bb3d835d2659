// `npubench compare a b --max-regression p90=5%,energy=5%`: the regression gate for vendors' CI. a and
// b are report files (`npubench bench --out`) or report ids on the API; the exit code is 1 when a gated
// metric got worse by more than its limit.
import { readFile } from 'node:fs/promises';
import { ApiHttpClient } from '../../lib/http-client.js';
import { reportSchema } from '../../contracts/reports.js';
import { resolveCliCredentials } from '../cli-credentials.js';
import { checkRegressions, compareSummaries, formatComparison, parseRegressionLimits, workloadMismatch } from '../report-comparison.js';

export interface CompareOptions {
  maxRegression?: string;
  /** Compare even reports of different scenarios (warns instead of refusing). */
  force?: boolean;
  json?: boolean;
  apiUrl?: string;
  apiKey?: string;
}

const REPORT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function loadSummary(ref: string, opts: CompareOptions): Promise<unknown> {
  if (REPORT_ID.test(ref)) {
    const creds = resolveCliCredentials(opts);
    const report = await new ApiHttpClient(creds.apiUrl, creds.apiKey).request(reportSchema, 'GET', `/v1/reports/${ref}`);
    return report.summary;
  }
  const parsed = JSON.parse(await readFile(ref, 'utf8')) as { summary?: unknown };
  if (!parsed.summary) throw new Error(`${ref} is not a report (no "summary")`);
  return parsed.summary;
}

export async function compareCommand(base: string, current: string, opts: CompareOptions): Promise<number> {
  const limits = parseRegressionLimits(opts.maxRegression ?? '');
  const [baseSummary, currentSummary] = [await loadSummary(base, opts), await loadSummary(current, opts)];
  const mismatch = workloadMismatch(baseSummary, currentSummary);
  if (mismatch && !opts.force) throw new Error(`${base} and ${current} are not comparable: ${mismatch}. Compare reports of one scenario, or pass --force to compare anyway.`);
  if (mismatch) console.error(`warning: ${base} and ${current}: ${mismatch}; the changes are not like for like (--force).`);
  const rows = compareSummaries(baseSummary, currentSummary);
  const verdicts = checkRegressions(rows, limits);
  const failed = verdicts.filter((v) => !v.passed);
  if (opts.json) {
    console.log(JSON.stringify({ comparison: rows, gates: verdicts, passed: failed.length === 0, ...(mismatch && { warning: mismatch }) }));
  } else {
    console.log(`${base} -> ${current}\n${formatComparison(rows)}`);
    for (const v of verdicts) {
      const got = v.missing ? 'missing in one report' : `worse by ${((v.worsening ?? 0) * 100).toFixed(1)}%`;
      console.log(`  ${v.passed ? 'ok  ' : 'FAIL'} ${v.key}: ${got} (limit ${(v.limit * 100).toFixed(1)}%)`);
    }
  }
  return failed.length === 0 ? 0 : 1;
}
