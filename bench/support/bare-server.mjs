// The reference for the API throughput benchmark: a bare fastify app, one process like the API, plain
// JavaScript run by `node` itself (no tsx, no build step: nothing between V8 and the code), with a
// synchronous handler. Each route answers the very bytes the API answered for that path, with the
// API's own response headers (content type, security headers, cache headers, a request id of the same
// length), so both sides put the same bytes on the wire. No auth, database, hooks or serialisation:
// what is left is fastify and Node's HTTP stack on this machine.
//
//   node bench/support/bare-server.mjs <routes.json>
//   routes.json: [{ "path": "/v1/reports/…", "bodyFile": "…", "headers": { "content-type": "…", … } }]
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const routes = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const app = Fastify({ logger: false });
for (const route of routes) {
  const body = readFileSync(route.bodyFile);
  const headers = route.headers;
  app.get(route.path, (_request, reply) => {
    reply.headers(headers).send(body);
  });
}
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
console.log(`bare server listening on ${typeof address === 'object' && address ? address.port : 0}`);
