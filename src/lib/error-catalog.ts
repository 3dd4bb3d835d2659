// Every error code the service can emit, declared once: the HTTP status it is answered with and what it
// means to an API user or vendor. `AppError` and the problem+json handler take their status from here,
// docs/architecture.md's tables are generated from here (`npm run docs:generate`), and a code that is not
// declared is a type error. `job: true` marks codes that end a job (stored as its `error.code`) rather
// than answer a request; they still carry a status for the rare path that answers with them.
// No imports: the harness reaches this file through lib/errors only.

interface ErrorCodeEntry {
  readonly status: number;
  readonly meaning: string;
  readonly job?: true;
}

export const ERROR_CATALOG = {
  // Authentication and authorisation
  'auth.missing_credentials': { status: 401, meaning: 'The request has no `Authorization: Bearer …` header.' },
  'auth.malformed_header': { status: 401, meaning: 'The `Authorization` header is not a bearer header.' },
  'auth.invalid_credentials': { status: 401, meaning: 'The API key is unknown or altered.' },
  'auth.key_revoked': { status: 401, meaning: 'The API key was revoked.' },
  'auth.invalid_agent_token': { status: 401, meaning: 'The agent token is unknown or altered.' },
  'auth.agent_revoked': { status: 401, meaning: 'The agent was revoked.' },
  'auth.invalid_metrics_token': { status: 401, meaning: 'The bearer token for `/metrics` is not the configured metrics token.' },
  'auth.forbidden_role': { status: 403, meaning: "The key's role may not call this endpoint." },
  'auth.too_many_failures': { status: 429, meaning: 'Too many failed authentications from this address this minute (`Retry-After` says when to retry).' },

  // Requests the framework refuses before or around a route
  'validation.failed': { status: 400, meaning: 'The body, query, params or headers do not match the schema (`errors[]` lists the paths).' },
  'request.invalid': { status: 400, meaning: 'The request is malformed in a way no more specific code covers (the detail says how).' },
  'request.invalid_json': { status: 400, meaning: 'The JSON body does not parse, or names a prototype property.' },
  'request.empty_json_body': { status: 400, meaning: 'The request says it carries JSON but its body is empty.' },
  'request.invalid_content_length': { status: 400, meaning: 'The `Content-Length` header does not match the body.' },
  'request.body_too_large': { status: 413, meaning: 'The body is over the size limit for this endpoint.' },
  'request.unsupported_media_type': { status: 415, meaning: "The body's content type is not one this endpoint accepts." },
  'request.invalid_characters': { status: 400, meaning: 'A param, query value or JSON string holds a NUL character or a lone UTF-16 surrogate (Postgres cannot store it).' },
  'request.value_too_long': { status: 400, meaning: 'A value passed the schema but is longer than its column can store.' },
  'request.number_out_of_range': { status: 400, meaning: "A number passed the schema but is out of its column's range." },
  'request.bad_url': { status: 400, meaning: 'The URL cannot be decoded (answered before routing).' },
  'request.path_parameter_too_long': { status: 414, meaning: 'A path parameter is over 100 characters (answered before routing).' },
  'request.headers_too_large': { status: 431, meaning: 'The request line and headers exceed 16 KiB; answered on the socket, without `instance` and `requestId`.' },
  'request.malformed': { status: 400, meaning: 'The request is not valid HTTP/1.1; answered on the socket, without `instance` and `requestId`.' },
  'request.timeout': { status: 408, meaning: 'The request did not arrive in time; answered on the socket, without `instance` and `requestId`.' },
  'route.not_found': { status: 404, meaning: 'No route has this method and path.' },
  'idempotency.key_reused': { status: 422, meaning: 'The same `Idempotency-Key` was sent before with a different body.' },

  // Uploads (models, datasets, agent results)
  'upload.not_multipart': { status: 415, meaning: 'An upload was not sent as `multipart/form-data`.' },
  'upload.malformed_multipart': { status: 400, meaning: 'A multipart body has no boundary, is cut short, or stopped making progress for `NPUBENCH_UPLOAD_IDLE_TIMEOUT_MS`.' },
  'upload.missing_file': { status: 400, meaning: 'The upload has no file in the expected form field.' },
  'upload.unexpected_file': { status: 400, meaning: 'The upload holds more than one file, or a file in an unexpected field.' },
  'upload.too_many_parts': { status: 413, meaning: 'The multipart body has more parts than an upload may have.' },
  'upload.too_many_fields': { status: 413, meaning: 'The multipart body has more fields than an upload may have.' },
  'upload.too_large': { status: 413, meaning: 'The uploaded file is over the size limit (`limitBytes`).' },

  // Models and bundles
  'model.empty': { status: 400, meaning: 'The uploaded model file is empty.' },
  'model.invalid_onnx': { status: 422, meaning: 'The file is not a valid ONNX model (the detail says where parsing failed).' },
  'model.external_data_unsupported': { status: 422, meaning: 'A single .onnx file references external data files; upload a bundle holding them instead.' },
  'model.not_causal_lm': { status: 422, meaning: "A bundle's model does not have the causal-LM inputs and outputs (`problems[]` lists each)." },
  'model.exists': { status: 409, meaning: 'Your organization already has a model with this name and version.' },
  'model.not_found': { status: 404, meaning: 'No such model (or not visible to this key).' },
  'bundle.unsafe_entry': { status: 422, meaning: 'An archive entry is hostile: an absolute path, `..`, a NUL byte or backslash in its name, a duplicate, or a path outside the bundle.' },
  'bundle.unreadable': { status: 422, meaning: 'The upload is neither a zip nor a tar (optionally gzip-compressed) archive, or it cannot be read as one.' },
  'bundle.missing_file': { status: 422, meaning: 'The bundle lacks a file it needs (model, tokenizer or config).' },
  'bundle.invalid_file': { status: 422, meaning: 'A file in the bundle (config.json, tokenizer files) cannot be read or used.' },
  'bundle.ambiguous_model': { status: 422, meaning: 'The bundle holds several ONNX files and none is named model.onnx.' },
  'bundle.external_data_outside': { status: 422, meaning: "The model's external data location points outside the bundle." },
  'bundle.too_large': { status: 413, meaning: 'The archive unpacks to more bytes than allowed (decompression bomb guard).' },
  'bundle.too_many_entries': { status: 413, meaning: 'The archive holds more entries than allowed.' },

  // Datasets
  'dataset.malformed_csv': { status: 422, meaning: 'A dataset CSV file does not parse (the detail names file and line).' },
  'dataset.malformed_row': { status: 422, meaning: 'A dataset row has the wrong number of fields or an empty question.' },
  'dataset.unknown_answer': { status: 422, meaning: 'A dataset row has an answer other than A, B, C or D.' },
  'dataset.missing_dev_split': { status: 422, meaning: 'A subject has a test file but no dev file (the few-shot examples).' },
  'dataset.duplicate_subject': { status: 422, meaning: 'A subject has more than one file for the same split.' },
  'dataset.empty': { status: 422, meaning: 'The dataset has no subject, or a subject has an empty test file.' },
  'dataset.invalid_labelled_inputs': { status: 422, meaning: 'The labelled input set for classification accuracy is not valid.' },
  'dataset.invalid_text_lines': { status: 422, meaning: 'The text-lines file (npubench.text-lines/v1) for text recognition is not valid, or its rendered lines do not hash to its imagesSha256.' },
  'dataset.invalid_text_pages': { status: 422, meaning: 'The text page set for detection accuracy (npubench.text-pages/v1) is not valid, or its pages do not render to the pixels its imagesSha256 pins.' },
  'dataset.invalid_vad_frames': { status: 422, meaning: 'The voice-activity frame set (npubench.vad-frames/v1) is not valid.' },
  'dataset.exists': { status: 409, meaning: 'Your organization already has a dataset with this name.' },
  'dataset.not_found': { status: 404, meaning: 'No such dataset.' },
  'suite.not_found': { status: 404, meaning: 'No suite catalog has this id (`GET /v1/suites` lists them).' },
  'dataset.wrong_format': { status: 422, meaning: 'The dataset is of another format than the suite asks for.' },

  // Suites and jobs
  'suite.invalid': { status: 400, meaning: 'The suite spec is invalid (`errors[]` lists the problems).' },
  'suite.seeds_service_chosen': { status: 400, meaning: 'The suite named sampleSeeds; the service draws every job\'s QSL, sample-index and schedule seeds itself.' },
  'suite.needs_llm_bundle': { status: 422, meaning: 'MMLU or LLM latency was asked for on a single .onnx model rather than an LLM bundle.' },
  'suite.reference_mismatch': { status: 422, meaning: 'The reference model is of another kind than the model.' },
  'suite.no_lab': { status: 503, meaning: 'No lab organization exists to hold the suite\'s reference models and datasets.' },
  'suite.reference_unavailable': { status: 503, meaning: 'A reference file or generated dataset on this host does not have the sha256 its suite catalog pins.' },
  'suite_run.not_found': { status: 404, meaning: 'No such suite run (or not visible to this key).' },
  'suite_run.unknown_workload': { status: 400, meaning: 'A workload named in `workloads` or `models` is not in the suite (`errors[]` lists them).' },
  'suite_run.not_finished': { status: 409, meaning: 'The suite run is still running; its report is signed when every entry has finished.' },
  'job.not_found': { status: 404, meaning: 'No such job (or not visible to this key).' },
  'job.already_finished': { status: 409, meaning: 'The job has finished (`jobStatus` says how) and can no longer be canceled.' },
  'job.not_claimable': { status: 409, meaning: 'The job is not queued, so an agent cannot claim it (`jobStatus` says what it is).' },
  'job.not_running': { status: 409, meaning: 'The job is not running, so its progress, failure or result is not accepted.' },
  'queue.unavailable': { status: 503, meaning: 'The queue (Redis) is down; the job was not created (`Retry-After`).' },
  'database.unavailable': { status: 503, meaning: 'The database is down (`Retry-After`).' },
  'service.not_ready': { status: 503, meaning: '`/readyz`: a dependency is down (`checks` says which).' },
  'service.starting': { status: 503, meaning: '`/readyz` before start-up (first-start keys, `host-cpu`, the local agent) has finished.' },

  // Organizations, keys, devices, agents
  'organization.exists': { status: 409, meaning: 'An organization with this slug already exists.' },
  'organization.not_found': { status: 404, meaning: 'No such organization.' },
  'api_key.not_found': { status: 404, meaning: 'No such API key.' },
  'api_key.role_requires_lab_org': { status: 422, meaning: 'A certifier or admin key was asked for a vendor organization; only lab organizations hold those roles.' },
  'device.not_found': { status: 404, meaning: 'No such device.' },
  'device.exists': { status: 409, meaning: 'A device with this slug already exists.' },
  'device.unknown': { status: 400, meaning: 'An agent named devices that do not exist (`devices` lists them).' },
  'agent.exists': { status: 409, meaning: 'An agent with this name already exists.' },
  'agent.not_found': { status: 404, meaning: 'No such agent.' },
  'agent.device_not_assigned': { status: 403, meaning: 'An agent asked to serve, or acted on a job of, a device the lab did not assign it.' },
  'agent.not_job_owner': { status: 403, meaning: 'The job was claimed by another agent.' },

  // Agent results and reports
  'result.malformed_field': { status: 400, meaning: "A form field of an agent's result is not a JSON string." },
  'result.invalid': { status: 422, meaning: "The summary or environment of an agent's result does not match the report format." },
  'result.missing_raw_samples': { status: 400, meaning: "An agent's result has no raw samples file (field `raw`)." },
  'result.unexpected_file': { status: 400, meaning: "An agent's result holds a file other than the one raw samples file." },
  'result.invalid_raw_samples': { status: 422, meaning: "An agent's raw samples file is not valid JSON or does not match the raw samples format." },
  'result.spec_mismatch': { status: 422, meaning: 'The summary was measured with another suite spec than the job asked for.' },
  'result.summary_mismatch': { status: 422, meaning: 'The summary does not follow from the raw samples (`fields` lists the figures that differ).' },
  'result.too_large': { status: 413, meaning: "An agent's raw samples file is over `NPUBENCH_MAX_RESULT_BYTES`." },
  'harness.invalid_raw_samples': { status: 422, meaning: "The raw samples are impossible or do not fit the spec (overlapping or negative times, off the spec's schedule, records the spec did not ask for): an agent's result is refused, or a run fails." },
  'report.not_found': { status: 404, meaning: 'No such report (or not visible to this key).' },
  'report.legacy_format': { status: 422, meaning: 'A report stored before the current format has no MLPerf export.' },
  'report.no_power_trace': { status: 404, meaning: 'Power was not measured for this report (the detail says why).' },
  'report.raw_samples_pruned': { status: 410, meaning: "The retention policy deleted this report's raw samples (`npubench prune`)." },
  'artifact.not_found': { status: 404, meaning: 'No stored artifact has this digest.' },
  'leaderboard.bad_cursor': { status: 400, meaning: 'The leaderboard cursor was not issued by this endpoint for this sort.' },

  // Certification and the transparency log
  'profile.exists': { status: 409, meaning: 'This profile version exists; profiles are immutable, publish a new version instead.' },
  'profile.not_found': { status: 404, meaning: 'No such certification profile.' },
  'profile.rules_unreadable': { status: 422, meaning: "A stored profile's rules cannot be read by this version of the service." },
  'certificate.profile_failed': { status: 422, meaning: 'The report does not pass the profile (`evaluation[]` has every rule\'s outcome).' },
  'certificate.exists': { status: 409, meaning: 'This report already has a certificate under this profile (`certificateId` when known).' },
  'certificate.not_found': { status: 404, meaning: 'No such certificate.' },
  'certificate.already_revoked': { status: 409, meaning: 'The certificate is revoked already.' },
  'certificate.report_unsigned': { status: 409, meaning: 'The report is not signed, so it cannot be certified.' },
  'certificate.self_certification': { status: 403, meaning: "The certifier's own organization owns the report (automatic issuance: a lab organization owns it)." },
  'certificate.report_format': { status: 422, meaning: 'The report predates the current report format and cannot be certified.' },
  'certificate.seeds_not_service_chosen': { status: 422, meaning: 'The report\'s sample seeds were not the ones the service drew for its job (client-chosen, missing, or different).' },
  'certificate.unreadable': { status: 500, meaning: 'A stored certificate is in a statement format this service cannot read.' },
  'signing.no_active_key': { status: 503, meaning: 'No signing key is active (the last one was marked compromised): run `npubench keys rotate`.' },
  'signing.key_unavailable': { status: 503, meaning: "The active signing key's private half is not in this replica's `NPUBENCH_SIGNING_KEY_DIR`." },
  'signing.bad_time': { status: 400, meaning: '`npubench keys compromise --since` is not an ISO 8601 time.' },
  'signing.compromise_in_future': { status: 400, meaning: '`npubench keys compromise --since` lies in the future.' },
  'signing.key_not_found': { status: 404, meaning: 'No signing key with that key id.' },
  'transparency.entry_not_found': { status: 404, meaning: 'No log entry has this index.' },
  'transparency.tree_head_not_found': { status: 404, meaning: 'No tree head of this size has been published.' },
  'transparency.bad_range': { status: 400, meaning: 'A log query asks for a start past the end, an entry outside the tree, or a consistency proof from a larger to a smaller tree.' },
  'transparency.log_corrupt': { status: 500, meaning: 'Log entries are missing behind the append-only triggers; the log was modified outside the service.' },

  internal: { status: 500, meaning: 'Anything unexpected; no internals are revealed (quote the `requestId`).' },

  // Job failures: stored on the job (`error.code`), not answered
  'job.canceled': { status: 422, job: true, meaning: 'The job was canceled while queued or running.' },
  'job.invalid_suite': { status: 422, job: true, meaning: 'The stored suite no longer validates, so the reconciler could not queue the job again.' },
  'agent.vanished': { status: 422, job: true, meaning: 'The agent stopped sending heartbeats during the run, so the reconciler failed the job.' },
  'agent.retries_exhausted': { status: 422, job: true, meaning: 'The queue gave up after the job failed or stalled on every attempt.' },
  'agent.runner_not_configured': { status: 422, job: true, meaning: 'The device needs a runner and the agent has none configured for it.' },
  'api.unexpected_answer': { status: 502, job: true, meaning: 'An API answer did not match the contract the agent or CLI holds it to (a version skew or a proxy in between); the message names the first member that does not.' },
  'agent.failed': { status: 422, job: true, meaning: 'The agent reported a failure code this service does not declare (the message starts with it).' },
  'harness.failed': { status: 422, job: true, meaning: 'The harness failed with an error that has no code of its own (the message says what).' },
  'harness.crashed': { status: 422, job: true, meaning: 'The harness process died.' },
  'harness.timeout': { status: 422, job: true, meaning: 'The run did not finish within its time limit and was stopped.' },
  'harness.memory_limit': { status: 422, job: true, meaning: "The run's process tree went over `NPUBENCH_HARNESS_MEMORY_LIMIT_BYTES` and was stopped." },
  'harness.spawn_failed': { status: 422, job: true, meaning: 'The harness process could not be started.' },
  'harness.no_result': { status: 422, job: true, meaning: 'The harness process ended without a result.' },
  'harness.malformed_message': { status: 422, job: true, meaning: 'The agent or its harness process received a message that is not one of the declared ones (src/workers/agent/harness-messages.ts).' },
  'harness.aborted': { status: 422, job: true, meaning: 'The benchmark run was aborted.' },
  'harness.model_load_failed': { status: 422, job: true, meaning: 'onnxruntime could not load the model.' },
  'harness.inference_failed': { status: 422, job: true, meaning: 'Inference failed on the model.' },
  'harness.ep_unavailable': { status: 422, job: true, meaning: 'The requested execution provider could not create a session for the model.' },
  'harness.invalid_backend_config': { status: 422, job: true, meaning: "The device's backend configuration is not valid." },
  'harness.unsupported_input': { status: 422, job: true, meaning: 'A model input has a type for which no synthetic data can be generated.' },
  'harness.input_too_large': { status: 422, job: true, meaning: 'A model input is too large to generate or to send to the runner.' },
  'harness.unsupported_output': { status: 422, job: true, meaning: 'A model output cannot be compared numerically or scored against the labels.' },
  'harness.accuracy_unsupported': { status: 422, job: true, meaning: 'Accuracy was asked for and the run was given none of its inputs (reference, data set), or MMLU / LLM latency on a runner whose hello declares no lm_forward.' },
  'harness.not_an_llm_bundle': { status: 422, job: true, meaning: 'MMLU or LLM latency was asked for on a model that is not an LLM bundle.' },
  'harness.dataset_missing': { status: 422, job: true, meaning: 'The dataset the spec names was not provided to the run.' },
  'harness.reference_missing': { status: 422, job: true, meaning: 'The spec names a reference model and none was provided to the run.' },
  'harness.reference_mismatch': { status: 422, job: true, meaning: "The reference model's inputs or outputs do not match the model's." },
  'harness.not_voice_activity_model': { status: 422, job: true, meaning: "A voice-activity evaluation was asked for on a model without Silero VAD v5's inputs and outputs (input, state, sr; output, stateN)." },
  'harness.unknown_subject': { status: 422, job: true, meaning: 'The spec names an MMLU subject the dataset does not have.' },
  'harness.unknown_context_length': { status: 422, job: true, meaning: "The LLM's config declares no context length and the spec sets none." },
  'harness.context_too_long': { status: 422, job: true, meaning: "The prompt and output tokens exceed the LLM's context." },
  'harness.tokenizer_failed': { status: 422, job: true, meaning: 'The tokenizer turns a required text into no tokens.' },
  'harness.profile_failed': { status: 422, job: true, meaning: 'Operator profiling failed.' },
  'runner.spawn_failed': { status: 422, job: true, meaning: "The vendor's runner could not be started." },
  'runner.protocol_error': { status: 422, job: true, meaning: 'The runner broke the runner protocol (malformed or unexpected answer).' },
  'runner.bad_output': { status: 422, job: true, meaning: 'The runner returned an output tensor that cannot be read.' },
  'runner.crashed': { status: 422, job: true, meaning: 'The runner process exited during the run.' },
  'runner.timeout': { status: 422, job: true, meaning: 'The runner did not answer a request in time and was killed.' },
  'runner.error': { status: 422, job: true, meaning: 'The runner answered a request with an error of its own (the message quotes it).' },
  'runner.evaluation_mismatch': { status: 422, job: true, meaning: "In an evaluation (fidelity, classification) the runner's digests did not match its outputs, or a timed-run sample sent beside the evaluation input answered other outputs than before timing." },
  'power.meter_config_invalid': { status: 422, job: true, meaning: "The device's power meter configuration is not valid." },
  'power.meter_unavailable': { status: 422, job: true, meaning: 'The power meter (sysfs files) cannot be read.' },
  'power.ptd_unreachable': { status: 422, job: true, meaning: 'The PTDaemon power meter cannot be reached.' },
  'power.ptd_protocol_error': { status: 422, job: true, meaning: 'PTDaemon answered something the client does not understand.' },
  'power.ptd_ranging_failed': { status: 422, job: true, meaning: "PTDaemon's ranging run failed." },
  'power.ptd_window_open': { status: 422, job: true, meaning: 'A PTDaemon measurement window is already open.' },
  'power.ptd_window_not_open': { status: 422, job: true, meaning: 'A PTDaemon measurement was stopped without being started.' },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** The codes answered with `status` S; the helpers in lib/errors accept only these, so a helper and the catalog cannot disagree. */
export type ErrorCodeWithStatus<S extends number> = { [C in ErrorCode]: (typeof ERROR_CATALOG)[C]['status'] extends S ? C : never }[ErrorCode];

export const ERROR_CODES: readonly ErrorCode[] = (Object.keys(ERROR_CATALOG) as ErrorCode[]).sort();

/** For codes that arrive as plain strings across a process boundary (harness child, agent). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOG, code);
}

export function errorStatus(code: ErrorCode): number {
  return ERROR_CATALOG[code].status;
}
