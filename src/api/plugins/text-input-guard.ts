// Rejects text that Postgres cannot store or that breaks serialization further down: a lone UTF-16
// surrogate (JSON allows "\ud800"; Prisma's query encoder then fails) or a NUL character (Postgres
// text refuses it). Checked once for every request's params, query and JSON body, so no route can
// turn such input into a 500.
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../lib/errors.js';

// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const LONE_SURROGATE_OR_NUL = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\u0000/;

/** Where in `root` unstorable text is (a dotted path), or null. Iterative: a body may nest deeply. */
function findUnstorableText(root: unknown): string | null {
  if (typeof root === 'string') return LONE_SURROGATE_OR_NUL.test(root) ? '(value)' : null;
  if (root === null || typeof root !== 'object') return null;
  // Objects still to look into, with their paths. Strings are tested where they are met, so the
  // common request (a few flat string fields) allocates nothing beyond this one array.
  const stack: { value: object; path: string }[] = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (LONE_SURROGATE_OR_NUL.test(key)) return `${path}.(key)`;
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'string') {
        if (LONE_SURROGATE_OR_NUL.test(child)) return path ? `${path}.${key}` : key;
      } else if (child !== null && typeof child === 'object') {
        stack.push({ value: child, path: path ? `${path}.${key}` : key });
      }
    }
  }
  return null;
}

function reject(part: string, path: string) {
  return badRequest('request.invalid_characters', `${part} ${path}: text must be well-formed Unicode without NUL characters.`, { errors: [{ path: `${part}.${path}`, message: 'unstorable character' }] });
}

export function registerTextInputGuard(app: FastifyInstance): void {
  // Synchronous (callback) hook: it runs on every request, and an async one costs a promise each time.
  app.addHook('preValidation', (request, _reply, done) => {
    let path = findUnstorableText(request.params);
    if (path !== null) return done(reject('params', path));
    path = findUnstorableText(request.query);
    if (path !== null) return done(reject('querystring', path));
    path = findUnstorableText(request.body);
    if (path !== null) return done(reject('body', path));
    done();
  });
}
