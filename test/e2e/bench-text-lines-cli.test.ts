// `npubench bench <PP-OCRv4 rec> --text-lines <file> --reference … --gate`: text recognition from the
// command line, the score recomputed here from the record's decoded lines with an edit distance of the test's own.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ocrTextLinesDataset } from '../../src/harness/index.js';
import { ocrSampleModels } from '../../src/lib/sample-models.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { runNpubench } from '../helpers/processes.js';

/** Edit distance, full matrix. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

describe('npubench bench --text-lines', () => {
  it('scores the recognizer against itself: gate PASS on character accuracy, recomputable from the record', async () => {
    const dir = await createTempDir('npubench-bench-text-lines');
    const lines = join(dir, 'ocr-text-lines.json');
    await writeFile(lines, ocrTextLinesDataset());
    const out = join(dir, 'report.json');
    const rec = ocrSampleModels().recognition;
    const res = await runNpubench(['bench', rec, '--preset', 'smoke', '--suite', '{"dynamicDims":{"p2o.DynamicDimension.0":1,"p2o.DynamicDimension.1":192},"accuracy":{"fidelitySamples":1}}', '--text-lines', lines, '--reference', rec, '--gate', '0.99', '--out', out], {});
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/accuracy gate\s+PASS: textRecognition\.characterAccuracy/);
    expect(res.stdout).toMatch(/character accuracy\s+0\.\d{4} \(\d+ edits over 376 characters, \d+\/48 lines exact\); reference 0\.\d{4}, logits cosine 1\.000000/);
    const report = JSON.parse(await readFile(out, 'utf8')) as {
      summary: { accuracy: { textRecognition: { characterAccuracy: number; lines: number } } };
      rawSamples: { accuracy: { textRecognition: { lines: { text: string; decoded: string }[] } } };
    };
    const record = report.rawSamples.accuracy.textRecognition.lines;
    const edits = record.reduce((sum, l) => sum + distance(l.decoded, l.text), 0);
    const chars = record.reduce((sum, l) => sum + l.text.length, 0);
    expect(report.summary.accuracy.textRecognition.lines).toBe(48);
    expect(report.summary.accuracy.textRecognition.characterAccuracy).toBeCloseTo(1 - edits / chars, 12);
  }, 300_000);
});
