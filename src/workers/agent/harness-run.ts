// One run request, executed: the benchmark, raw samples written to the requested file, the resource
// usage of the measured run and the optional operator profile. The harness child process runs this for
// the agent (harness-child.ts); it takes no process-wide state, so a caller can run it elsewhere.
import { stat, writeFile } from 'node:fs/promises';
import { errorMessage } from '../../lib/errors.js';
import { createOnnxRuntimeBackend, createRunnerBackend, runBenchmark } from '../../harness/index.js';
import { profileOperators } from '../../harness/profile/operator-profile.js';
import { createPowerMeter } from '../../harness/power/create-power-meter.js';
import type { PowerMeterConfig } from '../../harness/power/power-meter-config.js';
import type { PowerOptions } from '../../harness/run-benchmark.js';
import type { ChildMessage, RunRequest } from './harness-messages.js';

/** Idle baseline before each run, with the model loaded. */
const POWER_IDLE_MS = 1_000;

/** The configured meter, or the reason power cannot be measured (the run itself still goes ahead). */
function openPowerMeter(config: PowerMeterConfig | null): PowerOptions | { notMeasured: string } | undefined {
  if (!config) return undefined;
  try {
    const meter = createPowerMeter(config);
    // MLPerf Power's ranging pass is for lab meters, whose range must be set from a first run.
    return { meter, idleMs: POWER_IDLE_MS, rangingRun: meter.describe().class === 'lab' };
  } catch (err) {
    return { notMeasured: `not measured: ${errorMessage(err)}` };
  }
}

export type RunOutcome = Omit<Extract<ChildMessage, { type: 'result' }>, 'type'>;

/**
 * `peakRssBytes` reads the calling process's ru_maxrss: in the harness child that is the measured run's
 * peak; elsewhere it is that process's.
 */
export async function executeRunRequest(req: Omit<RunRequest, 'type'>, onProgress: (p: { phase: string; fraction: number; queries: number }) => void): Promise<RunOutcome> {
  const power = openPowerMeter(req.powerMeter);
  const result = await runBenchmark({
    modelPath: req.modelPath,
    spec: req.spec,
    backend: req.backend.kind === 'runner' ? createRunnerBackend(req.backend.config) : createOnnxRuntimeBackend(req.backend.config),
    onProgress: (p) => onProgress({ phase: p.phase, fraction: p.fraction, queries: p.queries }),
    ...(power && { power }),
  }).finally(() => (power && 'meter' in power ? power.meter.close() : undefined));
  // Read before profiling, which loads a second session: this is the measured run's peak.
  const resourceUsage = { peakRssBytes: process.resourceUsage().maxRSS * 1024, modelSizeBytes: (await stat(req.modelPath)).size, method: 'getrusage ru_maxrss of the harness process' };
  await writeFile(req.rawSamplesPath, JSON.stringify(result.rawSamples));
  let profile: unknown = null;
  if (req.profileIterations > 0 && req.backend.kind === 'onnxruntime') {
    // A profile is a bonus: its failure must not cost the measured result.
    profile = await profileOperators(req.modelPath, req.backend.config, req.spec, req.profileIterations).catch((err: unknown) => {
      console.error(`operator profiling skipped: ${errorMessage(err)}`);
      return null;
    });
  }
  return {
    summary: result.summary as unknown as Record<string, unknown>,
    environment: result.environment as unknown as Record<string, unknown>,
    resourceUsage,
    profile,
  };
}
