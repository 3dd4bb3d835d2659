// The `npubench` command line.
import { Command, Option } from 'commander';
import { ConfigError } from '../config/index.js';
import { StartupError } from '../api/server.js';
import { submitCommand } from './commands/submit.js';
import type { SuiteRunOptions } from './commands/suite.js';
import { describeCliError } from './cli-errors.js';
import { benchCommand } from './commands/bench.js';
import { compareCommand } from './commands/compare.js';
import { reportCommand } from './commands/report.js';
import { SCENARIOS, SUITE_PRESET_NAMES } from '../contracts/job-vocabulary.js';

const program = new Command('npubench').description('Open NPU benchmarking and certification service').showHelpAfterError();

function fail(err: unknown): never {
  if (err instanceof ConfigError || err instanceof StartupError) console.error(err.message);
  else console.error(`error: ${describeCliError(err)}`);
  process.exit(2);
}

program
  .command('serve')
  .description('Run the API (and, by default, a local agent serving the host CPU) on embedded defaults')
  .action(async () => {
    const { serveCommand } = await import('./commands/serve.js');
    await serveCommand().catch(fail);
  });

program
  .command('agent')
  .description('Run a device agent that consumes the queues of the given devices')
  .requiredOption('-d, --device <slug...>', 'device(s) this agent serves')
  .option('--token <token>', 'agent token (default: NPUBENCH_AGENT_TOKEN)')
  .option('--api-url <url>', 'API base URL (default: NPUBENCH_API_URL)')
  .option('--runner <device=command...>', 'runner command for a device whose backend kind is "runner", e.g. acme-npu1="/opt/acme/runner --fast"')
  .option('--power-meter <device=json...>', 'power meter for a device, overriding the device record, e.g. acme-npu1=\'{"kind":"command","command":"/opt/acme/watts"}\'')
  .action(async (opts: { device: string[]; token?: string; apiUrl?: string; runner?: string[]; powerMeter?: string[] }) => {
    const { agentCommand } = await import('./commands/agent.js');
    await agentCommand(opts).catch(fail);
  });

program
  .command('submit')
  .description('Upload a model, run a benchmark job on a device, follow its progress and print the report')
  .argument('<model>', 'path to an .onnx file or an LLM bundle (zip/tar of model.onnx, tokenizer.json, tokenizer_config.json, config.json)')
  .requiredOption('-d, --device <slug>', 'target device')
  .addOption(new Option('-s, --scenario <scenario>', 'MLPerf scenario').choices(SCENARIOS))
  .addOption(new Option('-p, --preset <preset>', 'suite preset').choices(SUITE_PRESET_NAMES))
  .option('--suite <json>', 'suite spec as JSON, e.g. \'{"minQueryCount":500}\'')
  .option('--name <name>', 'model name (default: file name)')
  .option('--version <version>', 'model version (default: sha256 prefix of the file)')
  .option('--reference <file>', 'the FP32 original (.onnx or LLM bundle) to compare with; uploaded or reused like the model (docs/accuracy.md)')
  .addOption(new Option('--visibility <visibility>', 'model visibility').choices(['private', 'public']))
  .option('--no-wait', 'return after submitting instead of waiting for the report (waiting is the default)')
  .option('--json', 'print JSON instead of text')
  .option('--api-url <url>', 'API base URL (default: NPUBENCH_API_URL or the saved login)')
  .option('--api-key <key>', 'API key (default: NPUBENCH_API_KEY or the saved login)')
  .action(async (model: string, opts: Parameters<typeof submitCommand>[1]) => {
    process.exitCode = await submitCommand(model, opts).catch(fail);
  });

const suite = program.command('suite').description('Suite runs: every workload and required scenario of a published suite on one device, one signed suite report');
suite
  .command('run')
  .description('Run a suite (e.g. npubench-edge@1) on a device, follow progress per workload and print the signed suite report')
  .argument('<suite>', 'suite id, name@version (GET /v1/suites lists them)')
  .requiredOption('-d, --device <slug>', 'target device')
  .option('--model <workload=modelId...>', 'your own model for a workload instead of the reference (repeatable)')
  .option('--workload <id...>', 'only these workloads (the report then says it does not conform)')
  .option('--reduced-preset <preset>', 'smoke or quick instead of the catalog settings, for demos (recorded as not conforming)')
  .option('--no-wait', 'return after submitting instead of waiting for the suite report')
  .option('--json', 'print JSON instead of text')
  .option('--api-url <url>', 'API base URL (default: NPUBENCH_API_URL or the saved login)')
  .option('--api-key <key>', 'API key (default: NPUBENCH_API_KEY or the saved login)')
  .action(async (id: string, opts: SuiteRunOptions) => {
    const { suiteRunCommand } = await import('./commands/suite.js');
    process.exitCode = await suiteRunCommand(id, opts).catch(fail);
  });
suite
  .command('show')
  .description('A suite run: progress per workload, or its signed suite report once finished')
  .argument('<id>', 'suite run id')
  .option('--json', 'print JSON instead of text')
  .option('--grid [file]', 'the finished run\'s condition grid (RFC 4180 CSV, one row per workload × scenario) to stdout, or to this file')
  .option('--api-url <url>', 'API base URL (default: NPUBENCH_API_URL or the saved login)')
  .option('--api-key <key>', 'API key (default: NPUBENCH_API_KEY or the saved login)')
  .action(async (id: string, opts: { json?: boolean; grid?: string | true; apiUrl?: string; apiKey?: string }) => {
    const { suiteShowCommand } = await import('./commands/suite.js');
    process.exitCode = await suiteShowCommand(id, opts).catch(fail);
  });

program
  .command('bench')
  .description('Benchmark a model on this machine with the same harness the agents run (no server needed)')
  .argument('<model>', 'path to an .onnx file, an LLM bundle (zip/tar) or an LLM bundle folder (model.onnx, tokenizer.json, tokenizer_config.json, config.json)')
  .addOption(new Option('-s, --scenario <scenario>', 'MLPerf scenario').choices(SCENARIOS))
  .addOption(new Option('-p, --preset <preset>', 'suite preset').choices(SUITE_PRESET_NAMES))
  .option('--suite <json>', 'suite spec as JSON, e.g. \'{"minQueryCount":500,"targetQps":200,"dynamicDims":{"batch":1}}\'')
  .option('--runner <command>', 'benchmark through a runner process speaking the runner protocol instead of onnxruntime (e.g. "python3 runner.py")')
  .option('--ep <name>', 'onnxruntime execution provider (cpu, cuda, tensorrt, webgpu, coreml, dml, qnn, ...)', 'cpu')
  .option('--ep-options <json>', 'execution provider options as JSON')
  .option('--threads <n>', 'onnxruntime intra-op threads')
  .option('--profile', 'also profile per operator (separate profiled session after the measured run)')
  .option('-o, --out <file>', 'write the full report (summary, environment, raw samples, profile) as JSON')
  .option('--compare <report.json>', 'print the change per metric against an earlier report of the same scenario')
  .option('--force', 'with --compare: compare even when the earlier report ran another scenario (warns instead of refusing)')
  .option('--mlperf-summary <file>', 'also write an mlperf_log_summary.txt-style text summary')
  .option('--power <auto|json>', 'measure power beside the run: "auto" detects RAPL, INA3221, hwmon or a battery; or a meter config as JSON')
  .option('--mmlu [dataset]', 'MMLU-style accuracy of an LLM bundle: the built-in dataset, or a zip/tar of hendrycks CSVs (docs/accuracy.md)')
  .option('--shots <n>', 'MMLU few-shot examples (default 5)')
  .option('--labels <file>', 'top-1/top-5 accuracy on a labelled input set (labelled-inputs.json, or a zip/tar holding it)')
  .option('--text-pages <file>', 'text detection hmean on a page set (npubench.text-pages/v1 JSON; docs/accuracy.md)')
  .option('--vad-frames <file>', 'voice-activity frame F1 on a VAD frame set (npubench.vad-frames/v1 JSON; docs/accuracy.md)')
  .option('--text-lines <file>', 'text recognition character accuracy (1 - CER) on a text-lines set (npubench.text-lines/v1 JSON; docs/accuracy.md)')
  .option('--reference <model>', 'the FP32 original to compare with (run on the CPU EP with the same inputs): .onnx, bundle or bundle folder')
  .option('--gate <ratio>', 'accuracy gate: PASS when the score is at least ratio × the reference\'s (e.g. 0.99)')
  .addOption(new Option('--llm <preset>', 'LLM latency (TTFT, TPOT, tokens/s) with a fixed prompt/output length preset').choices(['short', 'medium', 'long']))
  .option('--json', 'print JSON instead of text')
  .action(async (model: string, opts: Parameters<typeof benchCommand>[1]) => {
    process.exitCode = await benchCommand(model, opts).catch(fail);
  });

program
  .command('runner')
  .description('Serve the runner protocol on stdin/stdout with onnxruntime (the reference runner; see docs/runner-protocol.md)')
  .option('--protocol <versions>', 'protocol versions to speak, e.g. 2, 1 or 2,1 (default 2,1)')
  .option('--max-in-flight <n>', 'v2: run requests accepted at once, declared in hello (default 1)')
  .action(async (opts: { protocol?: string; maxInFlight?: string }) => {
    const { runnerCommand } = await import('./commands/runner.js');
    await runnerCommand(opts).catch(fail);
  });

program
  .command('runner-check')
  .description('Conformance kit: run a runner through the protocol and every compliance check, time the same samples in-process beside it, and print CONFORMANT (exit 0) or NOT CONFORMANT (exit 1)')
  .argument('<model>', 'the model the runner loads; an .onnx file is also the reference its outputs must match')
  .option('--runner <command>', 'the runner command line (required), e.g. "python3 runner.py" or ./runner')
  .option('--reference <model.onnx>', 'the ONNX model to compare outputs with and time in-process (default: the model, when it is .onnx)')
  .option('--load-options <json>', 'options passed to the runner\'s load, as a JSON object')
  .addOption(new Option('-p, --preset <preset>', 'suite preset of the timed run').choices(['smoke', 'quick', 'standard']).default('smoke'))
  .option('--json', 'print the conformance report as JSON')
  // Usage errors exit 2, as every failure before the check starts does; 1 means "not conformant".
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .action(async (model: string, opts: { runner?: string; reference?: string; loadOptions?: string; preset?: string; json?: boolean }) => {
    const { runnerCheckCommand } = await import('./commands/runner-check.js');
    process.exitCode = await runnerCheckCommand(model, opts).catch(fail);
  });

program
  .command('verify')
  .description('Verify a certificate (cert.json from GET /v1/certificates/:id) without the npubench database, against a trust root you chose')
  .argument('<cert.json>', 'certificate bundle file or URL')
  .option('--jwks <file|url>', 'the issuer\'s signing keys to trust (a file keeps the check offline)')
  .option('--issuer <url>', 'the issuer to trust: its trust-store entry, or its keys fetched once from <url>/.well-known/jwks.json and <url>/v1/transparency/log-key')
  .option('--log-key <vkey|file>', "the issuer's transparency log key (a note verifier key, from <issuer>/v1/transparency/log-key); needed with --jwks")
  .option('--online', 'also fetch the current bundle, with a fresh signed status, from the trusted issuer to catch a revocation made after the download')
  .option('--max-status-age <age>', 'how old the signed status in cert.json may be offline, e.g. 30d, 12h (default: what the certificate states, 30 days)')
  .option('--explain', 're-evaluate every rule of the certificate offline over the facts it carries and print expected vs measured per rule')
  .option('--report <file|url>', "the certificate's signed report (GET /v1/reports/:id, or its envelope), to check the embedded facts against it when cert.json does not carry it")
  .option('--json', 'print the result as JSON')
  .addHelpText('after', '\nWithout --jwks or --issuer the trust store is used (npubench trust add <issuer URL>); with no trust root at all it exits 2.\nThe URLs inside cert.json are not signed and are never followed.')
  .action(async (file: string, opts: { jwks?: string; logKey?: string; issuer?: string; online?: boolean; json?: boolean; maxStatusAge?: string; explain?: boolean; report?: string }) => {
    const { verifyCommand } = await import('./commands/verify.js');
    process.exitCode = await verifyCommand(file, opts).catch(fail);
  });

const trust = program.command('trust').description('The issuers whose certificates npubench verify accepts (NPUBENCH_TRUST_DIR, default ~/.config/npubench/trust)');
trust
  .command('add')
  .description('Fetch an issuer\'s keys once from <url>/.well-known/jwks.json and its log key from <url>/v1/transparency/log-key, show their fingerprints and store them')
  .argument('<url>', 'the issuer (lab) base URL, e.g. https://lab.example')
  .action(async (url: string) => {
    const { trustAddCommand } = await import('./commands/trust.js');
    process.exitCode = await trustAddCommand(url).catch(fail);
  });
trust
  .command('refresh')
  .description("Fetch the trusted issuers' key sets again: new keys are added (fingerprints shown), retirements and compromises are taken over; nothing is ever widened")
  .argument('[url]', 'only this issuer (default: all)')
  .action(async (url: string | undefined) => {
    const { trustRefreshCommand } = await import('./commands/trust.js');
    process.exitCode = await trustRefreshCommand(url).catch(fail);
  });
trust
  .command('list')
  .description('List the trusted issuers and their key fingerprints')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const { trustListCommand } = await import('./commands/trust.js');
    process.exitCode = await trustListCommand(opts).catch(fail);
  });
trust
  .command('remove')
  .description('Stop trusting an issuer')
  .argument('<url>', 'the issuer base URL')
  .action(async (url: string) => {
    const { trustRemoveCommand } = await import('./commands/trust.js');
    process.exitCode = await trustRemoveCommand(url).catch(fail);
  });

program
  .command('log')
  .description("An issuer's transparency log")
  .command('monitor')
  .description('Check the latest checkpoint against the pinned log key, prove it consistent with the one kept in --state, replay every entry, then keep it; exit 1 on a fork, rollback or rewritten entry')
  .requiredOption('--state <dir>', 'where the last verified checkpoint is kept between runs')
  .option('--issuer <url>', 'the issuer whose log to follow (default: the only one in the trust store)')
  .option('--log-key <vkey|file>', "the log's note verifier key (default: the trust store entry's)")
  .option('--json', 'print the result as JSON')
  .action(async (opts: { state: string; issuer?: string; logKey?: string; json?: boolean }) => {
    const { logMonitorCommand } = await import('./commands/log-monitor.js');
    process.exitCode = await logMonitorCommand(opts).catch(fail);
  });

const keys = program.command('keys').description('Signing keys (rotate and compromise work on a running deployment: they need its DATABASE_URL and NPUBENCH_SIGNING_KEY_DIR)');
keys
  .command('generate')
  .description('Write a new Ed25519 signing key (PKCS#8 PEM, mode 600) for NPUBENCH_SIGNING_KEY_FILE')
  .requiredOption('-o, --out <file>', 'where to write the key (refuses to overwrite)')
  .action(async (opts: { out: string }) => {
    const { keysGenerateCommand } = await import('./commands/keys.js');
    await keysGenerateCommand(opts).catch(fail);
  });
keys
  .command('list')
  .description('The signing keys of the deployment at DATABASE_URL, with their lifetimes')
  .option('--json', 'print the published key set (JWKS)')
  .action(async (opts: { json?: boolean }) => {
    const { keysListCommand } = await import('./commands/keys.js');
    process.exitCode = await keysListCommand(opts).catch(fail);
  });
keys
  .command('rotate')
  .description('Make a new signing key in NPUBENCH_SIGNING_KEY_DIR and sign with it from now on, on every replica; the old key retires now')
  .action(async () => {
    const { keysRotateCommand } = await import('./commands/keys.js');
    process.exitCode = await keysRotateCommand().catch(fail);
  });
keys
  .command('compromise')
  .description('Mark a signing key compromised: what it signed dated at or after --since fails verification (key_compromised); it retires now')
  .argument('<kid>', 'the key id (see npubench keys list)')
  .requiredOption('--since <time>', 'ISO 8601 time from which the key may have been known to others, e.g. 2026-12-01T00:00:00Z')
  .action(async (kid: string, opts: { since: string }) => {
    const { keysCompromiseCommand } = await import('./commands/keys.js');
    process.exitCode = await keysCompromiseCommand(kid, opts).catch(fail);
  });

program
  .command('compare')
  .description('Compare two reports metric by metric; with --max-regression, exit 1 when a gated metric got worse (a CI gate)')
  .argument('<base>', 'report file (npubench bench --out) or report id')
  .argument('<current>', 'report file or report id')
  .option('--max-regression <limits>', 'e.g. p90=5%,energy=5% (metrics: p50, p90, p95, p99, mean, qps, energy, power, load, first)')
  .option('--force', 'compare even reports of different scenarios (warns instead of refusing)')
  .option('--json', 'print JSON instead of text')
  .option('--api-url <url>', 'API base URL for report ids')
  .option('--api-key <key>', 'API key for report ids')
  .action(async (base: string, current: string, opts: Parameters<typeof compareCommand>[2]) => {
    process.exitCode = await compareCommand(base, current, opts).catch(fail);
  });

program
  .command('report')
  .description('Export a stored report')
  .argument('<id>', 'report id')
  .addOption(new Option('-f, --format <format>', 'output format (condition-grid: the RFC 4180 condition-grid row)').choices(['json', 'csv', 'mlperf', 'condition-grid']).default('json'))
  .option('--api-url <url>', 'API base URL')
  .option('--api-key <key>', 'API key')
  .action(async (id: string, opts: Parameters<typeof reportCommand>[1]) => {
    process.exitCode = await reportCommand(id, opts).catch(fail);
  });

program
  .command('prune')
  .description('Apply the retention policy: delete expired raw samples (NPUBENCH_RETENTION_RAW_SAMPLES_DAYS) and stored bytes nothing references')
  .option('--dry-run', 'list what would be deleted, delete nothing')
  .option('--json', 'print the result as JSON')
  .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
    const { pruneCommand } = await import('./commands/prune.js');
    process.exitCode = await pruneCommand(opts).catch(fail);
  });

await program.parseAsync(process.argv);
