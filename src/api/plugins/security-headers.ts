// The security headers every answer carries, decided by helmet once at start-up and then added to each
// reply as a precomputed block. Running helmet's middleware per request set each header on the raw
// response (validated there, then again when fastify wrote its own headers): ~8% of the CPU of a cached
// report read (docs/PERFORMANCE.md, API throughput).
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/** helmet's headers for our policy, as name → value (lower-case names). */
export function securityHeaders(): Readonly<Record<string, string>> {
  // The CSP lets the Swagger UI at /docs and the dashboard run; JSON needs none.
  const middleware = helmet({
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], frameAncestors: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  const headers: Record<string, string> = {};
  // Our policy is static (no per-request nonce), so helmet's answer is the same for every request.
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failure: Error | undefined;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => void (failure = err instanceof Error ? err : err ? new Error('helmet failed') : undefined));
  if (failure) throw failure;
  return Object.freeze(headers);
}
