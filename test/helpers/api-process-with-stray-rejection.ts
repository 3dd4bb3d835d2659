// A real API process (startApiServer, as `npubench serve` runs it) in which a promise nobody handles
// rejects. Run by test/integration/unhandled-rejection.test.ts; prints what it saw afterwards.
import { loadConfig } from '../../src/config/index.js';
import { startApiServer } from '../../src/api/server.js';

const server = await startApiServer(loadConfig());
// A fire-and-forget promise that fails: Node's default ends the process here.
void Promise.reject(new Error('injected: a promise nobody awaited'));
// 'unhandledRejection' is emitted once the microtasks have run; give it two turns of the event loop.
await new Promise((resolve) => setImmediate(resolve));
await new Promise((resolve) => setImmediate(resolve));
const health = await fetch(`${server.url}/healthz`);
const metrics = await (await fetch(`${server.url}/metrics`)).text();
console.log(`healthz ${health.status}`);
for (const line of metrics.split('\n')) if (line.startsWith('npubench_background_failures_total{')) console.log(line);
await server.stop();
console.log('stopped');
