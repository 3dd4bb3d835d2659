// Entry point of the reference runner process: the protocol on stdin/stdout, logs on stderr.
import { parseReferenceRunnerArgs, serveRunnerProtocol } from './reference-runner.js';

await serveRunnerProtocol(process.stdin, process.stdout, parseReferenceRunnerArgs(process.argv.slice(2)));
