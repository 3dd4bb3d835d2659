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

register();
await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
