// The file `npubench bench` writes: everything a server report holds, for a run made without a server.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { BenchmarkResult } from '../harness/index.js';

export const BENCH_REPORT_FORMAT = 'npubench.bench-report/v1';

export interface BenchReport {
  format: typeof BENCH_REPORT_FORMAT;
  createdAt: string;
  model: { path: string; sha256: string; sizeBytes: number };
  summary: BenchmarkResult['summary'];
  environment: BenchmarkResult['environment'];
  rawSamples: BenchmarkResult['rawSamples'];
  /** Peak RSS of this process (harness and onnxruntime in-process; a runner process is not included). */
  resourceUsage: { peakRssBytes: number; modelSizeBytes: number; method: string };
  profile?: unknown;
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export async function describeModelFile(path: string): Promise<BenchReport['model']> {
  return { path, sha256: await fileSha256(path), sizeBytes: (await stat(path)).size };
}
