#!/usr/bin/env node
// `npx npubench ...` runs the TypeScript source through tsx so it works straight after `npm ci`,
// with no build step; deployments run the compiled `node dist/cli/main.js` instead.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// The project has no install script of its own (npm's allowScripts policy would make `npx npubench`
// refuse to run it), so the Prisma client is generated on first use instead.
const require = createRequire(import.meta.url);
if (!existsSync(join(root, 'node_modules', '.prisma', 'client', 'default.js'))) {
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

// `npx npubench ...` (and a package script calling npubench) runs this file as a child of the `sh -c`
// that npm started, and npm forwards SIGTERM/SIGINT to that shell only. dash dies of SIGTERM without
// passing it on, which left this process (an agent, say) running with PPID 1. So under npm, the
// shell going away counts as the SIGTERM it got: this process stops as if signalled itself.
// (Outside npm a parent's exit means nothing: `nohup npubench serve &` must outlive its shell.)
if (process.env.npm_lifecycle_event !== undefined && process.platform !== 'win32') {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  watch.unref();
}

register();
await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
