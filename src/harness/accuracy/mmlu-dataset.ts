// MMLU-style datasets in the layout of hendrycks/test's data folder: one CSV per subject and split,
// named {subject}_{split}.csv (split: dev = few-shot examples, test = the scored questions, val ignored),
// no header, rows `question,A,B,C,D,answer` with RFC 4180 quoting. Any folder depth is accepted, so an
// archive of hendrycks' `data/` folder works as it is.
import { readFile } from 'node:fs/promises';
import { AppError, type ErrorCode } from '../../lib/errors.js';
import { BUILTIN_MMLU_NAME, BUILTIN_MMLU_SUBJECTS } from './builtin-mmlu-data.js';

export const ANSWER_LETTERS = ['A', 'B', 'C', 'D'] as const;
export type AnswerLetter = (typeof ANSWER_LETTERS)[number];

export interface MmluQuestion {
  question: string;
  choices: [string, string, string, string];
  answer: AnswerLetter;
}

export interface MmluSubject {
  name: string;
  dev: MmluQuestion[];
  test: MmluQuestion[];
}

export interface MmluDataset {
  /** 'builtin:npubench-mmlu-mini' or 'sha256:<digest>' of the uploaded archive. */
  ref: string;
  /** Subjects sorted by name. */
  subjects: MmluSubject[];
}

export const BUILTIN_DATASET_REF = `builtin:${BUILTIN_MMLU_NAME}`;
const MAX_FIELD_CHARS = 100_000;

const datasetError = (code: ErrorCode, message: string, extra?: Record<string, unknown>) => new AppError(code, message, extra);

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and newlines. */
export function parseCsvRecords(text: string, where: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let fieldStarted = false;
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"') {
      if (field !== '') throw datasetError('dataset.malformed_csv', `${where} line ${line}: a quote inside an unquoted field.`, { file: where, line });
      quoted = true;
      fieldStarted = true;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      fieldStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      record.push(field);
      if (!(record.length === 1 && record[0] === '' && !fieldStarted)) records.push(record);
      record = [];
      field = '';
      fieldStarted = false;
      line++;
    } else {
      field += ch;
    }
    if (field.length > MAX_FIELD_CHARS) throw datasetError('dataset.malformed_csv', `${where} line ${line}: a field longer than ${MAX_FIELD_CHARS} characters.`, { file: where, line });
  }
  if (quoted) throw datasetError('dataset.malformed_csv', `${where}: a quoted field is never closed.`, { file: where, line });
  if (field !== '' || record.length > 0 || fieldStarted) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** One subject file's questions; every row must have six fields and an answer letter A-D. */
export function parseMmluCsv(text: string, where: string): MmluQuestion[] {
  return parseCsvRecords(text, where).map((row, i) => {
    if (row.length !== 6) {
      throw datasetError('dataset.malformed_row', `${where} row ${i + 1} has ${row.length} fields; MMLU rows are question,A,B,C,D,answer (no header).`, { file: where, row: i + 1 });
    }
    const [question, a, b, c, d, rawAnswer] = row as [string, string, string, string, string, string];
    const answer = rawAnswer.trim().toUpperCase();
    if (!(ANSWER_LETTERS as readonly string[]).includes(answer)) {
      throw datasetError('dataset.unknown_answer', `${where} row ${i + 1} has answer ${JSON.stringify(rawAnswer.slice(0, 20))}; it must be one of A, B, C, D.`, { file: where, row: i + 1 });
    }
    if (question.trim() === '') throw datasetError('dataset.malformed_row', `${where} row ${i + 1} has an empty question.`, { file: where, row: i + 1 });
    return { question, choices: [a, b, c, d], answer: answer as AnswerLetter };
  });
}

const SUBJECT_FILE = /(?:^|\/)([A-Za-z0-9][A-Za-z0-9_-]*)_(dev|test|val)\.csv$/;

/**
 * Builds a dataset from files (relative path → text). Every test subject needs its dev split (the
 * few-shot examples), even when a run asks for 0 shots, so a dataset is usable for any shot count.
 */
export function mmluDatasetFromFiles(ref: string, files: ReadonlyMap<string, string>): MmluDataset {
  const splits = new Map<string, { dev?: MmluQuestion[]; test?: MmluQuestion[] }>();
  for (const [path, text] of files) {
    const match = SUBJECT_FILE.exec(path);
    if (!match) continue;
    const [, subject, split] = match as unknown as [string, string, 'dev' | 'test' | 'val'];
    if (split === 'val') continue;
    const entry = splits.get(subject) ?? {};
    if (entry[split]) throw datasetError('dataset.duplicate_subject', `Subject '${subject}' has more than one ${split} file.`, { subject });
    entry[split] = parseMmluCsv(text, path);
    splits.set(subject, entry);
  }
  const subjects: MmluSubject[] = [];
  for (const [name, { dev, test }] of [...splits].sort(([a], [b]) => a.localeCompare(b))) {
    if (!test) continue;
    if (!dev) throw datasetError('dataset.missing_dev_split', `Subject '${name}' has a test file but no ${name}_dev.csv with the few-shot examples.`, { subject: name });
    if (test.length === 0) throw datasetError('dataset.empty', `Subject '${name}' has an empty test file.`, { subject: name });
    subjects.push({ name, dev, test });
  }
  if (subjects.length === 0) {
    throw datasetError('dataset.empty', 'No subject found: the dataset needs files named {subject}_test.csv and {subject}_dev.csv (hendrycks layout).');
  }
  return { ref, subjects };
}

/** Reads every *.csv under a folder (an unpacked dataset archive). */
export async function loadMmluDatasetFromDir(ref: string, dir: string, relativeFiles: readonly string[]): Promise<MmluDataset> {
  const files = new Map<string, string>();
  for (const file of relativeFiles) if (file.endsWith('.csv')) files.set(file, await readFile(`${dir}/${file}`, 'utf8'));
  return mmluDatasetFromFiles(ref, files);
}

export function builtinMmluDataset(): MmluDataset {
  const files = new Map<string, string>();
  for (const [subject, { dev, test }] of Object.entries(BUILTIN_MMLU_SUBJECTS)) {
    files.set(`dev/${subject}_dev.csv`, dev);
    files.set(`test/${subject}_test.csv`, test);
  }
  return mmluDatasetFromFiles(BUILTIN_DATASET_REF, files);
}
