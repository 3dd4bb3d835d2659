// The physical limit for the API throughput benchmark: a bare fastify app, one process like the API,
// answering every GET with the same bytes the API sends for the route under test (read from files
// named on the command line as `<path>=<body file>`), with the same content type. No auth, database,
// plugins or serialisation: what is left is fastify and Node's HTTP stack on this machine.
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const app = Fastify({ logger: false });
for (const arg of process.argv.slice(2)) {
  const eq = arg.indexOf('=');
  const body = readFileSync(arg.slice(eq + 1));
  app.get(arg.slice(0, eq), async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
}
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
console.log(`bare server listening on ${typeof address === 'object' && address ? address.port : 0}`);
