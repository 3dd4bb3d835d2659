// Per-operator profile from onnxruntime's own profiler. Profiling slows every kernel down, so it runs
// in a separate session after the measured run and its times are never mixed into latency figures.
// Each kernel event names the execution provider that ran the node, which makes a partial fallback
// to CPU visible (the "NPU (292), CPU (21)" view vendors know from Qualcomm AI Hub).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { z } from 'zod';
import { HarnessError, errorMessage } from '../../lib/errors.js';
import { onnxRuntimeSessionOptions, toOnnxRuntimeFeeds, toSignature, type OnnxRuntimeBackendConfig } from '../backends/onnxruntime.js';
import { createSyntheticInputs, type SyntheticInputOptions } from '../inputs/synthetic-inputs.js';

export const OPERATOR_PROFILE_FORMAT = 'npubench.operator-profile/v1';

const timeRow = {
  /** Kernel time summed over all profiled iterations, µs (onnxruntime's profiler resolution). */
  totalUs: z.number(),
  meanUsPerIteration: z.number(),
  /** Share of all kernel time, 0..1. */
  share: z.number(),
};

export const operatorProfileSchema = z.strictObject({
  format: z.literal(OPERATOR_PROFILE_FORMAT),
  source: z.literal('onnxruntime profiler (kernel events)'),
  iterations: z.int(),
  totalKernelUs: z.number(),
  /** Nodes per execution provider that actually ran them. */
  providers: z.array(z.strictObject({ provider: z.string(), nodes: z.int(), share: z.number() })),
  byOpType: z.array(z.strictObject({ opType: z.string(), nodes: z.int(), ...timeRow })),
  byNode: z.array(z.strictObject({ node: z.string(), opType: z.string(), provider: z.string(), ...timeRow })),
});

export type OperatorProfile = z.output<typeof operatorProfileSchema>;

interface KernelEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

const KERNEL_SUFFIX = '_kernel_time';

/** Turns onnxruntime's Chrome-trace JSON into per-node, per-op-type and per-provider tables. */
export function summarizeOnnxRuntimeProfile(events: readonly KernelEvent[], iterations: number, topNodes = 50): OperatorProfile {
  const nodes = new Map<string, { opType: string; provider: string; totalUs: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith(KERNEL_SUFFIX) || typeof e.dur !== 'number') continue;
    const node = e.name.slice(0, -KERNEL_SUFFIX.length);
    const row = nodes.get(node) ?? { opType: e.args?.op_name ?? 'unknown', provider: e.args?.provider ?? 'unknown', totalUs: 0 };
    row.totalUs += e.dur;
    nodes.set(node, row);
  }
  const totalKernelUs = [...nodes.values()].reduce((sum, n) => sum + n.totalUs, 0);
  const share = (us: number) => (totalKernelUs > 0 ? us / totalKernelUs : 0);
  const timing = (totalUs: number) => ({ totalUs, meanUsPerIteration: totalUs / iterations, share: share(totalUs) });

  const byOp = new Map<string, { nodes: number; totalUs: number }>();
  const byProvider = new Map<string, number>();
  for (const n of nodes.values()) {
    const op = byOp.get(n.opType) ?? { nodes: 0, totalUs: 0 };
    op.nodes += 1;
    op.totalUs += n.totalUs;
    byOp.set(n.opType, op);
    byProvider.set(n.provider, (byProvider.get(n.provider) ?? 0) + 1);
  }
  return {
    format: OPERATOR_PROFILE_FORMAT,
    source: 'onnxruntime profiler (kernel events)',
    iterations,
    totalKernelUs,
    providers: [...byProvider].map(([provider, count]) => ({ provider, nodes: count, share: count / nodes.size })).sort((a, b) => b.nodes - a.nodes),
    byOpType: [...byOp].map(([opType, op]) => ({ opType, nodes: op.nodes, ...timing(op.totalUs) })).sort((a, b) => b.totalUs - a.totalUs),
    byNode: [...nodes]
      .map(([node, n]) => ({ node, opType: n.opType, provider: n.provider, ...timing(n.totalUs) }))
      .sort((a, b) => b.totalUs - a.totalUs)
      .slice(0, topNodes),
  };
}

/**
 * Runs `iterations` profiled inferences in a fresh session with the same options and the same
 * synthetic inputs (seed, dynamic dims) as the measured run.
 */
export async function profileOperators(
  modelPath: string,
  config: OnnxRuntimeBackendConfig,
  inputSpec: SyntheticInputOptions,
  iterations = 10,
): Promise<OperatorProfile> {
  const dir = await mkdtemp(join(tmpdir(), 'npubench-profile-'));
  let session: InferenceSession | undefined;
  try {
    session = await InferenceSession.create(modelPath, { ...onnxRuntimeSessionOptions(config), enableProfiling: true, profileFilePrefix: join(dir, 'ort') });
    const feeds = toOnnxRuntimeFeeds(createSyntheticInputs(session.inputMetadata.map(toSignature), inputSpec));
    // Totals include the first iteration's one-time costs (allocation, kernel selection): profiling
    // covers the whole session, so more iterations dilute them.
    for (let i = 0; i < iterations; i++) await session.run(feeds);
    session.endProfiling();
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('onnxruntime wrote no profile file');
    const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as KernelEvent[];
    return summarizeOnnxRuntimeProfile(events, iterations);
  } catch (err) {
    throw new HarnessError('harness.profile_failed', `Operator profiling failed: ${errorMessage(err)}`, { cause: err });
  } finally {
    await session?.release();
    await rm(dir, { recursive: true, force: true });
  }
}
