// Serves the dashboard (src/dashboard, built by `npm run build:dashboard` into dist/dashboard) from the
// API process, so one command starts everything. Client-side routes all answer with index.html; the
// hashed files under /assets/ are cached for good; /favicon.svg and /favicon.ico are the icon.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the build puts the dashboard, from src/api/plugins and from dist/api/plugins alike. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dist/dashboard', import.meta.url));

/** The first path segment of every page the dashboard's router knows (src/dashboard/src/app.tsx). */
export const DASHBOARD_PAGES = ['devices', 'reports', 'certificates', 'verify', 'transparency', 'suites', 'login', 'vendor', 'lab', 'compare'] as const;

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>npubench</title></head><body>
<main><h1>npubench</h1><p>The dashboard has not been built. Run <code>npm run build:dashboard</code> (or <code>npm run build</code>) and restart.
The API is running: see <a href="/docs">/docs</a>.</p></main></body></html>`;

export async function registerDashboard(app: FastifyInstance, dir = DEFAULT_DASHBOARD_DIR): Promise<void> {
  const indexFile = join(dir, 'index.html');
  const built = existsSync(indexFile);
  const indexHtml = built ? readFileSync(indexFile, 'utf8') : NOT_BUILT;
  if (built) {
    await app.register(fastifyStatic, {
      root: join(dir, 'assets'),
      prefix: '/assets/',
      // Vite puts a content hash in every asset name.
      immutable: true,
      maxAge: '365d',
    });
  }
  // The icon (src/dashboard/public/favicon.svg, copied into the build). index.html links it, and
  // /favicon.ico answers with it too: browsers and crawlers ask for that path on every site.
  const iconFile = join(dir, 'favicon.svg');
  const icon = existsSync(iconFile) ? readFileSync(iconFile) : null;
  const page = { schema: { hide: true }, logLevel: 'warn' as const };
  if (icon) {
    const sendIcon = async (_request: unknown, reply: FastifyReply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(icon);
    app.get('/favicon.svg', page, sendIcon);
    app.get('/favicon.ico', page, sendIcon);
  }
  const sendIndex = async (_request: unknown, reply: FastifyReply) => reply.status(built ? 200 : 503).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
  app.get('/', page, sendIndex);
  for (const segment of DASHBOARD_PAGES) {
    app.get(`/${segment}`, page, sendIndex);
    app.get(`/${segment}/*`, page, sendIndex);
  }
}
