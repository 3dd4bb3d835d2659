// One run request, executed: the benchmark, raw samples written to the requested file, the resource
// usage of the measured run and the optional operator profile. The harness child process runs this for
// the agent (harness-child.ts); it takes no process-wide state, so a caller can run it elsewhere.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { errorMessage } from '../../lib/errors.js';
import { type AccuracyInputs, BUILTIN_DATASET_REF, builtinMmluDataset, createOnnxRuntimeBackend, createPowerMeter, createRunnerBackend, loadMmluDatasetFromDir, parseLabelledInputs, parseTextLines, parseTextPagesDataset, parseVadFrames, type PowerMeterConfig, type PowerOptions, type OperatorProfile, profileOperators, runBenchmark } from '../../harness/index.js';
import type { AccuracyFiles, ChildMessage, HarnessProgress, RunRequest } from './harness-messages.js';

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

/** The accuracy run's inputs. A runner device's candidate answers every evaluation through its runner
 *  (the run's own session); the onnxruntime config is then only the CPU one references use. */
async function accuracyInputs(req: Omit<RunRequest, 'type'>): Promise<AccuracyInputs | undefined> {
  if (!req.spec.accuracy && !req.spec.llm) return undefined;
  const files: AccuracyFiles = req.accuracy ?? {};
  const datasetRef = req.spec.accuracy?.mmlu?.dataset;
  let dataset;
  if (datasetRef === BUILTIN_DATASET_REF) dataset = builtinMmluDataset();
  else if (datasetRef !== undefined && files.dataset) dataset = await loadMmluDatasetFromDir(files.dataset.ref, files.dataset.dir, files.dataset.files);
  const labelledInputs = files.labelledInputs && { ref: files.labelledInputs.ref, set: parseLabelledInputs(await readFile(files.labelledInputs.path, 'utf8')) };
  const textLines = files.textLines && { ref: files.textLines.ref, set: parseTextLines(await readFile(files.textLines.path, 'utf8')) };
  const textPages = files.textPages && { ref: files.textPages.ref, set: parseTextPagesDataset(await readFile(files.textPages.path, 'utf8')) };
  const vadFrames = files.vadFrames && { ref: files.vadFrames.ref, set: parseVadFrames(await readFile(files.vadFrames.path, 'utf8')) };
  const backend = req.backend.kind === 'onnxruntime' ? req.backend.config : { executionProvider: 'cpu' };
  return { backend, bundleDir: files.bundleDir, reference: files.reference, dataset, labelledInputs, textLines, textPages, vadFrames };
}

export type RunOutcome = Omit<Extract<ChildMessage, { type: 'result' }>, 'type'>;

/**
 * `peakRssBytes` reads the calling process's ru_maxrss: in the harness child that is the measured run's
 * peak; elsewhere it is that process's.
 */
export async function executeRunRequest(req: Omit<RunRequest, 'type'>, onProgress: (p: HarnessProgress) => void): Promise<RunOutcome> {
  const power = openPowerMeter(req.powerMeter);
  const accuracy = await accuracyInputs(req);
  const result = await runBenchmark({
    modelPath: req.modelPath,
    spec: req.spec,
    backend: req.backend.kind === 'runner' ? createRunnerBackend(req.backend.config) : createOnnxRuntimeBackend(req.backend.config),
    onProgress: (p) => onProgress({ phase: p.phase, fraction: p.fraction, queries: p.queries }),
    ...(power && { power }),
    ...(accuracy && { accuracy }),
  }).finally(() => (power && 'meter' in power ? power.meter.close() : undefined));
  // Read before profiling, which loads a second session: this is the measured run's peak.
  const resourceUsage = { peakRssBytes: process.resourceUsage().maxRSS * 1024, modelSizeBytes: (await stat(req.modelPath)).size, method: 'getrusage ru_maxrss of the harness process' };
  await writeFile(req.rawSamplesPath, JSON.stringify(result.rawSamples));
  let profile: OperatorProfile | null = null;
  if (req.profileIterations > 0 && req.backend.kind === 'onnxruntime') {
    // A profile is a bonus: its failure must not cost the measured result.
    profile = await profileOperators(req.modelPath, req.backend.config, req.spec, req.profileIterations).catch((err: unknown) => {
      console.error(`operator profiling skipped: ${errorMessage(err)}`);
      return null;
    });
  }
  return {
    summary: result.summary,
    environment: result.environment,
    resourceUsage,
    profile,
  };
}
