// Rejects text that Postgres cannot store or that breaks serialization further down: a lone UTF-16
// surrogate (JSON allows "\ud800"; Prisma's query encoder then fails) or a NUL character (Postgres
// text refuses it). Checked once for every request's params, query and JSON body, so no route can
// turn such input into a 500.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../lib/errors.js';

// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const LONE_SURROGATE_OR_NUL = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\u0000/;

function findUnstorableText(root: unknown): string | null {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE_OR_NUL.test(value)) return path || '(value)';
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        if (LONE_SURROGATE_OR_NUL.test(key)) return `${path}.(key)`;
        stack.push({ value: child, path: path ? `${path}.${key}` : key });
      }
    }
  }
  return null;
}

export function registerTextInputGuard(app: FastifyInstance): void {
  // Synchronous (callback) hook: it runs on every request, and an async one costs a promise each time.
  app.addHook('preValidation', (request, _reply, done) => {
    for (const [part, value] of [['params', request.params], ['querystring', request.query], ['body', request.body]] as const) {
      const path = findUnstorableText(value);
      if (path !== null) {
        return done(badRequest('request.invalid_characters', `${part} ${path}: text must be well-formed Unicode without NUL characters.`, { errors: [{ path: `${part}.${path}`, message: 'unstorable character' }] }));
      }
    }
    done();
  });
}
