// `npubench runner`: the reference runner (onnxruntime-node, CPU) speaking the runner protocol on
// stdin/stdout, so the runner backend can be tried without a vendor SDK. stdout belongs to the
// protocol: nothing else may print there.
import { serveRunnerProtocol } from '../../harness/index.js';

export async function runnerCommand(): Promise<void> {
  await serveRunnerProtocol(process.stdin, process.stdout);
}
