// Renders the error-code tables of docs/architecture.md from the catalog (`npm run docs:generate`), so
// the documented codes, statuses and meanings cannot drift from what the service emits.
import { ERROR_CATALOG, ERROR_CODES } from './error-catalog.js';

const START = '<!-- error-codes:start: generated from src/lib/error-catalog.ts by `npm run docs:generate`; do not edit by hand -->';
const END = '<!-- error-codes:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderErrorCodeTables(): string {
  const answered = ERROR_CODES.filter((code) => !('job' in ERROR_CATALOG[code]));
  const jobFailures = ERROR_CODES.filter((code) => 'job' in ERROR_CATALOG[code]);
  return [
    '| code | status | meaning |',
    '|---|---|---|',
    ...answered.map((code) => `| \`${code}\` | ${ERROR_CATALOG[code].status} | ${cell(ERROR_CATALOG[code].meaning)} |`),
    '',
    'Job failure codes: a failed or canceled job stores one of these as its `error.code` (the codes of the',
    'table above can end a job too, e.g. `bundle.invalid_file` or `harness.invalid_raw_samples`).',
    '',
    '| code | meaning |',
    '|---|---|',
    ...jobFailures.map((code) => `| \`${code}\` | ${cell(ERROR_CATALOG[code].meaning)} |`),
  ].join('\n');
}

/** `markdown` with the text between the error-code markers replaced by the generated tables. */
export function withErrorCodeTables(markdown: string): string {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/architecture.md lacks the error-code markers:\n${START}\n${END}`);
  return `${markdown.slice(0, start + START.length)}\n${renderErrorCodeTables()}\n${markdown.slice(end)}`;
}
