// `npubench runner`: the reference runner (onnxruntime-node, CPU) speaking the runner protocol on
// stdin/stdout, so the runner backend can be tried without a vendor SDK. stdout belongs to the
// protocol: nothing else may print there. The options are the reference runner main's, parsed by the
// same function, so both command lines accept and refuse the same things.
import { parseReferenceRunnerArgs, serveRunnerProtocol } from '../../harness/index.js';

export async function runnerCommand(opts: { protocol?: string; maxInFlight?: string } = {}): Promise<void> {
  const args = [...(opts.protocol === undefined ? [] : ['--protocol', opts.protocol]), ...(opts.maxInFlight === undefined ? [] : ['--max-in-flight', opts.maxInFlight])];
  await serveRunnerProtocol(process.stdin, process.stdout, parseReferenceRunnerArgs(args));
}
